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
        '/api/v1/admin/dead-letters/replay',
        '/api/v1/admin/stats',
        '/api/v1/admin/users/{id}',
        '/api/v1/admin/users/{id}/suspend',
        '/api/v1/admin/users/{id}/unsuspend',
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

  /** Every route of the OpenAPI document under /api/v1/admin and /ops, path parameters filled in. */
  async function adminRoutes(): Promise<Array<{ method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'; url: string }>> {
    const doc = (await server.inject({ headers: admin(), url: '/openapi.json' })).json();
    const samples: Record<string, string> = { id: `${'notification.sent.dlq'}:0:1`, eventId: 'some-event' };
    const routes = [];
    for (const [path, operations] of Object.entries<Record<string, unknown>>(doc.paths)) {
      if (!path.startsWith('/api/v1/admin') && !path.startsWith('/ops/')) continue;
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) => (path.startsWith('/api/v1/admin/users') ? 'user-1' : (samples[name] ?? 'x')));
      for (const method of Object.keys(operations)) routes.push({ method: method.toUpperCase() as 'GET', url });
    }
    return routes;
  }

  it('refuses buyers and suppliers with 403 on every admin route, whatever the input, and lets admins through', async () => {
    const routes = await adminRoutes();
    // The routes of issue 12 and the earlier ones are all there (the list is not empty by accident).
    expect(routes.map((route) => `${route.method} ${route.url}`)).toEqual(
      expect.arrayContaining(['GET /api/v1/admin/stats', 'POST /api/v1/admin/dead-letters/replay', 'POST /api/v1/admin/users/user-1/suspend', 'GET /api/v1/admin/audit']),
    );
    expect(routes.length).toBeGreaterThanOrEqual(11);
    for (const route of routes) {
      for (const role of ['buyer', 'supplier'] as const) {
        for (const payload of [undefined, { topic: 'notification.sent', reason: 'a good reason' }, { nonsense: true }]) {
          const res = await server.inject({ ...route, headers: bearer(issuer.token({ role })), ...(payload && route.method !== 'GET' ? { payload } : {}) });
          expect(res.statusCode, `${role} ${route.method} ${route.url}`).toBe(403);
          expect(res.json(), `${role} ${route.method} ${route.url}`).toMatchObject({ success: false, error: { code: 'AUTHORIZATION_ERROR' } });
        }
      }
      expect((await server.inject({ ...route })).statusCode, `anonymous ${route.method} ${route.url}`).toBe(401);
      // An admin is not refused (the answer is the route's own: 200, 202, 400, 404 or 409).
      const res = await server.inject({ ...route, headers: bearer(issuer.token({ role: 'super_admin', companyId: null })) });
      expect([401, 403], `super_admin ${route.method} ${route.url}`).not.toContain(res.statusCode);
      expect(res.statusCode, `super_admin ${route.method} ${route.url}`).toBeLessThan(500);
    }
  });

  it('answers bad input on admin routes with 4xx in the error envelope, never 500', async () => {
    const cases: Array<{ method: 'GET' | 'POST'; url: string; payload?: string | object; status: number }> = [
      { method: 'GET', url: '/api/v1/admin/stats?x=1', status: 400 },
      { method: 'GET', url: '/api/v1/admin/audit?limit=abc', status: 400 },
      { method: 'GET', url: '/api/v1/admin/audit?companyId=%00', status: 400 },
      { method: 'GET', url: `/api/v1/admin/audit/${'x'.repeat(201)}`, status: 414 },
      { method: 'GET', url: '/api/v1/admin/dead-letters/not-an-id', status: 400 },
      { method: 'POST', url: '/api/v1/admin/dead-letters/replay', payload: '{broken', status: 400 },
      { method: 'POST', url: '/api/v1/admin/dead-letters/replay', payload: { topic: 42 }, status: 400 },
      { method: 'POST', url: '/api/v1/admin/dead-letters/replay', payload: '[]', status: 400 },
      { method: 'POST', url: '/api/v1/admin/users/bad%20id/suspend', payload: { reason: 'a good reason' }, status: 400 },
      { method: 'POST', url: '/api/v1/admin/users/user-1/suspend', payload: { reason: 'no' }, status: 400 },
      { method: 'POST', url: '/api/v1/admin/users/user-1/unsuspend', payload: '"text"', status: 400 },
    ];
    for (const { method, url, payload, status } of cases) {
      const res = await server.inject({ method, url, headers: { ...admin(), 'content-type': 'application/json' }, ...(payload !== undefined ? { payload } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(status);
      expect(res.json(), `${method} ${url}`).toMatchObject({ success: false, error: { code: expect.any(String), message: expect.any(String) } });
    }
  });
});
