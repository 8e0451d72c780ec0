import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildService } from '@foodxchange/service-kit';
import { bearer, dropDatabase, isolatedEnv, startTestIssuer, uniqueSuffix, type TestIssuer } from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';
import { dropIndexes } from './matching-fixture.js';

let server: FastifyInstance;
let issuer: TestIssuer;
const alias = `test-products-match-http-${uniqueSuffix()}`;

beforeAll(async () => {
  issuer = await startTestIssuer();
  server = await buildService(service, app, isolatedEnv('catalog', { ...issuer.env, SEARCH_INDEX_ALIAS: alias }));
});
afterAll(async () => {
  await dropIndexes(server, alias);
  await dropDatabase(server);
  await server?.close();
  await issuer?.close();
});

const valid = () => ({
  items: [{ name: 'cherry tomatoes', category: 'vegetables.tomatoes', quantity: 500, unit: 'kg', targetUnitPrice: 2.5, currency: 'EUR' }],
  requiredCertifications: ['HACCP'],
  deliveryCountry: 'DE',
});

function match(body: unknown, headers: Record<string, string> = bearer(issuer.token({ role: 'buyer' }))) {
  return server.inject({
    method: 'POST',
    url: '/api/v1/suppliers/match',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('POST /api/v1/suppliers/match: access and bad input', () => {
  it('refuses anonymous and forged callers with 401', async () => {
    for (const headers of [{}, bearer(issuer.forged()), bearer(issuer.token({ expiresIn: -60 }))]) {
      const res = await match(valid(), headers);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ success: false, error: { code: 'AUTHENTICATION_ERROR' }, metadata: { requestId: expect.any(String) } });
    }
  });

  it('answers every bad field with a 400 naming it', async () => {
    const item = valid().items[0]!;
    const cases: Array<[unknown, string]> = [
      [{ ...valid(), items: [] }, 'body.items'],
      [{ ...valid(), items: Array.from({ length: 101 }, () => item) }, 'body.items'],
      [{ ...valid(), items: [{ ...item, quantity: 0 }] }, 'body.items.0.quantity'],
      [{ ...valid(), items: [{ ...item, quantity: -5 }] }, 'body.items.0.quantity'],
      [{ ...valid(), items: [{ ...item, category: 'vegetables.kale-chips' }] }, 'body.items.0.category'],
      [{ ...valid(), items: [{ ...item, currency: 'XYZ' }] }, 'body.items.0.currency'],
      [{ ...valid(), items: [{ ...item, targetUnitPrice: -1 }] }, 'body.items.0.targetUnitPrice'],
      [{ ...valid(), items: [{ ...item, targetUnitPrice: 2.345 }] }, 'body.items.0.targetUnitPrice'],
      [{ ...valid(), items: [{ ...item, name: 'x'.repeat(201) }] }, 'body.items.0.name'],
      [{ ...valid(), items: [{ ...item, name: '   ' }] }, 'body.items.0.name'],
      [{ ...valid(), items: [{ ...item, unit: '' }] }, 'body.items.0.unit'],
      [{ ...valid(), items: [{ ...item, colour: 'red' }] }, 'body.items.0.colour'],
      [{ ...valid(), requiredCertifications: ['HACCP', 'ISO9001'] }, 'body.requiredCertifications.1'],
      [{ ...valid(), requiredCertifications: ['HACCP', 'HACCP'] }, 'body.requiredCertifications'],
      [{ ...valid(), deliveryCountry: 'de' }, 'body.deliveryCountry'],
      [{ ...valid(), deliveryCountry: 'XX' }, 'body.deliveryCountry'],
      [{ ...valid(), deliveryDate: 'next week' }, 'body.deliveryDate'],
      [{ items: valid().items, requiredCertifications: [] }, 'body.deliveryCountry'],
    ];
    for (const [body, field] of cases) {
      const res = await match(body);
      expect(res.statusCode, `${field}: ${res.body}`).toBe(400);
      expect(res.json()).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' }, metadata: { requestId: expect.any(String) } });
      expect(Object.keys(res.json().error.fields ?? {}), `${JSON.stringify(body).slice(0, 200)} → ${res.body}`).toContain(field);
    }
  });

  it('needs a currency for a target price', async () => {
    const { currency: _, ...withoutCurrency } = valid().items[0]!;
    const res = await match({ ...valid(), items: [withoutCurrency] });
    expect(res.statusCode).toBe(400);
    expect(JSON.stringify(res.json().error.fields)).toContain('currency');
  });

  it('answers 503 while the product index is missing, and matches again once it is back', async () => {
    const concrete = Object.keys(await server.elastic.indices.getAlias({ name: alias }));
    await server.elastic.indices.updateAliases({ actions: concrete.map((index) => ({ remove: { index, alias } })) });
    try {
      const res = await match(valid());
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ success: false, error: { code: 'SERVICE_UNAVAILABLE' } });
    } finally {
      await server.elastic.indices.updateAliases({ actions: concrete.map((index) => ({ add: { index, alias } })) });
    }
    const back = await match(valid());
    expect(back.statusCode).toBe(200);
    expect(back.json().data).toEqual([]);
  });

  it('is documented with its body and response schemas', async () => {
    const doc = (await server.inject({ url: '/openapi.json' })).json();
    const operation = doc.paths['/api/v1/suppliers/match'].post;
    expect(operation.requestBody).toBeDefined();
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '400', '401']));
  });
});
