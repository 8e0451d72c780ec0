import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildService } from '@foodxchange/service-kit';
import { bearer, dropDatabase, isolatedEnv, startTestIssuer, type TestIssuer } from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';

let server: FastifyInstance;
let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer();
  server = await buildService(service, app, isolatedEnv('compliance', issuer.env));
});
afterAll(async () => {
  await dropDatabase(server);
  await server.close();
  await issuer.close();
});

const future = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const supply = (supplierCompanyId: string) => ({
  market: 'EU',
  supplier: {
    companyId: supplierCompanyId,
    name: 'Olivar SA',
    certifications: [
      { type: 'HACCP', number: 'H-1', issuedBy: 'Bureau Veritas', validFrom: '2024-01-01', validUntil: future(300) },
      { type: 'ISO22000', number: 'I-1', issuedBy: 'SGS', validFrom: '2024-01-01', validUntil: future(300) },
    ],
  },
  products: [{ name: 'Olive oil', allergens: [], labelledAllergens: [], originCountry: 'ES' }],
});

const validate = (headers: Record<string, string>, body: unknown) =>
  server.inject({ method: 'POST', url: '/api/v1/compliance/validate', headers, payload: body as object });

describe('compliance access', () => {
  it('rules and markets are public; validate, checks and rule edits are not (401, whatever the body)', async () => {
    expect((await server.inject({ url: '/api/v1/compliance/markets' })).statusCode).toBe(200);
    expect((await server.inject({ url: '/api/v1/compliance/rules' })).statusCode).toBe(200);
    expect((await server.inject({ url: '/api/v1/compliance/rules/EU' })).statusCode).toBe(200);
    expect((await server.inject({ url: '/api/v1/compliance/rules/EU/versions' })).statusCode).toBe(200);
    const anonymous = [
      await validate({}, supply('s-1')),
      await validate({}, { nonsense: true }),
      await server.inject({ method: 'POST', url: '/api/v1/compliance/validate', payload: '{broken', headers: { 'content-type': 'application/json' } }),
      await server.inject({ url: '/api/v1/compliance/checks' }),
      await server.inject({ url: `/api/v1/compliance/checks/${randomUUID()}` }),
      await server.inject({ method: 'PUT', url: '/api/v1/compliance/rules/EU', payload: {} }),
      await server.inject({ url: '/ops/outbox/quarantine' }),
    ];
    for (const res of anonymous) {
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('AUTHENTICATION_ERROR');
    }
  });

  it('only admins edit rule sets: buyers and suppliers get 403', async () => {
    for (const role of ['buyer', 'supplier'] as const) {
      const res = await server.inject({ method: 'PUT', url: '/api/v1/compliance/rules/EU', headers: bearer(issuer.token({ role })), payload: {} });
      expect(res.statusCode).toBe(403);
    }
    // An admin passes access and reaches validation.
    const res = await server.inject({
      method: 'PUT',
      url: '/api/v1/compliance/rules/EU',
      headers: bearer(issuer.token({ role: 'admin', companyId: null })),
      payload: {},
    });
    expect(res.statusCode).toBe(400);
  });

  it('refuses forged, unsigned, HS256-confused, expired and foreign tokens when called directly', async () => {
    for (const token of [
      issuer.forged(),
      issuer.unsigned(),
      issuer.hs256WithPublicKey(),
      issuer.token({ expiresIn: -5 }),
      issuer.token({ iss: 'someone-else' }),
      issuer.token({ aud: 'another-api' }),
      issuer.token({ kid: 'unknown-kid' }),
    ]) {
      expect((await validate(bearer(token), supply('s-1'))).statusCode).toBe(401);
    }
  });

  it("a company sees its own checks (as requester, buyer or supplier) and never another company's", async () => {
    const buyerA = issuer.token({ role: 'buyer', companyId: `buyer-a-${randomUUID()}` });
    const supplierCompanyId = `supplier-${randomUUID()}`;
    const created = await validate(bearer(buyerA), supply(supplierCompanyId));
    expect(created.statusCode).toBe(201);
    const checkId = created.json().data.id as string;

    const own = await server.inject({ url: `/api/v1/compliance/checks/${checkId}`, headers: bearer(buyerA) });
    expect(own.statusCode).toBe(200);
    const supplier = bearer(issuer.token({ role: 'supplier', companyId: supplierCompanyId }));
    expect((await server.inject({ url: `/api/v1/compliance/checks/${checkId}`, headers: supplier })).statusCode).toBe(200);

    const buyerB = bearer(issuer.token({ role: 'buyer', companyId: `buyer-b-${randomUUID()}` }));
    const foreign = await server.inject({ url: `/api/v1/compliance/checks/${checkId}`, headers: buyerB });
    expect(foreign.statusCode).toBe(404);
    const listB = await server.inject({ url: '/api/v1/compliance/checks?limit=100', headers: buyerB });
    expect(listB.json().data.map((check: { id: string }) => check.id)).not.toContain(checkId);
    const listA = await server.inject({ url: '/api/v1/compliance/checks?limit=100', headers: bearer(buyerA) });
    expect(listA.json().data.map((check: { id: string }) => check.id)).toEqual([checkId]);

    const admin = bearer(issuer.token({ role: 'admin', companyId: null }));
    expect((await server.inject({ url: `/api/v1/compliance/checks/${checkId}`, headers: admin })).statusCode).toBe(200);
  });
});
