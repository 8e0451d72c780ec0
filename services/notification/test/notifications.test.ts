import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TOPICS, type FoodXchangeEvent, type Topic } from '@foodxchange/contracts';
import { bearer, dropDatabase, startTestIssuer, type TestIssuer } from '@foodxchange/service-kit/testing';
import { notify } from '../src/notifications/service.js';
import { awardLine, contractEvent, day, deliver, id, newUser, registered, startNotification, type TestUser } from './fixtures.js';

let server: FastifyInstance;
let issuer: TestIssuer;

// Buyer company B (two users), suppliers S1 (two users and one suspended), S2, S3, and an
// unrelated buyer company C: every event must reach exactly the users it concerns.
const B = id('buyer-co');
const C = id('other-buyer-co');
const S1 = id('supplier-co');
const S2 = id('supplier-co');
const S3 = id('supplier-co');
const b1 = newUser('buyer', B, 'b1');
const b2 = newUser('buyer', B, 'b2');
const c1 = newUser('buyer', C, 'c1');
const s1a = newUser('supplier', S1, 's1a');
const s1b = newUser('supplier', S1, 's1b');
const s1x = newUser('supplier', S1, 's1x');
const s2 = newUser('supplier', S2, 's2');
const s3 = newUser('supplier', S3, 's3');
const everyone = [b1, b2, c1, s1a, s1b, s1x, s2, s3];

const tokenOf = (user: TestUser) => bearer(issuer.token({ sub: user.userId, role: user.role, companyId: user.companyId }));
const handler = (topic: Topic) => `${topic}.in-app`;

async function recipientsOf(event: FoodXchangeEvent): Promise<string[]> {
  const docs = await server.notification.notifications.notifications.find({ eventId: event.id }).lean();
  return docs.map((doc) => doc.userId).sort();
}
const ids = (...users: TestUser[]) => users.map((user) => user.userId).sort();

async function deliverNotifying(event: FoodXchangeEvent, topic: Topic): Promise<void> {
  await deliver(server, event, [handler(topic)]);
}

const rfqId = id('rfq');
const orderId = id('ord');

beforeAll(async () => {
  issuer = await startTestIssuer();
  server = await startNotification({ ...issuer.env, NOTIFICATION_EMAIL_ENABLED: false });
  for (const user of everyone) {
    await deliver(server, contractEvent(TOPICS.userRegistered, user.userId, registered(user)), ['user.registered.members', handler(TOPICS.userRegistered)]);
  }
  await deliver(
    server,
    contractEvent(TOPICS.userSuspended, s1x.userId, {
      userId: s1x.userId,
      companyId: S1,
      reason: 'Fraudulent listings',
      suspendedBy: 'adm-1',
      suspendedAt: new Date().toISOString(),
    }),
    ['user.suspended.members', handler(TOPICS.userSuspended)],
  );
});
afterAll(async () => {
  await dropDatabase(server);
  await server?.close();
  await issuer?.close();
});

