import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TOPICS, parseEvent } from '@foodxchange/contracts';
import { dropDatabase, readTopicFromNow, waitFor, type ReadRecord } from '@foodxchange/service-kit/testing';
import { buildAuth, login, registerUser, uniqueIp } from './helpers.js';

let server: FastifyInstance;
let registered: { records: ReadRecord[]; stop: () => Promise<void> };
let loggedIn: { records: ReadRecord[]; stop: () => Promise<void> };
const adminEmail = `root-${Date.now().toString(36)}@foodxchange.test`;

beforeAll(async () => {
  // Readers first: the bootstrap admin's user.registered is published during the start-up below.
  [registered, loggedIn] = await Promise.all([readTopicFromNow(TOPICS.userRegistered), readTopicFromNow(TOPICS.userLoggedIn)]);
  server = await buildAuth({ ADMIN_EMAIL: adminEmail });
});
afterAll(async () => {
  await Promise.all([registered.stop(), loggedIn.stop()]);
  await dropDatabase(server);
  await server.close();
});

const eventsOf = (reader: { records: ReadRecord[] }, topic: typeof TOPICS.userRegistered | typeof TOPICS.userLoggedIn, userId: string) =>
  reader.records.map((record) => ({ record, event: parseEvent(record.value, topic) })).filter(({ event }) => event.data.userId === userId);

describe('events', () => {
  it('publishes user.registered with the company (contract-valid, keyed by user id)', async () => {
    const { body, data } = await registerUser(server, { role: 'supplier', company: { name: 'Iberia Olive Co.', country: 'ES' } });
    const [found] = await waitFor(() => {
      const matching = eventsOf(registered, TOPICS.userRegistered, data.user.id);
      return matching.length > 0 ? matching : undefined;
    }, { what: 'user.registered' });
    expect(found!.record.key).toBe(data.user.id);
    expect(found!.event.data).toMatchObject({
      userId: data.user.id,
      email: body.email,
      name: body.name,
      role: 'supplier',
      companyId: data.user.companyId,
      company: { name: 'Iberia Olive Co.', country: 'ES', type: 'supplier' },
    });
  });

  it('publishes user.registered for the bootstrap super admin, without a company', async () => {
    const admin = await server.auth.credentials.findOne({ email: adminEmail }).lean();
    const [found] = await waitFor(() => {
      const matching = eventsOf(registered, TOPICS.userRegistered, admin!._id);
      return matching.length > 0 ? matching : undefined;
    }, { what: 'the admin user.registered' });
    expect(found!.event.data).toMatchObject({ userId: admin!._id, email: adminEmail, role: 'super_admin' });
    expect(found!.event.data.companyId).toBeUndefined();
  });

  it('publishes user.logged-in on each password login (not on registration), with the client address', async () => {
    const { body, data } = await registerUser(server);
    const ip = uniqueIp();
    expect((await login(server, body.email, body.password, ip)).statusCode).toBe(200);
    const [found] = await waitFor(() => {
      const matching = eventsOf(loggedIn, TOPICS.userLoggedIn, data.user.id);
      return matching.length > 0 ? matching : undefined;
    }, { what: 'user.logged-in' });
    expect(found!.event.data).toMatchObject({ userId: data.user.id, email: body.email, role: 'buyer', companyId: data.user.companyId, method: 'password', ip });
    // Registration itself published no login: exactly the one above.
    await server.events.relay.flush();
    expect(eventsOf(loggedIn, TOPICS.userLoggedIn, data.user.id)).toHaveLength(1);
  });
});
