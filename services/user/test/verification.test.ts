import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildService } from '@foodxchange/service-kit';
import { TOPICS, parseEvent, toKafkaMessage, type FoodXchangeEvent, type Topic } from '@foodxchange/contracts';
import {
  bearer,
  dropDatabase,
  isolatedEnv,
  readTopicFromNow,
  startTestIssuer,
  waitFor,
  type ReadRecord,
  type TestIssuer,
} from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';
import { companyModel } from '../src/companies/model.js';
import { onUserRegistered } from '../src/users/events.js';
import { event, handlerContext, registration } from './helpers.js';

type Reader = { records: ReadRecord[]; stop: () => Promise<void> };

let server: FastifyInstance;
let issuer: TestIssuer;
let created: Reader;
let updated: Reader;
let verified: Reader;

beforeAll(async () => {
  issuer = await startTestIssuer();
  server = await buildService(service, app, isolatedEnv('user', issuer.env));
  [created, updated, verified] = await Promise.all([
    readTopicFromNow(TOPICS.companyCreated),
    readTopicFromNow(TOPICS.companyUpdated),
    readTopicFromNow(TOPICS.companyVerified),
  ]);
});
afterAll(async () => {
  await Promise.all([created?.stop(), updated?.stop(), verified?.stop()]);
  await dropDatabase(server);
  await server.close();
  await issuer?.close();
});

interface Member {
  userId: string;
  companyId: string;
  headers: Record<string, string>;
}

async function member(role: 'buyer' | 'supplier' = 'supplier'): Promise<Member> {
  const registered = registration(role);
  await onUserRegistered(registered.event, handlerContext(server, TOPICS.userRegistered));
  return {
    userId: registered.userId,
    companyId: registered.companyId,
    headers: bearer(issuer.token({ sub: registered.userId, role, companyId: registered.companyId })),
  };
}

