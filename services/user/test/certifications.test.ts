import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildService } from '@foodxchange/service-kit';
import { TOPICS, parseEvent, type FoodXchangeEvent } from '@foodxchange/contracts';
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
import { certificationStatus } from '../src/certifications/validity.js';
import { companyModel } from '../src/companies/model.js';
import { onUserRegistered } from '../src/users/events.js';
import { handlerContext, registration } from './helpers.js';

type Reader = { records: ReadRecord[]; stop: () => Promise<void> };

let server: FastifyInstance;
let issuer: TestIssuer;
let added: Reader;
let withdrawn: Reader;

beforeAll(async () => {
  issuer = await startTestIssuer();
  server = await buildService(service, app, isolatedEnv('user', issuer.env));
  [added, withdrawn] = await Promise.all([
    readTopicFromNow(TOPICS.companyCertificationAdded),
    readTopicFromNow(TOPICS.companyCertificationWithdrawn),
  ]);
});
afterAll(async () => {
  await Promise.all([added?.stop(), withdrawn?.stop()]);
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
async function member(role: 'buyer' | 'supplier' = 'supplier', companyId?: string): Promise<Member> {
  const registered = registration(role, companyId ? { companyId } : {});
  await onUserRegistered(registered.event, handlerContext(server, TOPICS.userRegistered));
  return {
    userId: registered.userId,
    companyId: registered.companyId,
    headers: bearer(issuer.token({ sub: registered.userId, role, companyId: registered.companyId })),
  };
}

const adminHeaders = () => bearer(issuer.token({ role: 'admin', companyId: null }));
const url = (companyId: string) => `/api/v1/companies/${companyId}/certifications`;
const addCertification = (companyId: string, payload: unknown, headers: Record<string, string> = {}) =>
  server.inject({ method: 'POST', url: url(companyId), headers, payload: payload as object });
const listCertifications = (companyId: string, headers: Record<string, string> = {}) => server.inject({ url: url(companyId), headers });
const withdraw = (companyId: string, certId: string, headers: Record<string, string> = {}) =>
  server.inject({ method: 'DELETE', url: `${url(companyId)}/${certId}`, headers });

// Far from today in both directions, so the statuses don't depend on when the test runs.
const validHaccp = { type: 'HACCP', number: 'ES-HACCP-2024-00871', issuedBy: 'Bureau Veritas Iberia', validFrom: '2020-01-01', validUntil: '2090-12-31' };
const expiredIfs = { type: 'IFS', number: 'IFS-778812', issuedBy: 'TÜV SÜD', validFrom: '2019-05-01', validUntil: '2021-04-30' };
const futureOrganic = {
  type: 'ORGANIC_EU',
  number: 'ES-ECO-020-AN',
  issuedBy: 'CAAE',
  validFrom: '2090-01-01T00:00:00.000Z',
  validUntil: '2095-12-31T23:59:59.999Z',
};

/** The events of one company on a topic, parsed against the contract (a bad one throws). */
function eventsFor<T extends 'company.certification-added' | 'company.certification-withdrawn'>(reader: Reader, topic: T, companyId: string) {
  return reader.records.filter((record) => record.key === companyId).map((record) => parseEvent(record.value!, topic) as FoodXchangeEvent<T>);
}

describe('certificate validity', () => {
  it('counts from validFrom to validUntil inclusive: a date is that whole UTC day, a date-time is exact', () => {
    const day = { validFrom: '2026-03-01', validUntil: '2026-03-31' };
    expect(certificationStatus(day, new Date('2026-03-01T00:00:00.000Z'))).toBe('valid');
    expect(certificationStatus(day, new Date('2026-03-31T23:59:59.999Z'))).toBe('valid');
    expect(certificationStatus(day, new Date('2026-04-01T00:00:00.000Z'))).toBe('expired');
    expect(certificationStatus(day, new Date('2026-02-28T23:59:59.999Z'))).toBe('not_yet_valid');
    const exact = { validFrom: '2026-03-01T12:00:00+02:00', validUntil: '2026-03-02T12:00:00Z' };
    expect(certificationStatus(exact, new Date('2026-03-01T09:59:59.999Z'))).toBe('not_yet_valid');
    expect(certificationStatus(exact, new Date('2026-03-01T10:00:00.000Z'))).toBe('valid');
    expect(certificationStatus(exact, new Date('2026-03-02T12:00:00.001Z'))).toBe('expired');
  });
});

describe('POST/GET /companies/:id/certifications', () => {
  it('adds certificates; members and admins see all with their status, everyone else only the valid ones; events carry the whole list', async () => {
    const supplier = await member('supplier');
    const created = [];
    for (const body of [validHaccp, expiredIfs, futureOrganic]) {
      const res = await addCertification(supplier.companyId, body, supplier.headers);
      expect(res.statusCode, res.body).toBe(201);
      created.push(res.json().data);
    }
    expect(created.map((certificate) => certificate.status)).toEqual(['valid', 'expired', 'not_yet_valid']);
    expect(created[0]).toMatchObject({ ...validHaccp, addedBy: supplier.userId });
    expect(created[0].id).toMatch(/^[0-9a-f-]{36}$/);

    const own = await listCertifications(supplier.companyId, supplier.headers);
    expect(own.statusCode).toBe(200);
    expect(own.json().data.map((c: { type: string; status: string }) => [c.type, c.status])).toEqual([
      ['HACCP', 'valid'],
      ['IFS', 'expired'],
      ['ORGANIC_EU', 'not_yet_valid'],
    ]);
    const byAdmin = await listCertifications(supplier.companyId, adminHeaders());
    expect(byAdmin.json().data).toHaveLength(3);

    // A buyer checking the supplier sees only what counts today, without the bookkeeping.
    const buyer = await member('buyer');
    const outside = await listCertifications(supplier.companyId, buyer.headers);
    expect(outside.statusCode).toBe(200);
    expect(outside.json().data).toEqual([{ id: created[0].id, ...validHaccp, status: 'valid' }]);

    // The company's views: the full one lists every certificate, the public one only the valid ones.
    const full = await server.inject({ url: `/api/v1/companies/${supplier.companyId}`, headers: supplier.headers });
    expect(full.json().data).toMatchObject({ view: 'full', version: 4 });
    expect(full.json().data.certifications.map((c: { status: string }) => c.status)).toEqual(['valid', 'expired', 'not_yet_valid']);
    const publicView = await server.inject({ url: `/api/v1/companies/${supplier.companyId}`, headers: buyer.headers });
    expect(publicView.json().data).toMatchObject({ view: 'public', certifications: [{ id: created[0].id, type: 'HACCP', status: 'valid' }] });
    expect(publicView.json().data.certifications).toHaveLength(1);

    expect((await listCertifications(supplier.companyId)).statusCode).toBe(401);
    expect((await listCertifications('cmp-unknown', buyer.headers)).statusCode).toBe(404);

    // One company.certification-added per addition, in order, each with the list after it and the version.
    await waitFor(() => eventsFor(added, TOPICS.companyCertificationAdded, supplier.companyId).length >= 3, { what: 'three certification-added events' });
    const events = eventsFor(added, TOPICS.companyCertificationAdded, supplier.companyId);
    expect(events).toHaveLength(3);
    expect(events.map((event) => event.data.version)).toEqual([2, 3, 4]);
    expect(events.map((event) => event.data.certification.id)).toEqual(created.map((certificate) => certificate.id));
    expect(events.map((event) => event.data.certifications.map((certificate) => certificate.id))).toEqual([
      [created[0].id],
      [created[0].id, created[1].id],
      created.map((certificate) => certificate.id),
    ]);
    expect(events[2]!.data.certifications[1]).toEqual({ id: created[1].id, ...expiredIfs });
    expect(events[0]!.data).toMatchObject({ companyId: supplier.companyId, companyName: 'Nordic Fresh Foods AB', addedBy: supplier.userId });
    expect(events[0]!.subject).toBe(supplier.companyId);
  });

  it('refuses the same type and number twice with 409 (case and blanks aside); another type with that number is fine', async () => {
    const supplier = await member('supplier');
    expect((await addCertification(supplier.companyId, validHaccp, supplier.headers)).statusCode).toBe(201);
    for (const number of [validHaccp.number, ` ${validHaccp.number.toLowerCase()} `]) {
      const res = await addCertification(supplier.companyId, { ...validHaccp, number, issuedBy: 'Someone else' }, supplier.headers);
      expect(res.statusCode, number).toBe(409);
      expect(res.json()).toMatchObject({ success: false, error: { code: 'CONFLICT' } });
    }
    expect((await addCertification(supplier.companyId, { ...validHaccp, type: 'ISO22000' }, supplier.headers)).statusCode).toBe(201);
    const list = (await listCertifications(supplier.companyId, supplier.headers)).json().data;
    expect(list.map((c: { type: string }) => c.type)).toEqual(['HACCP', 'ISO22000']);
  });

  it('holds at most the contract’s 100 certificates per company: the 101st is a 409', async () => {
    const supplier = await member('supplier');
    // Filled directly (a hundred POSTs would only slow the test down); the array as a whole, as the service writes it.
    const hundred = Array.from({ length: 100 }, (_, index) => ({
      id: `seeded-${index}`,
      ...validHaccp,
      number: `SEEDED-${index}`,
      addedBy: supplier.userId,
      addedAt: new Date(),
    }));
    await companyModel(server.mongo).updateOne({ _id: supplier.companyId }, { $set: { certifications: hundred } });
    const res = await addCertification(supplier.companyId, { ...validHaccp, number: 'ONE-TOO-MANY' }, supplier.headers);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.message).toMatch(/at most 100/);
    expect((await withdraw(supplier.companyId, 'seeded-0', supplier.headers)).statusCode).toBe(200);
    expect((await addCertification(supplier.companyId, { ...validHaccp, number: 'ONE-TOO-MANY' }, supplier.headers)).statusCode).toBe(201);
  });

  it('refuses bad input with field errors (never a 500)', async () => {
    const supplier = await member('supplier');
    const cases: [unknown, string][] = [
      [{ ...validHaccp, type: 'ISO9001' }, 'body.type'],
      [{ ...validHaccp, type: 'haccp' }, 'body.type'],
      [{ ...validHaccp, validFrom: '2025-06-30', validUntil: '2025-06-01' }, 'body.validUntil'],
      [{ ...validHaccp, validFrom: '2025-06-30T12:00:00Z', validUntil: '2025-06-30T11:59:59Z' }, 'body.validUntil'],
      [{ ...validHaccp, validFrom: '2025-02-30' }, 'body.validFrom'],
      [{ ...validHaccp, validUntil: 'next year' }, 'body.validUntil'],
      [{ ...validHaccp, number: 'ES\u0000HACCP' }, 'body.number'],
      [{ ...validHaccp, issuedBy: 'Bureau\u0007Veritas' }, 'body.issuedBy'],
      [{ ...validHaccp, number: '' }, 'body.number'],
      [{ ...validHaccp, number: '   ' }, 'body.number'],
      [{ ...validHaccp, number: 'X'.repeat(201) }, 'body.number'],
      [{ ...validHaccp, issuedBy: 'B'.repeat(201) }, 'body.issuedBy'],
      [{ ...validHaccp, status: 'valid' }, 'body.status'],
      [{ type: 'HACCP', number: 'N-1', issuedBy: 'SGS', validFrom: '2025-01-01' }, 'body.validUntil'],
    ];
    for (const [body, field] of cases) {
      const res = await addCertification(supplier.companyId, body, supplier.headers);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_ERROR');
      expect(Object.keys(res.json().error.fields ?? {}), JSON.stringify(body)).toContain(field);
    }
    // A one-day certificate (validFrom = validUntil) is fine.
    expect((await addCertification(supplier.companyId, { ...validHaccp, validFrom: '2025-06-30', validUntil: '2025-06-30' }, supplier.headers)).statusCode).toBe(201);
    const doc = await companyModel(server.mongo).findById(supplier.companyId).lean();
    expect(doc!.certifications).toHaveLength(1);
  });

  it("is for the company's own suppliers: buyers 403, another company 404 whatever the body, admins 403, anonymous 401", async () => {
    const supplier = await member('supplier');
    // A buyer of the same company lacks certification:manage.
    const colleague = await member('buyer', supplier.companyId);
    const asBuyer = await addCertification(supplier.companyId, validHaccp, colleague.headers);
    expect(asBuyer.statusCode).toBe(403);
    expect(asBuyer.json().error.code).toBe('AUTHORIZATION_ERROR');

    const other = await member('supplier');
    for (const body of [validHaccp, {}, { type: 'nonsense' }]) {
      const res = await addCertification(supplier.companyId, body, other.headers);
      expect(res.statusCode, JSON.stringify(body)).toBe(404);
      expect(res.json().error.code).toBe('NOT_FOUND');
    }
    const byAdmin = await addCertification(supplier.companyId, validHaccp, adminHeaders());
    expect(byAdmin.statusCode).toBe(403);
    for (const body of [validHaccp, {}]) expect((await addCertification(supplier.companyId, body)).statusCode).toBe(401);

    const doc = await companyModel(server.mongo).findById(supplier.companyId).lean();
    expect(doc!.certifications).toEqual([]);
    expect(doc!.outbox.map((entry) => entry.topic)).toEqual([TOPICS.companyCreated]);
  });
});

describe('concurrent changes of one company', () => {
  it('keeps every certificate of 4 parallel additions beside a profile edit (each save under the company lock)', async () => {
    const supplier = await member('supplier');
    const results = await Promise.all([
      ...Array.from({ length: 4 }, (_, index) => addCertification(supplier.companyId, { ...validHaccp, number: `ES-HACCP-${index}` }, supplier.headers)),
      server.inject({ method: 'PATCH', url: `/api/v1/companies/${supplier.companyId}`, headers: supplier.headers, payload: { categories: ['olive-oil'] } }),
    ]);
    expect(results.map((res) => res.statusCode)).toEqual([...Array(4).fill(201), 200]);
    const company = (await server.inject({ url: `/api/v1/companies/${supplier.companyId}`, headers: supplier.headers })).json().data;
    expect(company.certifications.map((c: { number: string }) => c.number).sort()).toEqual(Array.from({ length: 4 }, (_, index) => `ES-HACCP-${index}`));
    expect(company).toMatchObject({ categories: ['olive-oil'], version: 6 });
    // The last addition's event lists all the certificates added before it.
    await waitFor(() => eventsFor(added, TOPICS.companyCertificationAdded, supplier.companyId).length >= 4, { what: 'four certification-added events' });
    const events = eventsFor(added, TOPICS.companyCertificationAdded, supplier.companyId);
    expect(events.map((event) => event.data.certifications.length)).toEqual([1, 2, 3, 4]);
  });
});

describe('DELETE /companies/:id/certifications/:certId', () => {
  it('withdraws a certificate (members and admins) with company.certification-withdrawn carrying the list after it', async () => {
    const supplier = await member('supplier');
    const ids: string[] = [];
    for (const body of [validHaccp, expiredIfs, futureOrganic]) {
      ids.push((await addCertification(supplier.companyId, body, supplier.headers)).json().data.id);
    }

    const res = await withdraw(supplier.companyId, ids[1]!, supplier.headers);
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ withdrawn: { id: ids[1], type: 'IFS' }, version: 5 });
    expect(res.json().data.certifications.map((c: { id: string }) => c.id)).toEqual([ids[0], ids[2]]);
    // Already gone: 404.
    expect((await withdraw(supplier.companyId, ids[1]!, supplier.headers)).statusCode).toBe(404);
    expect((await withdraw(supplier.companyId, 'no-such-certificate', supplier.headers)).statusCode).toBe(404);

    const byAdmin = await withdraw(supplier.companyId, ids[2]!, adminHeaders());
    expect(byAdmin.statusCode).toBe(200);
    expect(byAdmin.json().data.certifications.map((c: { id: string }) => c.id)).toEqual([ids[0]]);

    const list = (await listCertifications(supplier.companyId, supplier.headers)).json().data;
    expect(list.map((c: { id: string }) => c.id)).toEqual([ids[0]]);
    // Withdrawn, the same certificate may be added again.
    expect((await addCertification(supplier.companyId, expiredIfs, supplier.headers)).statusCode).toBe(201);

    await waitFor(() => eventsFor(withdrawn, TOPICS.companyCertificationWithdrawn, supplier.companyId).length >= 2, { what: 'two certification-withdrawn events' });
    const events = eventsFor(withdrawn, TOPICS.companyCertificationWithdrawn, supplier.companyId);
    expect(events).toHaveLength(2);
    expect(events[0]!.data).toMatchObject({
      companyId: supplier.companyId,
      certificationId: ids[1],
      certification: { id: ids[1], ...expiredIfs },
      withdrawnBy: supplier.userId,
      version: 5,
    });
    expect(events[0]!.data.certifications.map((certificate) => certificate.id)).toEqual([ids[0], ids[2]]);
    expect(events[1]!.data).toMatchObject({ certificationId: ids[2], version: 6 });
    expect(events[1]!.data.certifications).toEqual([{ id: ids[0], ...validHaccp }]);
  });

  it('refuses buyers (403), another company (404) and anonymous callers (401)', async () => {
    const supplier = await member('supplier');
    const certId = (await addCertification(supplier.companyId, validHaccp, supplier.headers)).json().data.id;
    const colleague = await member('buyer', supplier.companyId);
    expect((await withdraw(supplier.companyId, certId, colleague.headers)).statusCode).toBe(403);
    const other = await member('supplier');
    expect((await withdraw(supplier.companyId, certId, other.headers)).statusCode).toBe(404);
    // Another company's certificate id under one's own company is not found either.
    expect((await withdraw(other.companyId, certId, other.headers)).statusCode).toBe(404);
    expect((await withdraw(supplier.companyId, certId)).statusCode).toBe(401);
    expect((await listCertifications(supplier.companyId, supplier.headers)).json().data).toHaveLength(1);
  });
});
