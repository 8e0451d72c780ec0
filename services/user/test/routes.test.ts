import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildService } from '@foodxchange/service-kit';
import { TOPICS } from '@foodxchange/contracts';
import { bearer, dropDatabase, isolatedEnv, startTestIssuer, type TestIssuer } from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';
import { companyModel } from '../src/companies/model.js';
import { onUserRegistered } from '../src/users/events.js';
import { handlerContext, registration } from './helpers.js';

let server: FastifyInstance;
let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer();
  server = await buildService(service, app, isolatedEnv('user', issuer.env));
});
afterAll(async () => {
  await dropDatabase(server);
  await server.close();
  await issuer?.close();
});

interface Member {
  userId: string;
  companyId: string;
  headers: Record<string, string>;
}

/** A registered buyer or supplier (the consumer's handler, called directly) and their token. */
async function member(role: 'buyer' | 'supplier' = 'buyer'): Promise<Member> {
  const { userId, companyId, event } = registration(role);
  await onUserRegistered(event, handlerContext(server, TOPICS.userRegistered));
  return { userId, companyId, headers: bearer(issuer.token({ sub: userId, role, companyId })) };
}

const adminHeaders = () => bearer(issuer.token({ role: 'admin', companyId: null }));
const getCompany = (id: string, headers: Record<string, string> = {}) => server.inject({ url: `/api/v1/companies/${id}`, headers });
const patchCompany = (id: string, payload: unknown, headers: Record<string, string> = {}) =>
  server.inject({ method: 'PATCH', url: `/api/v1/companies/${id}`, headers, payload: payload as object });
const patchMe = (payload: unknown, headers: Record<string, string> = {}) =>
  server.inject({ method: 'PATCH', url: '/api/v1/users/me', headers, payload: payload as object });

const fullEdit = {
  description: 'Cold-pressed oils since 1952',
  address: { line1: 'Calle Mayor 1', city: 'Jaén', postalCode: '23001', country: 'ES' },
  website: 'https://olivar.example',
  phone: '+34 953 000 000',
  marketsServed: ['EU', 'UK'],
  categories: ['olive-oil', 'vinegar'],
};

describe('GET /users/me', () => {
  it("answers the caller's profile; a 404 that says 'not ready yet' before the registration was consumed", async () => {
    const buyer = await member('buyer');
    const res = await server.inject({ url: '/api/v1/users/me', headers: buyer.headers });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ success: true, data: { id: buyer.userId, role: 'buyer', company: { id: buyer.companyId, type: 'buyer' } } });

    const early = await server.inject({ url: '/api/v1/users/me', headers: bearer(issuer.token({ sub: 'usr-not-consumed-yet' })) });
    expect(early.statusCode).toBe(404);
    expect(early.json()).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
    expect(early.json().error.message).toMatch(/not ready yet/);

    expect((await server.inject({ url: '/api/v1/users/me' })).statusCode).toBe(401);
    const notReady = await patchMe({ name: 'Early' }, bearer(issuer.token({ sub: 'usr-not-consumed-yet' })));
    expect(notReady.statusCode).toBe(404);
    expect(notReady.json().error.message).toMatch(/not ready yet/);
  });
});

describe('PATCH /users/me', () => {
  it('changes name, phone, job title and locale; null removes one', async () => {
    const buyer = await member('buyer');
    const res = await patchMe({ name: 'Anna L.', phone: '+46 8 123 45 67', jobTitle: 'Head of Sourcing', locale: 'sv-SE' }, buyer.headers);
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ name: 'Anna L.', phone: '+46 8 123 45 67', jobTitle: 'Head of Sourcing', locale: 'sv-SE' });
    const cleared = await patchMe({ jobTitle: null }, buyer.headers);
    expect(cleared.json().data.jobTitle).toBeUndefined();
    expect(cleared.json().data.name).toBe('Anna L.');
    const again = await server.inject({ url: '/api/v1/users/me', headers: buyer.headers });
    expect(again.json().data).toMatchObject({ name: 'Anna L.', locale: 'sv-SE' });
  });

  it('refuses bad input with field errors (never a 500), and anonymous callers with 401 whatever the body', async () => {
    const buyer = await member('buyer');
    const cases: [unknown, string][] = [
      [{}, 'body'],
      [{ role: 'admin' }, 'body.role'],
      [{ email: 'x@example.test' }, 'body.email'],
      [{ name: '' }, 'body.name'],
      [{ name: '   ' }, 'body.name'],
      [{ name: 'x'.repeat(201) }, 'body.name'],
      [{ name: 'Ann\u0000a' }, 'body.name'],
      [{ name: 'Ann\u0007a' }, 'body.name'],
      [{ name: 42 }, 'body.name'],
      [{ phone: 'call me' }, 'body.phone'],
      [{ locale: 'english please' }, 'body.locale'],
      [{ jobTitle: 'x'.repeat(101) }, 'body.jobTitle'],
    ];
    for (const [body, field] of cases) {
      const res = await patchMe(body, buyer.headers);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_ERROR');
      expect(Object.keys(res.json().error.fields ?? {}), JSON.stringify(body)).toContain(field);
    }
    for (const body of [{ name: 'ok' }, {}, { role: 'admin' }, 'not json']) {
      expect((await patchMe(body)).statusCode).toBe(401);
    }
  });
});