describe('who hears of what', () => {
  it('user.registered welcomes the new user only; user.suspended tells the suspended user only', async () => {
    for (const user of everyone) {
      const docs = await server.notification.notifications.notifications.find({ userId: user.userId }).lean();
      const types = docs.map((doc) => doc.type).sort();
      expect(types).toEqual(user === s1x ? ['user.suspended', 'welcome'] : ['welcome']);
    }
  });

  it("rfq.matched reaches each matched supplier's users (not suspended ones), nobody else", async () => {
    const match = (supplierCompanyId: string) => ({
      supplierCompanyId,
      companyName: 'Supplier',
      score: 1.5,
      matchedItems: [{ name: 'Tomatoes' }],
      missingCertifications: [],
      verified: true,
    });
    const event = contractEvent(TOPICS.rfqMatched, rfqId, {
      rfqId,
      buyerCompanyId: B,
      title: 'Tomatoes for Berlin',
      deliveryCountry: 'DE',
      matches: [match(S1), match(S2)],
    });
    await deliverNotifying(event, TOPICS.rfqMatched);
    expect(await recipientsOf(event)).toEqual(ids(s1a, s1b, s2));
    const doc = await server.notification.notifications.notifications.findOne({ eventId: event.id, userId: s2.userId }).lean();
    expect(doc).toMatchObject({ type: 'rfq.matched', link: `/api/v1/rfqs/${rfqId}`, subjectType: 'rfq', subjectId: rfqId, read: false });
    expect(doc?.title).toContain('Tomatoes for Berlin');
  });

  it("quote.submitted reaches the buyer company's users only", async () => {
    const quoteId = id('quo');
    const event = contractEvent(TOPICS.quoteSubmitted, quoteId, {
      quoteId,
      rfqId,
      rfqTitle: 'Tomatoes for Berlin',
      buyerCompanyId: B,
      supplierCompanyId: S1,
      supplierName: 'Sunny Farms',
      currency: 'EUR',
      items: [{ rfqItemId: id('item'), unitPriceMinor: 250 }],
      totalMinor: 25_000,
      leadTimeDays: 5,
      validUntil: day(20),
    });
    await deliverNotifying(event, TOPICS.quoteSubmitted);
    expect(await recipientsOf(event)).toEqual(ids(b1, b2));
    const doc = await server.notification.notifications.notifications.findOne({ eventId: event.id }).lean();
    expect(doc?.body).toContain('Sunny Farms quoted €250.00');
  });

  it('rfq.awarded tells the winner it won and the other quoters they lost; the buyer and others hear nothing', async () => {
    const event = contractEvent(TOPICS.rfqAwarded, rfqId, {
      rfqId,
      quoteId: id('quo'),
      title: 'Tomatoes for Berlin',
      buyerCompanyId: B,
      supplierCompanyId: S1,
      currency: 'EUR',
      lines: [awardLine()],
      totalMinor: 25_000,
      deliveryCountry: 'DE',
      market: 'EU',
      requiredCertifications: [],
      deliveryDate: day(30),
      rejectedQuotes: [{ quoteId: id('quo'), supplierCompanyId: S2 }],
    });
    await deliverNotifying(event, TOPICS.rfqAwarded);
    expect(await recipientsOf(event)).toEqual(ids(s1a, s1b, s2));
    const docs = await server.notification.notifications.notifications.find({ eventId: event.id }).lean();
    expect(Object.fromEntries(docs.map((doc) => [doc.userId, doc.type]))).toEqual({
      [s1a.userId]: 'rfq.awarded',
      [s1b.userId]: 'rfq.awarded',
      [s2.userId]: 'rfq.lost',
    });
  });

  it('order.created, confirmed, rejected and status-changed reach both companies; a confirmed/rejected status change is not told twice', async () => {
    const sides = { orderId, buyerCompanyId: B, supplierCompanyId: S1 };
    const created = contractEvent(TOPICS.orderCreated, orderId, {
      ...sides,
      orderNumber: 'ORD-2026-000001',
      rfqId,
      status: 'pending_compliance',
      currency: 'EUR',
      items: [{ name: 'Tomatoes', quantity: 100, unit: 'kg', unitPriceMinor: 250, lineTotalMinor: 25_000 }],
      totalMinor: 25_000,
      deliveryCountry: 'DE',
      market: 'EU',
      requiredCertifications: [],
    });
    const confirmed = contractEvent(TOPICS.orderConfirmed, orderId, { ...sides, from: 'pending_compliance', to: 'confirmed', market: 'EU' });
    const rejected = contractEvent(TOPICS.orderRejected, orderId, {
      ...sides,
      from: 'pending_compliance',
      to: 'rejected',
      violations: [{ code: 'MISSING_CERTIFICATION', rule: 'EU-HACCP', message: 'HACCP certificate missing' }],
      violationCount: 1,
    });
    const shipped = contractEvent(TOPICS.orderStatusChanged, orderId, { ...sides, from: 'confirmed', to: 'shipped', note: 'Truck left Valencia' });
    const toConfirmed = contractEvent(TOPICS.orderStatusChanged, orderId, { ...sides, from: 'pending_compliance', to: 'confirmed' });
    await deliverNotifying(created, TOPICS.orderCreated);
    await deliverNotifying(confirmed, TOPICS.orderConfirmed);
    await deliverNotifying(rejected, TOPICS.orderRejected);
    await deliverNotifying(shipped, TOPICS.orderStatusChanged);
    await deliverNotifying(toConfirmed, TOPICS.orderStatusChanged);
    for (const event of [created, confirmed, rejected, shipped]) expect(await recipientsOf(event)).toEqual(ids(b1, b2, s1a, s1b));
    expect(await recipientsOf(toConfirmed)).toEqual([]);
    const reject = await server.notification.notifications.notifications.findOne({ eventId: rejected.id, userId: b1.userId }).lean();
    expect(reject).toMatchObject({ type: 'order.rejected', link: `/api/v1/orders/${orderId}` });
    expect(reject?.body).toContain('HACCP certificate missing');
  });

  it("company.verified reaches the company's users only", async () => {
    const event = contractEvent(TOPICS.companyVerified, S3, { companyId: S3, name: 'Olivar SA', verifiedBy: 'adm-1', verifiedAt: new Date().toISOString() });
    await deliverNotifying(event, TOPICS.companyVerified);
    expect(await recipientsOf(event)).toEqual(ids(s3));
  });

  it('rfq.cancelled reaches the suppliers matched to it, not the buyer', async () => {
    const cancelledRfq = id('rfq');
    const event = contractEvent(TOPICS.rfqCancelled, cancelledRfq, {
      rfqId: cancelledRfq,
      buyerCompanyId: B,
      title: 'Peppers for Munich',
      status: 'cancelled',
      reason: 'Budget withdrawn',
      matchedSupplierCompanyIds: [S2, S3],
    });
    await deliverNotifying(event, TOPICS.rfqCancelled);
    expect(await recipientsOf(event)).toEqual(ids(s2, s3));
    const doc = await server.notification.notifications.notifications.findOne({ eventId: event.id, userId: s3.userId }).lean();
    expect(doc).toMatchObject({ type: 'rfq.cancelled', link: `/api/v1/rfqs/${cancelledRfq}` });
    expect(doc?.body).toContain('Budget withdrawn');
  });

  it('a user who is unsuspended is told so, and hears of their company again', async () => {
    const later = new Date(Date.now() + 1000).toISOString();
    const unsuspended = contractEvent(TOPICS.userUnsuspended, s1x.userId, { userId: s1x.userId, reason: 'Cleared', unsuspendedBy: 'adm-1', unsuspendedAt: later });
    await deliver(server, unsuspended, ['user.unsuspended.members', handler(TOPICS.userUnsuspended)]);
    expect(await recipientsOf(unsuspended)).toEqual(ids(s1x));
    const event = contractEvent(TOPICS.companyVerified, S1, { companyId: S1, name: 'Sunny Farms', verifiedBy: 'adm-1', verifiedAt: new Date().toISOString() });
    await deliverNotifying(event, TOPICS.companyVerified);
    expect(await recipientsOf(event)).toEqual(ids(s1a, s1b, s1x));
  });
});

