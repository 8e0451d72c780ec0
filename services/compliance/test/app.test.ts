import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildService } from '@foodxchange/service-kit';
import { bearer, startTestIssuer, type TestIssuer, dropDatabase, isolatedEnv } from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';

let server: FastifyInstance;
let issuer: TestIssuer;
/** A platform admin: may do everything (the tests below that are about access say otherwise). */
const admin = () => bearer(issuer.token({ role: 'admin', companyId: null }));
beforeAll(async () => {
  issuer = await startTestIssuer();
  server = await buildService(service, app, isolatedEnv('compliance', issuer.env));
});
afterAll(async () => {
  await dropDatabase(server);
  await server.close();
  await issuer.close();
});

describe('compliance service', () => {
  it('is ready once its dependencies answer', async () => {
    const res = await server.inject({ url: '/health', headers: admin() });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ status: 'ok', service: 'compliance' });
    expect(Object.keys(res.json().data.checks).sort()).toEqual(['kafka', 'mongo']);
  });

  it('answers unknown routes with the 404 envelope', async () => {
    const res = await server.inject({ method: 'POST', url: '/api/v1/compliance/does-not-exist', headers: admin() });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
  });

  it('publishes its OpenAPI document', async () => {
    const doc = (await server.inject({ url: '/openapi.json', headers: admin() })).json();
    expect(doc.info.title).toBe('FoodXchange compliance service');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/compliance/rules',
        '/api/v1/compliance/rules/{market}',
        '/api/v1/compliance/rules/{market}/versions',
        '/api/v1/compliance/validate',
        '/api/v1/compliance/checks',
        '/api/v1/compliance/checks/{id}',
      ]),
    );
    expect(doc.paths['/api/v1/compliance/rules/{market}'].put.requestBody).toBeDefined();
  });
});

describe('markets reference', () => {
  it('lists which delivery countries each bloc governs', async () => {
    const res = await server.inject({ url: '/api/v1/compliance/markets', headers: admin() });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=3600');
    const { blocs, baseline } = res.json().data;
    expect(baseline).toBe('INTL');
    expect(blocs.find((b: { market: string }) => b.market === 'EU').countries).toHaveLength(27);
    expect(blocs.find((b: { market: string }) => b.market === 'UK').countries).toEqual(['GB']);
  });
});