describe('GET /companies/:id', () => {
  it('members and admins see everything; other signed-in users the public profile; anonymous callers 401', async () => {
    const supplier = await member('supplier');
    expect((await patchCompany(supplier.companyId, fullEdit, supplier.headers)).statusCode).toBe(200);

    const own = await getCompany(supplier.companyId, supplier.headers);
    expect(own.statusCode).toBe(200);
    expect(own.json().data).toMatchObject({
      view: 'full',
      id: supplier.companyId,
      type: 'supplier',
      verified: false,
      address: fullEdit.address,
      website: fullEdit.website,
      phone: fullEdit.phone,
      marketsServed: ['EU', 'UK'],
      categories: ['olive-oil', 'vinegar'],
      members: [{ userId: supplier.userId, role: 'supplier', name: 'Anna Lindqvist', email: `${supplier.userId}@example.test` }],
      verification: { verified: false },
      version: 2,
    });
    // Members don't see account status; admins do.
    expect(own.json().data.members[0].status).toBeUndefined();
    const asAdmin = await getCompany(supplier.companyId, adminHeaders());
    expect(asAdmin.json().data).toMatchObject({ view: 'full', members: [{ userId: supplier.userId, status: 'active' }] });

    const stranger = await member('buyer');
    const outside = await getCompany(supplier.companyId, stranger.headers);
    expect(outside.statusCode).toBe(200);
    expect(outside.json().data).toEqual({
      view: 'public',
      id: supplier.companyId,
      name: 'Nordic Fresh Foods AB',
      type: 'supplier',
      country: 'SE',
      verified: false,
      description: fullEdit.description,
      marketsServed: ['EU', 'UK'],
      categories: ['olive-oil', 'vinegar'],
      certifications: [],
    });

    const anonymous = await getCompany(supplier.companyId);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error.code).toBe('AUTHENTICATION_ERROR');
    expect((await getCompany('cmp-unknown', supplier.headers)).statusCode).toBe(404);
  });

  it('refuses malformed and huge ids with 4xx envelopes', async () => {
    const buyer = await member('buyer');
    for (const id of ['bad%20id', '%00', 'x'.repeat(129)]) {
      const res = await getCompany(id, buyer.headers);
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(res.json().success).toBe(false);
    }
  });
});

