import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Producer } from 'kafkajs';
import { buildService } from '@foodxchange/service-kit';
import {
  bearer,
  dropDatabase,
  isolatedEnv,
  readTopicFromNow,
  startTestIssuer,
  testTopic,
  waitFor,
  type ReadRecord,
  type TestIssuer,
} from '@foodxchange/service-kit/testing';
import { assertEventData, buildEvent, parseEvent, toKafkaMessage, TOPICS } from '@foodxchange/contracts';
import app, { service } from '../src/app.js';
import { adminUserModel } from '../src/users/model.js';
import { connectProducer, untilSeen } from './kafka.js';

let server: FastifyInstance;
let issuer: TestIssuer;
let producer: Producer;
let suspended: { records: ReadRecord[]; stop: () => Promise<void> };
let unsuspended: { records: ReadRecord[]; stop: () => Promise<void> };
const adminId = `admin-${randomUUID()}`;
const admin = () => bearer(issuer.token({ role: 'admin', sub: adminId, companyId: null }));

async function register(role: 'buyer' | 'supplier' | 'admin' = 'supplier'): Promise<string> {
  const userId = `user-${randomUUID()}`;
  const companyId = role === 'admin' ? undefined : `company-${randomUUID()}`;
  const event = buildEvent(TOPICS.userRegistered, {
    source: '/foodxchange/auth',
    subject: userId,
    correlationId: `corr-${randomUUID()}`,
    data: {
      userId,
      email: `${userId}@example.com`,
      name: 'Pedro García',
      role,
      ...(companyId ? { companyId, company: { name: 'Iberia Olive Co.', country: 'ES' } } : {}),
    },
  });
  await producer.send({ topic: testTopic(TOPICS.userRegistered), messages: [toKafkaMessage(event)] });
  return userId;
}
const known = async (userId: string) => (await adminUserModel(server.mongo).exists({ _id: userId })) !== null;

beforeAll(async () => {
  issuer = await startTestIssuer();
  server = await buildService(service, app, isolatedEnv('admin', issuer.env));
  producer = await connectProducer();
  suspended = await readTopicFromNow(TOPICS.userSuspended);
  unsuspended = await readTopicFromNow(TOPICS.userUnsuspended);
  await server.events.whenConsuming();
  let probe = '';
  await untilSeen(
    async () => void (probe = await register()),
    () => known(probe),
    'the accounts consumer to see a user.registered probe',
  );
});
afterAll(async () => {
  await suspended?.stop();
  await unsuspended?.stop();
  await producer?.disconnect();
  await dropDatabase(server);
  await server.close();
  await issuer?.close();
});

const act = (action: 'suspend' | 'unsuspend', userId: string, headers: Record<string, string>, payload: unknown = { reason: 'Falsified certificate numbers' }) =>
  server.inject({ method: 'POST', url: `/api/v1/admin/users/${userId}/${action}`, headers, payload: payload as object });

describe('suspending a user', () => {
  it('publishes user.suspended once, then user.unsuspended, and refuses repeating either (409)', async () => {
    const userId = await register('supplier');
    await waitFor(() => known(userId), { what: 'the registered user' });

    const res = await act('suspend', userId, admin());
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ id: userId, status: 'suspended', statusChange: { reason: 'Falsified certificate numbers', by: adminId } });
    const record = await waitFor(() => suspended.records.find((r) => r.key === userId), { what: 'user.suspended' });
    const event = parseEvent(record.value!);
    assertEventData(TOPICS.userSuspended, event.data);
    expect(event.data).toMatchObject({ userId, email: `${userId}@example.com`, suspendedBy: adminId, reason: 'Falsified certificate numbers' });

    expect((await act('suspend', userId, admin())).statusCode).toBe(409);
    const lifted = await act('unsuspend', userId, admin(), { reason: 'Certificates re-checked' });
    expect(lifted.statusCode).toBe(200);
    expect(lifted.json().data.status).toBe('active');
    const back = await waitFor(() => unsuspended.records.find((r) => r.key === userId), { what: 'user.unsuspended' });
    expect(parseEvent(back.value!).data).toMatchObject({ userId, unsuspendedBy: adminId, reason: 'Certificates re-checked' });
    expect((await act('unsuspend', userId, admin())).statusCode).toBe(409);
    expect(suspended.records.filter((r) => r.key === userId)).toHaveLength(1);

    const view = await server.inject({ url: `/api/v1/admin/users/${userId}`, headers: admin() });
    expect(view.json().data).toMatchObject({ status: 'active', version: 3 });
  });

  it('two admins suspending at once: one succeeds, the other gets 409, one event', async () => {
    const userId = await register('buyer');
    await waitFor(() => known(userId), { what: 'the registered user' });
    const results = await Promise.all([act('suspend', userId, admin()), act('suspend', userId, bearer(issuer.token({ role: 'super_admin', companyId: null })))]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    await waitFor(() => suspended.records.some((r) => r.key === userId), { what: 'user.suspended' });
    // The losing request staged nothing: the user's outbox holds exactly one suspension.
    const doc = await adminUserModel(server.mongo).findById(userId).lean();
    expect(doc!.outbox.filter((entry) => entry.topic === TOPICS.userSuspended)).toHaveLength(1);
  });

  it('only super_admins act on admins; nobody on themselves; unknown users are 404; reasons are required', async () => {
    const otherAdmin = await register('admin');
    await waitFor(() => known(otherAdmin), { what: 'the registered admin' });
    expect((await act('suspend', otherAdmin, admin())).statusCode).toBe(403);
    expect((await act('suspend', otherAdmin, bearer(issuer.token({ role: 'super_admin', companyId: null })))).statusCode).toBe(200);
    expect((await act('suspend', adminId, admin())).statusCode).toBe(409);
    expect((await act('suspend', `user-${randomUUID()}`, admin())).statusCode).toBe(404);
    const noReason = await act('suspend', otherAdmin, admin(), {});
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().error.fields).toHaveProperty('body.reason');
  });

  it('is for admins only: anonymous 401 whatever the body, buyers and suppliers 403', async () => {
    const userId = await register('buyer');
    for (const payload of [{ reason: 'spam' }, {}, 'garbage']) {
      const res = await server.inject({ method: 'POST', url: `/api/v1/admin/users/${userId}/suspend`, payload, headers: { 'content-type': 'application/json' } });
      expect(res.statusCode).toBe(401);
    }
    for (const role of ['buyer', 'supplier'] as const) {
      expect((await act('suspend', userId, bearer(issuer.token({ role })))).statusCode).toBe(403);
      expect((await server.inject({ url: `/api/v1/admin/users/${userId}`, headers: bearer(issuer.token({ role })) })).statusCode).toBe(403);
    }
  });
});
