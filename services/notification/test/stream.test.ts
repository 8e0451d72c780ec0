import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TOPICS } from '@foodxchange/contracts';
import { bearer, dropDatabase, startTestIssuer, waitFor, type TestIssuer } from '@foodxchange/service-kit/testing';
import { contractEvent, deliver, id, newUser, publish, registered, startNotification, type TestUser } from './fixtures.js';
import { openStream, type SseClient } from './sse.js';

// Two replicas of the service (one database, one consumer group), each listening on a real port.
let replicaA: FastifyInstance;
let replicaB: FastifyInstance;
let urlA: string;
let urlB: string;
let issuer: TestIssuer;
const open: SseClient[] = [];

const company = id('supplier-co');
const alice = newUser('supplier', company, 'sse-alice');
const bob = newUser('supplier', id('supplier-co'), 'sse-bob');
const tokenOf = (user: TestUser) => bearer(issuer.token({ sub: user.userId, role: user.role, companyId: user.companyId }));

async function stream(url: string, user: TestUser, extra: Record<string, string> = {}): Promise<SseClient> {
  const client = await openStream(url, { ...tokenOf(user), ...extra });
  open.push(client);
  return client;
}

/** Waits until `count` live streams are subscribed on the replica (so no push can slip past). */
const subscribed = (replica: FastifyInstance, count: number) =>
  waitFor(() => replica.notification.live.streams >= count, { what: `${count} stream(s) subscribed` });

function verified(companyId: string) {
  return contractEvent(TOPICS.companyVerified, companyId, { companyId, name: 'Sunny Farms', verifiedBy: 'adm-1', verifiedAt: new Date().toISOString() });
}
async function notifyCompany(companyId: string): Promise<string> {
  const event = verified(companyId);
  await publish(replicaA, event);
  return event.id;
}
const notificationsOf = async (eventId: string) => replicaA.notification.notifications.notifications.find({ eventId }).lean();

beforeAll(async () => {
  issuer = await startTestIssuer();
  const env = { ...issuer.env, NOTIFICATION_EMAIL_ENABLED: false, SSE_HEARTBEAT_MS: 200 };
  replicaA = await startNotification(env);
  replicaB = await startNotification({ ...env, MONGO_DB: replicaA.config.MONGO_DB, KAFKA_GROUP_ID: replicaA.config.KAFKA_GROUP_ID });
  urlA = await replicaA.listen({ host: '127.0.0.1', port: 0 });
  urlB = await replicaB.listen({ host: '127.0.0.1', port: 0 });
  for (const user of [alice, bob]) {
    // Both handlers done (on whichever replica: they share the processed-event records), so the
    // welcome notifications are not pushed to the streams the tests open later.
    await deliver(replicaA, contractEvent(TOPICS.userRegistered, user.userId, registered(user)), ['user.registered.members', 'user.registered.in-app']);
  }
});
afterAll(async () => {
  for (const client of open) client.close();
  await dropDatabase(replicaA);
  await replicaB?.close();
  await replicaA?.close();
  await issuer?.close();
});

describe('GET /notifications/stream', () => {
  it('refuses anonymous callers and bad input before streaming', async () => {
    const anonymous = await replicaA.inject({ url: '/api/v1/notifications/stream' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error.code).toBe('AUTHENTICATION_ERROR');
    const badCursor = await replicaA.inject({ url: '/api/v1/notifications/stream', headers: { ...tokenOf(alice), 'last-event-id': 'not an id' } });
    expect(badCursor.statusCode).toBe(400);
    const badQuery = await replicaA.inject({ url: '/api/v1/notifications/stream?since=yesterday', headers: tokenOf(alice) });
    expect(badQuery.statusCode).toBe(400);
  });

  it("pushes a notification to the user's streams on both replicas within a second, sends heartbeats, and nothing of anyone else's", async () => {
    const onA = await stream(urlA, alice);
    const onB = await stream(urlB, alice);
    const bobs = await stream(urlB, bob);
    expect(onA.status).toBe(200);
    expect(onA.headers['content-type']).toMatch(/^text\/event-stream/);
    await subscribed(replicaA, 1);
    await subscribed(replicaB, 2);

    // Bob's first: once his stream has it, it was published before Alice's, and every replica's
    // subscriber sees one channel in order, so Alice's streams would have had it before hers.
    const bobEvent = await notifyCompany(bob.companyId);
    const bobIds = await bobs.waitForIds(1);
    const [bobsOwn] = await notificationsOf(bobEvent);
    expect(bobIds).toEqual([bobsOwn!._id]);
    const aliceEvent = await notifyCompany(company);
    await onA.waitForIds(1);
    await onB.waitForIds(1);
    const [mine] = await notificationsOf(aliceEvent);
    expect(onA.ids()).toEqual([mine!._id]);
    expect(onB.ids()).toEqual([mine!._id]);
    expect(bobs.ids()).toEqual([bobsOwn!._id]);
    // Each event was consumed by one replica only: the other replica's client got it through Redis.
    for (const client of [onA, onB]) {
      const message = client.messages.find((m) => m.id === mine!._id)!;
      expect(message.receivedAt - mine!.createdAt.getTime()).toBeLessThan(1000);
      expect(JSON.parse(message.data)).toMatchObject({ id: mine!._id, type: 'company.verified', read: false, link: `/api/v1/companies/${company}` });
    }
    await waitFor(() => onB.comments.some((comment) => comment.startsWith('heartbeat')), { what: 'a heartbeat' });
  });

  it('resumes with Last-Event-ID: what was created while disconnected comes first, in order, then live ones', async () => {
    const first = await stream(urlA, alice);
    await subscribed(replicaA, 2);
    const firstEvent = await notifyCompany(company);
    const [seen] = await waitFor(async () => {
      const docs = await notificationsOf(firstEvent);
      return docs.length === 1 && first.ids().includes(docs[0]!._id) ? docs : undefined;
    }, { what: 'the first notification on the stream' });
    first.close();

    // Created while the client is away.
    const missedEvents = [await notifyCompany(company), await notifyCompany(company)];
    const missed: string[] = [];
    for (const eventId of missedEvents) {
      const [doc] = await waitFor(async () => {
        const docs = await notificationsOf(eventId);
        return docs.length === 1 ? docs : undefined;
      }, { what: 'a missed notification stored' });
      missed.push(doc!._id);
    }

    const resumed = await stream(urlB, alice, { 'last-event-id': seen!._id });
    const replayed = await resumed.waitForIds(2);
    const stored = await replicaA.notification.notifications.notifications
      .find({ _id: { $in: missed } })
      .sort({ createdAt: 1, _id: 1 })
      .lean();
    expect(replayed).toEqual(stored.map((doc) => doc._id));
    expect(replayed).not.toContain(seen!._id);

    // The replay above came after its subscription: live ones cannot slip past.
    const liveEvent = await notifyCompany(company);
    const ids = await resumed.waitForIds(3);
    const [live] = await notificationsOf(liveEvent);
    expect(ids).toEqual([...replayed, live!._id]);
  });
});