describe('idempotency', () => {
  it('a redelivered event creates no second notification; a retry after a partial failure adds only what is missing', async () => {
    const event = contractEvent(TOPICS.quoteSubmitted, id('quo'), {
      quoteId: id('quo'),
      rfqId,
      buyerCompanyId: B,
      supplierCompanyId: S2,
      currency: 'EUR',
      items: [{ rfqItemId: id('item'), unitPriceMinor: 300 }],
      totalMinor: 30_000,
      leadTimeDays: 3,
      validUntil: day(10),
    });
    await deliverNotifying(event, TOPICS.quoteSubmitted);
    expect(await recipientsOf(event)).toEqual(ids(b1, b2));

    // The same event again on Kafka, then a later event on the same key (same partition):
    // once the later one is handled, the redelivery was consumed before it.
    const { publish } = await import('./fixtures.js');
    await publish(server, event);
    const after = contractEvent(TOPICS.quoteSubmitted, event.subject!, { ...event.data, totalMinor: 31_000 });
    await deliverNotifying(after, TOPICS.quoteSubmitted);
    expect(await recipientsOf(event)).toEqual(ids(b1, b2));
    expect(await recipientsOf(after)).toEqual(ids(b1, b2));

    // The handler itself run again (a retry, a claim taken over): nothing new.
    const deps = server.notification.notifications;
    expect(await notify(deps, TOPICS.quoteSubmitted, event)).toBe(0);
    // One notification lost mid-way (crash between inserts): the retry adds just that one.
    await deps.notifications.deleteOne({ eventId: event.id, userId: b2.userId });
    expect(await notify(deps, TOPICS.quoteSubmitted, event)).toBe(1);
    expect(await recipientsOf(event)).toEqual(ids(b1, b2));
  });
});

