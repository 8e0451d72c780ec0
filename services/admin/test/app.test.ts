import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildService } from '@foodxchange/service-kit';
import { dropDatabase, isolatedEnv } from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';

let server: FastifyInstance;
beforeAll(async () => {
  server = await buildService(service, app, isolatedEnv('admin'));
});
afterAll(async () => {
  await dropDatabase(server);
  await server.close();
});

describe('admin service', () => {
  it('is ready once its dependencies answer', async () => {
    const res = await server.inject({ url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ status: 'ok', service: 'admin' });
    expect(Object.keys(res.json().data.checks).sort()).toEqual(['kafka', 'mongo']);
    expect(res.json().data.checks).toMatchObject({ mongo: { critical: true }, kafka: { critical: false } });
  });

  it('answers unknown routes with the 404 envelope', async () => {
    const res = await server.inject({ method: 'POST', url: '/api/v1/admin/does-not-exist' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
  });

  it('publishes its OpenAPI document', async () => {
    const doc = (await server.inject({ url: '/openapi.json' })).json();
    expect(doc.info.title).toBe('FoodXchange admin service');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/admin/audit',
        '/api/v1/admin/audit/{eventId}',
        '/api/v1/admin/dead-letters',
        '/api/v1/admin/dead-letters/{id}',
        '/api/v1/admin/dead-letters/{id}/replay',
      ]),
    );
  });

  it('consumes every contract topic and every dead-letter topic', async () => {
    const { ALL_TOPICS, dlqTopic } = await import('@foodxchange/contracts');
    const topics = server.events.consumer?.topics ?? [];
    expect(topics.sort()).toEqual([...ALL_TOPICS, ...ALL_TOPICS.map(dlqTopic)].sort());
  });
});
