import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildService } from '@foodxchange/service-kit';
import { bearer, startTestIssuer, type TestIssuer, dropDatabase, isolatedEnv } from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';
import { ruleSetModel, ruleSetVersionModel } from '../src/rules/model.js';
import { seedDefaultRuleSets } from '../src/rules/service.js';

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

function put(url: string, body: unknown, headers: Record<string, string> = {}) {
  return server.inject({
    method: 'PUT',
    url,
    headers: { 'content-type': 'application/json', ...admin(), ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const chRules = {
  name: 'Switzerland',
  description: 'Swiss food law (LMG): HACCP, allergen labelling, origin declaration',
  countries: ['CH', 'LI'],
  requiredCertifications: ['HACCP'],
  anyOfCertifications: ['ISO22000', 'FSSC22000'],
  allergenLabelling: { required: true, allergens: ['Gluten', 'MILK', 'nuts'] },
  originTracking: { required: true },
  expiryWarningDays: 45,
};

describe('default rule sets', () => {
  it('are seeded at start-up: EU, INTL, UK, US at version 1', async () => {
    const res = await server.inject({ url: '/api/v1/compliance/rules', headers: admin() });
    expect(res.statusCode).toBe(200);
    const markets = res.json().data;
    expect(markets.map((set: { market: string }) => set.market)).toEqual(['EU', 'INTL', 'UK', 'US']);
    for (const set of markets) expect(set.version).toBe(1);
  });

  it('give the EU HACCP + ISO 22000, the 14 allergens and mandatory origin tracking', async () => {
    const res = await server.inject({ url: '/api/v1/compliance/rules/EU', headers: admin() });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('"1"');
    const eu = res.json().data;
    expect(eu.requiredCertifications).toEqual(['HACCP', 'ISO22000']);
    expect(eu.allergenLabelling.required).toBe(true);
    expect(eu.allergenLabelling.allergens).toHaveLength(14);
    expect(eu.allergenLabelling.allergens).toEqual(expect.arrayContaining(['gluten', 'milk', 'nuts', 'lupin', 'molluscs']));
    expect(eu.originTracking).toEqual({ required: true });
    expect(eu.countries).toHaveLength(27);
  });

  it('give the US FDA registration and HACCP', async () => {
    const us = (await server.inject({ url: '/api/v1/compliance/rules/US', headers: admin() })).json().data;
    expect(us.requiredCertifications).toEqual(['FDA_REGISTERED', 'HACCP']);
  });

  it('seeding again creates nothing and keeps edits', async () => {
    const before = (await server.inject({ url: '/api/v1/compliance/rules/UK', headers: admin() })).json().data;
    const edited = await put('/api/v1/compliance/rules/UK', {
      name: before.name,
      requiredCertifications: ['HACCP', 'BRCGS'],
      allergenLabelling: before.allergenLabelling,
      originTracking: before.originTracking,
      expectedVersion: 1,
    });
    expect(edited.statusCode).toBe(200);
    expect(await seedDefaultRuleSets({ ruleSets: ruleSetModel(server.mongo), versions: ruleSetVersionModel(server.mongo) })).toBe(0);
    const after = (await server.inject({ url: '/api/v1/compliance/rules/UK', headers: admin() })).json().data;
    expect(after).toMatchObject({ version: 2, requiredCertifications: ['HACCP', 'BRCGS'], anyOfCertifications: [] });
  });
});

describe('GET /compliance/rules', () => {
  it('filters by delivery country through the market mapping', async () => {
    const de = await server.inject({ url: '/api/v1/compliance/rules?country=DE', headers: admin() });
    expect(de.json().data.map((set: { market: string }) => set.market)).toEqual(['EU']);
    const br = await server.inject({ url: '/api/v1/compliance/rules?country=BR', headers: admin() });
    expect(br.json().data.map((set: { market: string }) => set.market)).toEqual(['INTL']);
  });

  it('rejects a malformed country and unknown query parameters', async () => {
    const lower = await server.inject({ url: '/api/v1/compliance/rules?country=de', headers: admin() });
    expect(lower.statusCode).toBe(400);
    expect(lower.json().error.fields).toHaveProperty(['querystring.country']);
    const unknown = await server.inject({ url: '/api/v1/compliance/rules?colour=red', headers: admin() });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.fields).toEqual({ 'querystring.colour': ['is not allowed'] });
  });

  it('answers 404 for a market without a rule set and 400 for a malformed market', async () => {
    const missing = await server.inject({ url: '/api/v1/compliance/rules/ZZ', headers: admin() });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
    const bad = await server.inject({ url: '/api/v1/compliance/rules/eu-1', headers: admin() });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR', fields: { 'params.market': expect.any(Array) } } });
  });
});

describe('PUT /compliance/rules/:market', () => {
  it('replaces a rule set and increments its version (expectedVersion in the body)', async () => {
    const current = (await server.inject({ url: '/api/v1/compliance/rules/US', headers: admin() })).json().data;
    const res = await put('/api/v1/compliance/rules/US', {
      name: 'United States',
      requiredCertifications: ['FDA_REGISTERED', 'HACCP'],
      anyOfCertifications: [],
      allergenLabelling: { required: true, allergens: [...current.allergenLabelling.allergens, 'Coconut'] },
      originTracking: { required: false },
      expectedVersion: current.version,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe(`"${current.version + 1}"`);
    expect(res.json().data).toMatchObject({ market: 'US', version: current.version + 1, originTracking: { required: false } });
    expect(res.json().data.allergenLabelling.allergens).toContain('coconut');
    expect(Date.parse(res.json().data.updatedAt)).toBeGreaterThanOrEqual(Date.parse(current.updatedAt));
  });

  it('answers 409 when the version moved on (lost update prevented)', async () => {
    const current = (await server.inject({ url: '/api/v1/compliance/rules/INTL', headers: admin() })).json().data;
    const body = {
      name: current.name,
      requiredCertifications: ['HACCP'],
      allergenLabelling: current.allergenLabelling,
      originTracking: current.originTracking,
    };
    const first = await put('/api/v1/compliance/rules/INTL', { ...body, expectedVersion: current.version });
    expect(first.statusCode).toBe(200);
    const stale = await put('/api/v1/compliance/rules/INTL', { ...body, name: 'Stale edit', expectedVersion: current.version });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({
      success: false,
      error: { code: 'CONFLICT', details: { market: 'INTL', expectedVersion: current.version, currentVersion: current.version + 1 } },
    });
    const unchanged = (await server.inject({ url: '/api/v1/compliance/rules/INTL', headers: admin() })).json().data;
    expect(unchanged.name).toBe(current.name);
  });

  it('accepts the version as If-Match', async () => {
    const got = await server.inject({ url: '/api/v1/compliance/rules/EU', headers: admin() });
    const eu = got.json().data;
    const body = {
      name: eu.name,
      description: eu.description,
      requiredCertifications: eu.requiredCertifications,
      allergenLabelling: eu.allergenLabelling,
      originTracking: eu.originTracking,
      expiryWarningDays: 60,
    };
    const res = await put('/api/v1/compliance/rules/EU', body, { 'if-match': got.headers.etag as string });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ version: eu.version + 1, expiryWarningDays: 60 });
    const stale = await put('/api/v1/compliance/rules/EU', body, { 'if-match': got.headers.etag as string });
    expect(stale.statusCode).toBe(409);
  });

  it('requires a version, and one that agrees between body and If-Match', async () => {
    const body = { name: 'x', requiredCertifications: [], allergenLabelling: { required: false, allergens: [] }, originTracking: { required: false } };
    const none = await put('/api/v1/compliance/rules/EU', body);
    expect(none.statusCode).toBe(400);
    expect(none.json().error.fields).toHaveProperty(['body.expectedVersion']);
    const disagree = await put('/api/v1/compliance/rules/EU', { ...body, expectedVersion: 1 }, { 'if-match': '"2"' });
    expect(disagree.statusCode).toBe(400);
    const badHeader = await put('/api/v1/compliance/rules/EU', body, { 'if-match': 'abc' });
    expect(badHeader.statusCode).toBe(400);
  });

  it('creates a country-specific market with expectedVersion 0, which then applies to that country', async () => {
    const created = await put('/api/v1/compliance/rules/CH', { ...chRules, expectedVersion: 0 });
    expect(created.statusCode).toBe(200);
    expect(created.json().data).toMatchObject({
      market: 'CH',
      version: 1,
      anyOfCertifications: ['ISO22000', 'FSSC22000'],
      allergenLabelling: { required: true, allergens: ['gluten', 'milk', 'nuts'] },
    });
    const again = await put('/api/v1/compliance/rules/CH', { ...chRules, expectedVersion: 0 });
    expect(again.statusCode).toBe(409);
    const forCh = await server.inject({ url: '/api/v1/compliance/rules?country=CH', headers: admin() });
    expect(forCh.json().data.map((set: { market: string }) => set.market)).toEqual(['CH']);
  });

  it('answers 404 when replacing a market that does not exist', async () => {
    const res = await put('/api/v1/compliance/rules/NZ', { ...chRules, expectedVersion: 1 });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
  });

  it('refuses a rule set for a country governed by a bloc, and malformed market codes', async () => {
    const fr = await put('/api/v1/compliance/rules/FR', { ...chRules, expectedVersion: 0 });
    expect(fr.statusCode).toBe(400);
    expect(fr.json().error.fields).toEqual({ 'params.market': ['FR belongs to market EU; edit the EU rule set'] });
    const lower = await put('/api/v1/compliance/rules/ch', { ...chRules, expectedVersion: 0 });
    expect(lower.statusCode).toBe(400);
    expect(lower.json().error.fields).toHaveProperty(['params.market']);
  });

  it('rejects unknown fields, missing fields and wrong types with field errors', async () => {
    const unknown = await put('/api/v1/compliance/rules/CH', { ...chRules, expectedVersion: 1, colour: 'red' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.fields).toEqual({ 'body.colour': ['is not allowed'] });

    const { name: _name, ...withoutName } = chRules;
    const missing = await put('/api/v1/compliance/rules/CH', { ...withoutName, expectedVersion: 1 });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.fields).toEqual({ 'body.name': ['is required'] });

    const wrongType = await put('/api/v1/compliance/rules/CH', {
      ...chRules,
      originTracking: { required: 'yes' },
      expiryWarningDays: -1,
      expectedVersion: 1,
    });
    expect(wrongType.statusCode).toBe(400);
    expect(Object.keys(wrongType.json().error.fields).sort()).toEqual(['body.expiryWarningDays', 'body.originTracking.required']);

    const badCert = await put('/api/v1/compliance/rules/CH', { ...chRules, requiredCertifications: ['HACCP', 'MAGIC'], expectedVersion: 1 });
    expect(badCert.statusCode).toBe(400);
    expect(badCert.json().error.fields).toHaveProperty(['body.requiredCertifications.1']);

    const nestedUnknown = await put('/api/v1/compliance/rules/CH', {
      ...chRules,
      allergenLabelling: { required: true, allergens: [], strict: true },
      expectedVersion: 1,
    });
    expect(nestedUnknown.json().error.fields).toEqual({ 'body.allergenLabelling.strict': ['is not allowed'] });
  });

  it('answers malformed JSON with the 400 envelope', async () => {
    const res = await put('/api/v1/compliance/rules/CH', '{"name": "Switzerland",');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
    const version = (await server.inject({ url: '/api/v1/compliance/rules/CH', headers: admin() })).json().data.version;
    expect(version).toBe(1);
  });
});

describe('concurrent edits and history', () => {
  it('lets exactly one of several concurrent editors of the same version win', async () => {
    for (let round = 0; round < 3; round += 1) {
      const current = (await server.inject({ url: '/api/v1/compliance/rules/US', headers: admin() })).json().data;
      const results = await Promise.all(
        ['a', 'b', 'c', 'd'].map((editor) =>
          put('/api/v1/compliance/rules/US', {
            name: `United States (${editor}${round})`,
            requiredCertifications: current.requiredCertifications,
            allergenLabelling: current.allergenLabelling,
            originTracking: current.originTracking,
            expectedVersion: current.version,
          }),
        ),
      );
      const statuses = results.map((res) => res.statusCode).sort();
      expect(statuses).toEqual([200, 409, 409, 409]);
      const winner = results.find((res) => res.statusCode === 200)!.json().data;
      const after = (await server.inject({ url: '/api/v1/compliance/rules/US', headers: admin() })).json().data;
      expect(after).toMatchObject({ version: current.version + 1, name: winner.name });
    }
  });

  it('lists every accepted version, newest first', async () => {
    const current = (await server.inject({ url: '/api/v1/compliance/rules/US', headers: admin() })).json().data;
    const res = await server.inject({ url: '/api/v1/compliance/rules/US/versions?limit=100', headers: admin() });
    expect(res.statusCode).toBe(200);
    const versions = res.json().data.map((item: { version: number }) => item.version);
    expect(versions).toEqual(Array.from({ length: current.version }, (_, index) => current.version - index));
    expect(res.json().data[0]).toMatchObject({ market: 'US', name: current.name, version: current.version });
    expect(res.json().data.at(-1)).toMatchObject({ version: 1, name: 'United States' });
    const missing = await server.inject({ url: '/api/v1/compliance/rules/NZ/versions', headers: admin() });
    expect(missing.statusCode).toBe(404);
  });

  it('applies a version whose writer died between claiming it and applying it', async () => {
    const current = (await server.inject({ url: '/api/v1/compliance/rules/INTL', headers: admin() })).json().data;
    const versions = ruleSetVersionModel(server.mongo);
    const { createdAt: _c, updatedAt: _u, ...definition } = current;
    // The claim of the next version exists, the current rule set was never moved forward.
    await versions.create({
      ...definition,
      _id: `INTL@${current.version + 1}`,
      name: 'Claimed by a writer that died',
      version: current.version + 1,
      createdAt: new Date(),
    });
    const res = await put('/api/v1/compliance/rules/INTL', {
      name: 'Late edit',
      requiredCertifications: ['HACCP'],
      allergenLabelling: current.allergenLabelling,
      originTracking: current.originTracking,
      expectedVersion: current.version,
    });
    expect(res.statusCode).toBe(409);
    const after = (await server.inject({ url: '/api/v1/compliance/rules/INTL', headers: admin() })).json().data;
    expect(after).toMatchObject({ version: current.version + 1, name: 'Claimed by a writer that died' });
  });
});
