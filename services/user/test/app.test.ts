import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildService } from '@foodxchange/service-kit';
import { dropDatabase, isolatedEnv } from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';

let server: FastifyInstance;
beforeAll(async () => {
  server = await buildService(service, app, isolatedEnv('user'));
});
afterAll(async () => {
  await dropDatabase(server);
  await server.close();
});

describe('user service', () => {
  it('is ready once its dependencies answer', async () => {
    const res = await server.inject({ url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ status: 'ok', service: 'user' });
    expect(Object.keys(res.json().data.checks).sort()).toEqual(['kafka', 'mongo']);
  });

  it('answers unknown routes with the 404 envelope', async () => {
    const res = await server.inject({ method: 'POST', url: '/api/v1/user/does-not-exist' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
  });

  it('publishes its OpenAPI document', async () => {
    const doc = (await server.inject({ url: '/openapi.json' })).json();
    expect(doc.info.title).toBe('FoodXchange user service');
    // The kit's own routes are documented too, with the error envelope of every status.
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health', '/health/ready', '/health/live', '/ops/outbox/quarantine']));
    expect(Object.keys(doc.paths['/health/ready'].get.responses)).toEqual(expect.arrayContaining(['200', '404', '500', '503']));
  });

  it('documents its routes as needing a token, and both shapes of a company', async () => {
    const doc = (await server.inject({ url: '/openapi.json' })).json();
    for (const [path, method] of [
      ['/api/v1/users/me', 'get'],
      ['/api/v1/users/me', 'patch'],
      ['/api/v1/users/{id}', 'get'],
      ['/api/v1/companies/{id}', 'get'],
      ['/api/v1/companies/{id}', 'patch'],
      ['/api/v1/companies/{id}/certifications', 'post'],
      ['/api/v1/companies/{id}/certifications', 'get'],
      ['/api/v1/companies/{id}/certifications/{certId}', 'delete'],
      ['/api/v1/companies/{id}/verify', 'post'],
    ] as const) {
      expect(doc.paths[path]?.[method]?.security, `${method} ${path}`).toEqual(expect.arrayContaining([{ bearerAuth: [] }]));
    }
    const company = doc.paths['/api/v1/companies/{id}'].get.responses['200'].content['application/json'].schema;
    const shapes = JSON.stringify(company.properties.data);
    expect(shapes).toContain('"full"');
    expect(shapes).toContain('"public"');
    // The answers chosen for withdrawal (200 with the list left) and for a new certificate (201).
    expect(Object.keys(doc.paths['/api/v1/companies/{id}/certifications/{certId}'].delete.responses)).toContain('200');
    expect(Object.keys(doc.paths['/api/v1/companies/{id}/certifications'].post.responses)).toContain('201');
  });
});