describe('PATCH /companies/:id', () => {
  it('its members edit it; another company gets 404 and anonymous callers 401, whatever the body; admins may', async () => {
    const buyer = await member('buyer');
    const edited = await patchCompany(buyer.companyId, { name: 'Nordic Fresh Foods AB (publ)', marketsServed: ['EU'] }, buyer.headers);
    expect(edited.statusCode).toBe(200);
    expect(edited.json().data).toMatchObject({ view: 'full', name: 'Nordic Fresh Foods AB (publ)', marketsServed: ['EU'], version: 2 });
    expect(edited.headers.etag).toBe('"2"');

    const other = await member('supplier');
    for (const body of [{ name: 'Hijacked' }, {}, { nonsense: true }]) {
      const res = await patchCompany(buyer.companyId, body, other.headers);
      expect(res.statusCode, JSON.stringify(body)).toBe(404);
      expect(res.json().error.code).toBe('NOT_FOUND');
    }
    for (const body of [{ name: 'Hijacked' }, {}, { nonsense: true }]) {
      const res = await patchCompany(buyer.companyId, body);
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('AUTHENTICATION_ERROR');
    }
    // A user of no company at all (e.g. a token without companyId) is no member either.
    const orphan = bearer(issuer.token({ role: 'buyer', companyId: null }));
    expect((await patchCompany(buyer.companyId, { name: 'Hijacked' }, orphan)).statusCode).toBe(404);

    const byAdmin = await patchCompany(buyer.companyId, { description: 'Checked by the platform' }, adminHeaders());
    expect(byAdmin.statusCode).toBe(200);
    expect(byAdmin.json().data).toMatchObject({ name: 'Nordic Fresh Foods AB (publ)', description: 'Checked by the platform', version: 3 });
    expect((await patchCompany('cmp-unknown', { name: 'Ghost' }, adminHeaders())).statusCode).toBe(404);

    // null removes an optional field; the others stay.
    await patchCompany(buyer.companyId, { website: 'https://nordic.example', address: { line1: 'Storgatan 1', city: 'Malmö', country: 'SE' } }, buyer.headers);
    const cleared = await patchCompany(buyer.companyId, { website: null, address: null, description: null }, buyer.headers);
    expect(cleared.statusCode).toBe(200);
    for (const field of ['website', 'address', 'description']) expect(cleared.json().data[field], field).toBeUndefined();
    expect(cleared.json().data.marketsServed).toEqual(['EU']);

    const unchanged = await companyModel(server.mongo).findById(buyer.companyId).lean();
    expect(unchanged!.name).toBe('Nordic Fresh Foods AB (publ)');
    expect(unchanged!.address).toBeUndefined();
    // Every accepted edit (four here: three by members, one by an admin) stages company.updated.
    expect(unchanged!.outbox.map((entry) => entry.topic)).toEqual([TOPICS.companyCreated, ...Array(4).fill(TOPICS.companyUpdated)]);
  });

  it('refuses bad input with field errors', async () => {
    const buyer = await member('buyer');
    const cases: [unknown, string][] = [
      [{}, 'body'],
      [{ verified: true }, 'body.verified'],
      [{ type: 'supplier' }, 'body.type'],
      [{ name: '' }, 'body.name'],
      [{ website: 'javascript:alert(1)' }, 'body.website'],
      [{ marketsServed: ['eu'] }, 'body.marketsServed.0'],
      [{ marketsServed: ['EU', 'EU'] }, 'body.marketsServed'],
      [{ marketsServed: Array.from({ length: 21 }, (_, i) => `M${String.fromCharCode(65 + (i % 26))}${String.fromCharCode(65 + Math.floor(i / 26))}`) }, 'body.marketsServed'],
      [{ categories: Array.from({ length: 51 }, (_, i) => `cat-${i}`) }, 'body.categories'],
      [{ categories: ['x'.repeat(65)] }, 'body.categories.0'],
      [{ address: { line1: 'Main St 1', country: 'SE' } }, 'body.address'],
      [{ address: { line1: 'Main St 1', city: 'Malmö', country: 'Sweden' } }, 'body.address.country'],
      [{ address: { line1: 'Main St 1', city: 'Malmö', country: 'SE', floor: 3 } }, 'body.address.floor'],
      [{ description: 'x'.repeat(2001) }, 'body.description'],
      [{ description: 'NUL \u0000 here' }, 'body.description'],
    ];
    for (const [body, field] of cases) {
      const res = await patchCompany(buyer.companyId, body, buyer.headers);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_ERROR');
      expect(Object.keys(res.json().error.fields ?? {}), JSON.stringify(body)).toContain(field);
    }
  });

  it('keeps every change of concurrent edits (10 parallel PATCHes of different fields)', async () => {
    const supplier = await member('supplier');
    const edits: Record<string, unknown>[] = [
      { name: 'Olivar SA' },
      { description: 'Extra virgin olive oil' },
      { address: { line1: 'Calle Mayor 1', city: 'Jaén', country: 'ES' } },
      { website: 'https://olivar.example' },
      { phone: '+34 953 000 000' },
      { marketsServed: ['EU', 'US'] },
      { categories: ['olive-oil'] },
    ];
    // Three more members of the same company edit too (same aggregate, other people).
    const colleagues = await Promise.all(
      [1, 2, 3].map(async () => {
        const { userId, event } = registration('supplier', { companyId: supplier.companyId });
        await onUserRegistered(event, handlerContext(server, TOPICS.userRegistered));
        return bearer(issuer.token({ sub: userId, role: 'supplier', companyId: supplier.companyId }));
      }),
    );
    const results = await Promise.all([
      ...edits.map((edit) => patchCompany(supplier.companyId, edit, supplier.headers)),
      ...colleagues.map((headers, index) => patchMe({ jobTitle: `Colleague ${index}` }, headers)),
    ]);
    expect(results.map((res) => res.statusCode)).toEqual(Array(10).fill(200));

    const company = (await getCompany(supplier.companyId, supplier.headers)).json().data;
    expect(company).toMatchObject({
      name: 'Olivar SA',
      description: 'Extra virgin olive oil',
      address: { line1: 'Calle Mayor 1', city: 'Jaén', country: 'ES' },
      website: 'https://olivar.example',
      phone: '+34 953 000 000',
      marketsServed: ['EU', 'US'],
      categories: ['olive-oil'],
    });
    // 1 at creation, +3 colleagues joining, +7 edits.
    expect(company.version).toBe(11);
    expect(company.members).toHaveLength(4);
  });
});
