import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildService } from '@foodxchange/service-kit';
import { bearer, startTestIssuer, type TestIssuer, dropDatabase, isolatedEnv } from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';

let server: FastifyInstance;
let issuer: TestIssuer;
const admin = () => bearer(issuer.token({ role: 'admin', companyId: null }));
beforeAll(async () => {
  issuer = await startTestIssuer();
  server = await buildService(service, app, isolatedEnv('admin', issuer.env));
});
afterAll(async () => {
  await dropDatabase(server);
  await server.close();
  await issuer?.close();
});

describe('admin service', () => {
  it('is ready once its dependencies answer', async () => {
    const res = await server.inject({ headers: admin(), url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ status: 'ok', service: 'admin' });
    expect(Object.keys(res.json().data.checks).sort()).toEqual(['kafka', 'mongo']);
    expect(res.json().data.checks).toMatchObject({ mongo: { critical: true }, kafka: { critical: false } });
  });

  it('answers unknown routes with the 404 envelope', async () => {
    const res = await server.inject({ headers: admin(), method: 'POST', url: '/api/v1/admin/does-not-exist' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
  });

  it('publishes its OpenAPI document', async () => {
    const doc = (await server.inject({ headers: admin(), url: '/openapi.json' })).json();
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

  it('answers only platform admins: anonymous 401 (whatever the body), buyers and suppliers 403', async () => {
    const routes = [
      { method: 'GET' as const, url: '/api/v1/admin/audit' },
      { method: 'GET' as const, url: '/api/v1/admin/audit/some-event' },
      { method: 'GET' as const, url: '/api/v1/admin/dead-letters' },
      { method: 'GET' as const, url: '/api/v1/admin/dead-letters/some-id' },
      { method: 'POST' as const, url: '/api/v1/admin/dead-letters/some-id/replay', payload: '{broken' },
      { method: 'GET' as const, url: '/ops/outbox/quarantine' },
    ];
    for (const route of routes) {
      const anonymous = await server.inject({ ...route, headers: { 'content-type': 'application/json' } });
      expect(anonymous.statusCode, `${route.method} ${route.url}`).toBe(401);
      for (const role of ['buyer', 'supplier'] as const) {
        const res = await server.inject({ ...route, headers: { 'content-type': 'application/json', ...bearer(issuer.token({ role })) } });
        expect(res.statusCode, `${role} ${route.method} ${route.url}`).toBe(403);
      }
      for (const token of [issuer.forged({ role: 'admin' }), issuer.unsigned({ role: 'admin' }), issuer.hs256WithPublicKey({ role: 'admin' })]) {
        expect((await server.inject({ ...route, headers: bearer(token) })).statusCode).toBe(401);
      }
    }
    expect((await server.inject({ url: '/api/v1/admin/dead-letters', headers: admin() })).statusCode).toBe(200);
  });
});
