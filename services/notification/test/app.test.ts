import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildService } from '@foodxchange/service-kit';
import { dropDatabase, isolatedEnv } from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';

let server: FastifyInstance;
beforeAll(async () => {
  server = await buildService(service, app, isolatedEnv('notification'));
});
afterAll(async () => {
  await dropDatabase(server);
  await server.close();
});

describe('notification service', () => {
  it('is ready once its dependencies answer', async () => {
    const res = await server.inject({ url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ status: 'ok', service: 'notification' });
    expect(Object.keys(res.json().data.checks).sort()).toEqual(['kafka', 'mongo', 'redis']);
  });

  it('answers unknown routes with the 404 envelope', async () => {
    const res = await server.inject({ method: 'POST', url: '/api/v1/notification/does-not-exist' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
  });

  it('publishes its OpenAPI document', async () => {
    const doc = (await server.inject({ url: '/openapi.json' })).json();
    expect(doc.info.title).toBe('FoodXchange notification service');
    // The kit's own routes are documented too, with the error envelope of every status.
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health', '/health/ready', '/health/live', '/ops/outbox/quarantine']));
    expect(Object.keys(doc.paths['/health/ready'].get.responses)).toEqual(expect.arrayContaining(['200', '404', '500', '503']));
    // Its own routes, each with its schemas.
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/notifications/',
        '/api/v1/notifications/{id}/read',
        '/api/v1/notifications/read-all',
        '/api/v1/notifications/preferences',
        '/api/v1/notifications/stream',
      ]),
    );
    expect(doc.paths['/api/v1/notifications/'].get.responses['200'].content['application/json'].schema.properties).toHaveProperty('unreadCount');
    expect(Object.keys(doc.paths['/api/v1/notifications/preferences'].patch.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
  });
});
