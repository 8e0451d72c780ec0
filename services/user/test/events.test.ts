import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildService } from '@foodxchange/service-kit';
import { TOPICS, parseEvent, toKafkaMessage } from '@foodxchange/contracts';
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
import { userProfileModel } from '../src/users/model.js';
import { onUserRegistered, onUserSuspended, onUserUnsuspended } from '../src/users/events.js';
import { event, handlerContext, produce, registration } from './helpers.js';

let server: FastifyInstance;
let issuer: TestIssuer;
let companyCreated: { records: ReadRecord[]; stop: () => Promise<void> };

beforeAll(async () => {
  issuer = await startTestIssuer();
  server = await buildService(service, app, isolatedEnv('user', issuer.env));
  companyCreated = await readTopicFromNow(TOPICS.companyCreated);
});
afterAll(async () => {
  await companyCreated?.stop();
  await dropDatabase(server);
  await server.close();
  await issuer?.close();
});

const profiles = () => userProfileModel(server.mongo);
const companies = () => companyModel(server.mongo);
const me = (userId: string, companyId?: string, role: 'buyer' | 'supplier' | 'admin' = 'buyer') =>
  server.inject({ url: '/api/v1/users/me', headers: bearer(issuer.token({ sub: userId, role, companyId: companyId ?? null })) });

/** company.created records the relay published for a company (the topic is shared with other runs). */
function publishedFor(companyId: string): ReadRecord[] {
  return companyCreated.records.filter((record) => record.key === companyId && !record.headers['x-test-sentinel']);
}

/**
 * Proves nothing more is on its way for a company: everything staged is flushed, then a sentinel
 * with the same key (same partition, so read after anything published before it) is produced and
 * awaited.
 */
async function settledFor(companyId: string): Promise<ReadRecord[]> {
  await server.events.relay.flush();
  const sentinel = event(TOPICS.companyCreated, companyId, {
    companyId,
    name: 'sentinel',
    country: 'SE',
    type: 'buyer',
    verified: false,
  });
  const message = toKafkaMessage(sentinel);
  await server.events.producer.send({
    topic: server.events.brokerTopic(TOPICS.companyCreated),
    messages: [{ ...message, headers: { ...message.headers, 'x-test-sentinel': '1' } }],
  });
  await waitFor(() => companyCreated.records.some((record) => record.key === companyId && record.headers['x-test-sentinel']), {
    what: 'the sentinel company.created',
  });
  return publishedFor(companyId);
}

/** Waits until every earlier user.registered keyed `key` was handled: a sentinel on the same partition. */
async function drainRegistrations(key: string): Promise<void> {
  const sentinel = registration('buyer', { companyId: undefined, company: undefined, role: 'admin' });
  await produce(server, sentinel.event, key);
  await waitFor(() => profiles().exists({ _id: sentinel.userId }), { what: 'the sentinel registration' });
}

describe('user.registered', () => {
  it('creates the profile and the company once, and publishes company.created once, when the event is delivered twice', async () => {
    const { userId, companyId, event: registered } = registration('supplier');
    await produce(server, registered);
    await produce(server, registered);
    await drainRegistrations(registered.subject);

    expect(await profiles().countDocuments({ _id: userId })).toBe(1);
    expect(await companies().countDocuments({ _id: companyId })).toBe(1);
    const company = await companies().findById(companyId).lean();
    expect(company).toMatchObject({ name: 'Nordic Fresh Foods AB', country: 'SE', type: 'supplier', verified: false, version: 1 });
    expect(company!.members.map((member) => member.userId)).toEqual([userId]);

    const records = await settledFor(companyId);
    expect(records).toHaveLength(1);
    const published = parseEvent(records[0]!.value, TOPICS.companyCreated);
    expect(published.data).toMatchObject({ companyId, name: 'Nordic Fresh Foods AB', country: 'SE', type: 'supplier', verified: false, createdByUserId: userId });
    expect(published.subject).toBe(companyId);
    expect(published.correlationid).toBe(registered.correlationid);

    const res = await me(userId, companyId, 'supplier');
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({
      id: userId,
      email: registered.data.email,
      name: 'Anna Lindqvist',
      role: 'supplier',
      companyId,
      status: 'active',
      company: { id: companyId, name: 'Nordic Fresh Foods AB', type: 'supplier', country: 'SE', verified: false },
    });
  });

  it('creates and publishes once when two replicas handle the same event at the same time, or auth sends it again with a new id', async () => {
    const { userId, companyId, event: registered } = registration('buyer');
    const context = handlerContext(server, TOPICS.userRegistered);
    await Promise.all([onUserRegistered(registered, context), onUserRegistered(registered, context)]);
    const again = event(TOPICS.userRegistered, userId, registered.data);
    await onUserRegistered(again, context);

    expect(await profiles().countDocuments({ _id: userId })).toBe(1);
    const company = await companies().findById(companyId).lean();
    expect(company!.members).toHaveLength(1);
    expect(company!.outbox).toHaveLength(1);
    expect(await settledFor(companyId)).toHaveLength(1);
  });

  it('takes the company type from the event when it says, else from the role', async () => {
    const both = registration('supplier', {});
    both.event.data.company = { name: 'Both Ways Ltd', country: 'GB', type: 'both' };
    await onUserRegistered(both.event, handlerContext(server, TOPICS.userRegistered));
    expect((await companies().findById(both.companyId).lean())!.type).toBe('both');
  });

  it('gives an admin a profile and no company', async () => {
    const admin = registration('buyer', { role: 'super_admin', companyId: undefined, company: undefined });
    await produce(server, admin.event);
    await waitFor(() => profiles().exists({ _id: admin.userId }), { what: 'the admin profile' });
    // (Counted by member: other packages' tests may register users on the shared test topic meanwhile.)
    expect(await companies().exists({ 'members.userId': admin.userId })).toBeNull();
    expect(await companies().exists({ createdByUserId: admin.userId })).toBeNull();
    const res = await me(admin.userId, undefined, 'admin');
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ id: admin.userId, role: 'super_admin', status: 'active' });
    expect(res.json().data.companyId).toBeUndefined();
    expect(res.json().data.company).toBeUndefined();
  });
});