describe('routes', () => {
  const list = (user: TestUser, query = '') => server.inject({ url: `/api/v1/notifications${query}`, headers: tokenOf(user) });

  it('refuse anonymous callers (401) and callers without notification:read (403)', async () => {
    const anonymous = [
      await server.inject({ url: '/api/v1/notifications' }),
      await server.inject({ method: 'POST', url: '/api/v1/notifications/read-all' }),
      await server.inject({ method: 'POST', url: `/api/v1/notifications/${id('ntf')}/read` }),
    ];
    for (const res of anonymous) {
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('AUTHENTICATION_ERROR');
    }
    const without = bearer(issuer.token({ sub: b1.userId, role: 'buyer', companyId: B, permissions: ['rfq:read'] }));
    for (const res of [
      await server.inject({ url: '/api/v1/notifications', headers: without }),
      await server.inject({ method: 'POST', url: '/api/v1/notifications/read-all', headers: without }),
      await server.inject({ method: 'POST', url: `/api/v1/notifications/${id('ntf')}/read`, headers: without }),
    ]) {
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('AUTHORIZATION_ERROR');
    }
  });

  it('list the caller’s own notifications newest first, with pagination, ?unread and the unread count', async () => {
    const res = await list(s1a, '?limit=100');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const own = await server.notification.notifications.notifications.find({ userId: s1a.userId }).lean();
    expect(body.data).toHaveLength(own.length);
    expect(new Set(body.data.map((n: { id: string }) => n.id))).toEqual(new Set(own.map((doc) => doc._id)));
    const times = body.data.map((n: { createdAt: string }) => n.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
    expect(body.data[0].type).toBe('company.verified');
    expect(body.unreadCount).toBe(own.length);
    expect(body.pagination).toMatchObject({ page: 1, limit: 100, total: own.length, hasNext: false });

    const page2 = (await list(s1a, '?limit=2&page=2')).json();
    expect(page2.data.map((n: { id: string }) => n.id)).toEqual(body.data.slice(2, 4).map((n: { id: string }) => n.id));
    expect(page2.pagination).toMatchObject({ page: 2, limit: 2, total: own.length, hasPrev: true });
    expect(page2.unreadCount).toBe(own.length);

    // c1 (another company) has only its welcome.
    const other = (await list(c1)).json();
    expect(other.data.map((n: { type: string }) => n.type)).toEqual(['welcome']);
  });

  it('mark one read (own only: another user’s is 404), then all read', async () => {
    const before = (await list(b1, '?limit=100')).json();
    const [first] = before.data as { id: string }[];
    const foreign = await server.inject({ method: 'POST', url: `/api/v1/notifications/${first!.id}/read`, headers: tokenOf(b2) });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().error.code).toBe('NOT_FOUND');
    // Not even an admin marks someone else's notification.
    const admin = bearer(issuer.token({ role: 'admin', companyId: null }));
    expect((await server.inject({ method: 'POST', url: `/api/v1/notifications/${first!.id}/read`, headers: admin })).statusCode).toBe(404);

    const read = await server.inject({ method: 'POST', url: `/api/v1/notifications/${first!.id}/read`, headers: tokenOf(b1) });
    expect(read.statusCode).toBe(200);
    expect(read.json().data).toMatchObject({ id: first!.id, read: true });
    expect(typeof read.json().data.readAt).toBe('string');
    const again = await server.inject({ method: 'POST', url: `/api/v1/notifications/${first!.id}/read`, headers: tokenOf(b1), payload: {} });
    expect(again.json().data.readAt).toBe(read.json().data.readAt);

    const unread = (await list(b1, '?unread=true&limit=100')).json();
    expect(unread.unreadCount).toBe(before.unreadCount - 1);
    expect(unread.data.map((n: { id: string }) => n.id)).not.toContain(first!.id);
    expect((await list(b1, '?unread=false')).json().data.map((n: { id: string }) => n.id)).toEqual([first!.id]);

    const b2Before = (await list(b2)).json().unreadCount;
    const all = await server.inject({ method: 'POST', url: '/api/v1/notifications/read-all', headers: tokenOf(b1) });
    expect(all.statusCode).toBe(200);
    expect(all.json().data).toEqual({ updated: before.unreadCount - 1, unreadCount: 0 });
    expect((await list(b1)).json().unreadCount).toBe(0);
    // Someone else's stay unread.
    expect((await list(b2)).json().unreadCount).toBe(b2Before);
    expect(b2Before).toBeGreaterThan(0);
  });

  it('answer bad input with a 4xx envelope', async () => {
    const headers = tokenOf(b1);
    for (const url of [
      '/api/v1/notifications?limit=0',
      '/api/v1/notifications?limit=101',
      '/api/v1/notifications?page=0',
      '/api/v1/notifications?unread=maybe',
      '/api/v1/notifications?colour=blue',
      '/api/v1/notifications?unread=%00',
    ]) {
      const res = await server.inject({ url, headers });
      expect(res.statusCode, url).toBe(400);
      expect(res.json()).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
    }
    for (const [url, payload] of [
      ['/api/v1/notifications/not%20an%20id/read', undefined],
      [`/api/v1/notifications/${id('ntf')}/read`, { read: false }],
      ['/api/v1/notifications/read-all', { everything: true }],
      ['/api/v1/notifications/read-all', '[1]'],
    ] as const) {
      const res = await server.inject({ method: 'POST', url, headers: { ...headers, 'content-type': 'application/json' }, ...(payload ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}) });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().success).toBe(false);
    }
    const missing = await server.inject({ method: 'POST', url: `/api/v1/notifications/${id('ntf')}/read`, headers });
    expect(missing.statusCode).toBe(404);
  });
});
