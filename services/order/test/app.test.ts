import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildService } from '@foodxchange/service-kit';
import { dropDatabase, isolatedEnv } from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';

let server: FastifyInstance;
beforeAll(async () => {
  server = await buildService(service, app, isolatedEnv('order'));
});
afterAll(async () => {
  await dropDatabase(server);
  await server.close();
});

describe('order service', () => {
  it('is ready once its dependencies answer', async () => {
    const res = await server.inject({ url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ status: 'ok', service: 'order' });
    expect(Object.keys(res.json().data.checks).sort()).toEqual(['kafka', 'mongo']);
  });

  it('answers unknown routes with the 404 envelope', async () => {
    const res = await server.inject({ method: 'POST', url: '/api/v1/order/does-not-exist' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
  });

  it('publishes its OpenAPI document', async () => {
    const doc = (await server.inject({ url: '/openapi.json' })).json();
    expect(doc.info.title).toBe('FoodXchange order service');
    // The kit's own routes are documented too, with the error envelope of every status.
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health', '/health/ready', '/health/live', '/ops/outbox/quarantine']));
    expect(Object.keys(doc.paths['/health/ready'].get.responses)).toEqual(expect.arrayContaining(['200', '404', '500', '503']));
    // The order routes document the key's retention and the admins' company filters.
    const header = doc.paths['/api/v1/orders'].post.parameters.find((p: { in: string; name: string }) => p.in === 'header' && p.name === 'idempotency-key');
    expect(header.description).toContain('24 hours');
    const query = doc.paths['/api/v1/orders'].get.parameters.filter((p: { in: string }) => p.in === 'query').map((p: { name: string }) => p.name);
    expect(query).toEqual(expect.arrayContaining(['buyerCompanyId', 'supplierCompanyId']));
  });
});