const adminId = 'usr-admin-verifier';
const adminHeaders = () => bearer(issuer.token({ sub: adminId, role: 'admin', companyId: null }));
const verify = (companyId: string, payload?: unknown, headers: Record<string, string> = {}) =>
  server.inject({ method: 'POST', url: `/api/v1/companies/${companyId}/verify`, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
const patchCompany = (id: string, payload: unknown, headers: Record<string, string>) =>
  server.inject({ method: 'PATCH', url: `/api/v1/companies/${id}`, headers, payload: payload as object });

/** A company's records on a topic, parsed against the contract (sentinels left out). */
function eventsFor<T extends Topic>(reader: Reader, topic: T, companyId: string): FoodXchangeEvent<T>[] {
  return reader.records
    .filter((record) => record.key === companyId && !record.headers['x-test-sentinel'])
    .map((record) => parseEvent(record.value!, topic) as FoodXchangeEvent<T>);
}

/**
 * Proves nothing more is on its way for a company on company.verified: everything staged is
 * flushed, then a sentinel with the same key (same partition, so read after anything published
 * before it) is produced and awaited.
 */
async function settledVerifications(companyId: string): Promise<FoodXchangeEvent<'company.verified'>[]> {
  await server.events.relay.flush();
  const sentinel = event(TOPICS.companyVerified, companyId, {
    companyId,
    name: 'sentinel',
    verifiedBy: 'sentinel',
    verifiedAt: new Date().toISOString(),
  });
  const message = toKafkaMessage(sentinel);
  await server.events.producer.send({
    topic: server.events.brokerTopic(TOPICS.companyVerified),
    messages: [{ ...message, headers: { ...message.headers, 'x-test-sentinel': '1' } }],
  });
  await waitFor(() => verified.records.some((record) => record.key === companyId && record.headers['x-test-sentinel']), {
    what: 'the sentinel company.verified',
  });
  return eventsFor(verified, TOPICS.companyVerified, companyId);
}

describe('POST /companies/:id/verify', () => {
  it('an admin verifies a company once: company.verified with who, when and the version; a second call is 200 and publishes nothing', async () => {
    const supplier = await member('supplier');
    const res = await verify(supplier.companyId, { note: 'Company registry extract and VAT number checked' }, adminHeaders());
    expect(res.statusCode, res.body).toBe(200);
    const company = res.json().data;
    expect(company).toMatchObject({
      view: 'full',
      id: supplier.companyId,
      verified: true,
      verification: { verified: true, verifiedBy: adminId, note: 'Company registry extract and VAT number checked' },
      version: 2,
    });
    const verifiedAt = company.verification.verifiedAt;
    expect(Date.parse(verifiedAt)).toBeGreaterThan(Date.now() - 60_000);

    const again = await verify(supplier.companyId, { note: 'checked twice' }, adminHeaders());
    expect(again.statusCode).toBe(200);
    expect(again.json().data).toMatchObject({ verification: { verifiedAt, note: 'Company registry extract and VAT number checked' }, version: 2 });

    // The company's own view and the public one show it.
    const own = await server.inject({ url: `/api/v1/companies/${supplier.companyId}`, headers: supplier.headers });
    expect(own.json().data.verification).toEqual({ verified: true, verifiedAt, verifiedBy: adminId, note: 'Company registry extract and VAT number checked' });
    const buyer = await member('buyer');
    const outside = await server.inject({ url: `/api/v1/companies/${supplier.companyId}`, headers: buyer.headers });
    expect(outside.json().data).toMatchObject({ view: 'public', verified: true, verifiedAt });
    expect(outside.json().data.verification).toBeUndefined();
    // GET /users/me's company summary too.
    const me = await server.inject({ url: '/api/v1/users/me', headers: supplier.headers });
    expect(me.json().data.company).toMatchObject({ id: supplier.companyId, verified: true });

    const events = await settledVerifications(supplier.companyId);
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toEqual({
      companyId: supplier.companyId,
      name: 'Nordic Fresh Foods AB',
      type: 'supplier',
      country: 'SE',
      verified: true,
      verifiedBy: adminId,
      verifiedAt,
      note: 'Company registry extract and VAT number checked',
      version: 2,
    });
    const doc = await companyModel(server.mongo).findById(supplier.companyId).lean();
    expect(doc!.outbox.map((entry) => entry.topic)).toEqual([TOPICS.companyCreated, TOPICS.companyVerified]);
  });

  it('takes an empty body (no note)', async () => {
    const buyer = await member('buyer');
    for (const payload of [undefined, {}]) {
      const company = await member('supplier');
      const res = await verify(company.companyId, payload, adminHeaders());
      expect(res.statusCode, `${JSON.stringify(payload)}: ${res.body}`).toBe(200);
      expect(res.json().data.verification.note).toBeUndefined();
    }
    expect((await verify(buyer.companyId, {}, adminHeaders())).json().data.verified).toBe(true);
  });

  it('is for platform admins only: suppliers and buyers 403 (their own company too), anonymous 401; bad input 400; unknown company 404', async () => {
    const supplier = await member('supplier');
    const buyer = await member('buyer');
    for (const caller of [supplier, buyer]) {
      for (const target of [supplier.companyId, buyer.companyId]) {
        const res = await verify(target, {}, caller.headers);
        expect(res.statusCode).toBe(403);
        expect(res.json().error.code).toBe('AUTHORIZATION_ERROR');
      }
    }
    // A company user whose token somehow carries company:verify is still no admin.
    const smuggled = bearer(issuer.token({ sub: supplier.userId, role: 'supplier', companyId: supplier.companyId, permissions: ['company:verify'] }));
    expect((await verify(supplier.companyId, {}, smuggled)).statusCode).toBe(403);
    expect((await verify(supplier.companyId, {})).statusCode).toBe(401);

    for (const [payload, field] of [
      [{ note: 'NUL \u0000 here' }, 'body.note'],
      [{ note: 'x'.repeat(2001) }, 'body.note'],
      [{ verified: false }, 'body.verified'],
    ] as const) {
      const res = await verify(supplier.companyId, payload, adminHeaders());
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(Object.keys(res.json().error.fields ?? {})).toContain(field);
    }
    expect((await verify('cmp-unknown', {}, adminHeaders())).statusCode).toBe(404);

    const doc = await companyModel(server.mongo).findById(supplier.companyId).lean();
    expect(doc).toMatchObject({ verified: false, version: 1 });
  });
});

describe('company.created and company.updated', () => {
  it('company.created carries the version and the empty lists; every accepted PATCH publishes the profile after it', async () => {
    const supplier = await member('supplier');
    await waitFor(() => eventsFor(created, TOPICS.companyCreated, supplier.companyId).length >= 1, { what: 'company.created' });
    expect(eventsFor(created, TOPICS.companyCreated, supplier.companyId)[0]!.data).toMatchObject({
      companyId: supplier.companyId,
      marketsServed: [],
      categories: [],
      certifications: [],
      version: 1,
    });

    const first = await patchCompany(supplier.companyId, { name: 'Olivar SA', marketsServed: ['EU', 'UK'] }, supplier.headers);
    expect(first.statusCode).toBe(200);
    // Fields outside the event's profile still count as an edit (and a version).
    expect((await patchCompany(supplier.companyId, { website: 'https://olivar.example' }, supplier.headers)).statusCode).toBe(200);
    const byAdmin = await patchCompany(supplier.companyId, { categories: ['oils-and-fats'] }, adminHeaders());
    expect(byAdmin.statusCode).toBe(200);
    // Refused edits publish nothing.
    expect((await patchCompany(supplier.companyId, { name: '' }, supplier.headers)).statusCode).toBe(400);

    await waitFor(() => eventsFor(updated, TOPICS.companyUpdated, supplier.companyId).length >= 3, { what: 'three company.updated' });
    const events = eventsFor(updated, TOPICS.companyUpdated, supplier.companyId);
    expect(events.map((sent) => sent.data)).toEqual([
      { companyId: supplier.companyId, name: 'Olivar SA', country: 'SE', type: 'supplier', marketsServed: ['EU', 'UK'], categories: [], version: 2, updatedAt: first.json().data.updatedAt },
      expect.objectContaining({ name: 'Olivar SA', marketsServed: ['EU', 'UK'], categories: [], version: 3 }),
      expect.objectContaining({ name: 'Olivar SA', marketsServed: ['EU', 'UK'], categories: ['oils-and-fats'], version: 4, updatedAt: byAdmin.json().data.updatedAt }),
    ]);
    expect(events[0]!.subject).toBe(supplier.companyId);
    const doc = await companyModel(server.mongo).findById(supplier.companyId).lean();
    expect(doc!.outbox.filter((entry) => entry.topic === TOPICS.companyUpdated)).toHaveLength(3);
  });
});