describe('user.suspended / user.unsuspended', () => {
  const suspended = (userId: string, at: string) =>
    event(TOPICS.userSuspended, userId, { userId, reason: 'Falsified certificates', suspendedBy: 'adm-1', suspendedAt: at });
  const unsuspended = (userId: string, at: string) =>
    event(TOPICS.userUnsuspended, userId, { userId, reason: 'Cleared after review', unsuspendedBy: 'adm-1', unsuspendedAt: at });
  const statusOf = async (userId: string) => (await profiles().findById(userId).lean())?.status;

  it('shows the suspension in /users/me and to admins, and lifts it', async () => {
    const { userId, companyId, event: registered } = registration('buyer');
    await onUserRegistered(registered, handlerContext(server, TOPICS.userRegistered));

    await produce(server, suspended(userId, new Date().toISOString()));
    await waitFor(async () => (await statusOf(userId)) === 'suspended', { what: 'the suspension' });
    const own = await me(userId, companyId);
    expect(own.json().data.status).toBe('suspended');
    const admin = bearer(issuer.token({ role: 'admin', companyId: null }));
    const asAdmin = await server.inject({ url: `/api/v1/users/${userId}`, headers: admin });
    expect(asAdmin.statusCode).toBe(200);
    expect(asAdmin.json().data).toMatchObject({ status: 'suspended', suspension: { reason: 'Falsified certificates', suspendedBy: 'adm-1' } });
    const company = await server.inject({ url: `/api/v1/companies/${companyId}`, headers: admin });
    expect(company.json().data.members).toEqual([expect.objectContaining({ userId, status: 'suspended' })]);
    // A buyer may not look users up.
    const asBuyer = await server.inject({ url: `/api/v1/users/${userId}`, headers: bearer(issuer.token({ role: 'buyer', companyId })) });
    expect(asBuyer.statusCode).toBe(403);

    await produce(server, unsuspended(userId, new Date(Date.now() + 1000).toISOString()));
    await waitFor(async () => (await statusOf(userId)) === 'active', { what: 'the suspension to be lifted' });
    expect((await me(userId, companyId)).json().data.status).toBe('active');
  });

  it('keeps the newest change when the two arrive out of order, and a suspension before the registration', async () => {
    const { userId, event: registered } = registration('buyer');
    const context = handlerContext(server, TOPICS.userSuspended);
    // Suspended at 10:00, lifted at 11:00, consumed the other way round — and before user.registered.
    await onUserUnsuspended(unsuspended(userId, '2026-01-01T11:00:00.000Z'), context);
    await onUserSuspended(suspended(userId, '2026-01-01T10:00:00.000Z'), context);
    expect(await statusOf(userId)).toBe('active');
    await onUserSuspended(suspended(userId, '2026-01-01T12:00:00.000Z'), context);
    expect(await statusOf(userId)).toBe('suspended');
    expect((await me(userId)).statusCode).toBe(404);

    await onUserRegistered(registered, handlerContext(server, TOPICS.userRegistered));
    const res = await me(userId, registered.data.companyId);
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ id: userId, email: registered.data.email, status: 'suspended' });
  });
});
