import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Producer } from 'kafkajs';
import { buildService, type EventHandlerContext } from '@foodxchange/service-kit';
import { bearer, dropDatabase, isolatedEnv, startTestIssuer, testTopic, uniqueSuffix, type TestIssuer } from '@foodxchange/service-kit/testing';
import { buildEvent, sampleEventData, toKafkaMessage, topicOf, TOPICS, type EventData, type FoodXchangeEvent, type Topic } from '@foodxchange/contracts';
import app, { service } from '../src/app.js';
import { auditEventModel } from '../src/audit/model.js';
import { backfillOrderCreation } from '../src/stats/backfill.js';
import { reduceOrder, type OrderFact } from '../src/stats/events.js';
import { statsModels, type StatsOrderDoc } from '../src/stats/model.js';
import { subscriptions } from '../src/subscriptions.js';
import { connectProducer, untilSeen } from './kafka.js';

let server: FastifyInstance;
let issuer: TestIssuer;
let producer: Producer;
const admin = () => bearer(issuer.token({ role: 'admin', companyId: null }));
const s = uniqueSuffix();

const minute = (m: number) => new Date(Date.UTC(2026, 0, 1, 0, m)).toISOString();
const DAY_MS = 86_400_000;
/** Today's UTC midnight when the file loads: the per-day figures are counted back from today. */
const todayUtc = (() => {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
})();
/** An instant `ago` UTC days before today, `minutes` past that day's midnight. */
const daysAgo = (ago: number, minutes = 30) => new Date(todayUtc - ago * DAY_MS + minutes * 60_000).toISOString();
const dayOf = (ago: number) => daysAgo(ago).slice(0, 10);

function ev<T extends Topic>(topic: T, subject: string, data: Partial<EventData<T>>, at: number): FoodXchangeEvent<T> {
  return buildEvent(topic, {
    source: '/foodxchange/admin-test',
    subject,
    correlationId: `corr-stats-${s}`,
    data: { ...sampleEventData[topic], ...data } as EventData<T>,
    time: minute(at),
  });
}

const id = (name: string) => `${name}-${s}`;
const sampleMatch = sampleEventData['rfq.matched'].matches[0]!;
const matches = (n: number) => Array.from({ length: n }, (_, i) => ({ ...sampleMatch, supplierCompanyId: id(`match-supplier-${i}`) }));

function user(name: string, role: 'buyer' | 'supplier' | 'admin', at: number) {
  const data: Partial<EventData<'user.registered'>> = { userId: id(name), email: `${id(name)}@example.com`, role };
  return ev(TOPICS.userRegistered, id(name), role === 'admin' ? { ...data, companyId: undefined, company: undefined } : data, at);
}
const product = (topic: 'product.created' | 'product.updated', name: string, version: number, status: 'active' | 'inactive', at: number) =>
  ev(topic, id(name), { productId: id(name), version, status }, at);
const rfqCreated = (name: string, at: number) => ev(TOPICS.rfqCreated, id(name), { rfqId: id(name) }, at);
const rfqMatched = (name: string, n: number, at: number) => ev(TOPICS.rfqMatched, id(name), { rfqId: id(name), matches: matches(n) }, at);
const rfqAwarded = (name: string, at: number) => ev(TOPICS.rfqAwarded, id(name), { rfqId: id(name), quoteId: id(`${name}-winner`) }, at);
const rfqCancelled = (name: string, status: 'cancelled' | 'expired', at: number) => ev(TOPICS.rfqCancelled, id(name), { rfqId: id(name), status }, at);
const quote = (name: string, rfq: string, at: number) => ev(TOPICS.quoteSubmitted, id(name), { quoteId: id(name), rfqId: id(rfq) }, at);
/** An order.created; `createdAt` (data) is when the order was made, `at` the event time. */
const orderCreated = (name: string, currency: string, totalMinor: number, at: number, createdAt?: string) =>
  ev(TOPICS.orderCreated, id(name), { orderId: id(name), currency, totalMinor, createdAt }, at);
const orderConfirmed = (name: string, currency: string, totalMinor: number, at: number) =>
  ev(TOPICS.orderConfirmed, id(name), { orderId: id(name), currency, totalMinor }, at);
const orderRejected = (name: string, at: number) => ev(TOPICS.orderRejected, id(name), { orderId: id(name) }, at);
const orderMoved = (name: string, from: StatsOrderDoc['state'], to: string, at: number) =>
  ev(TOPICS.orderStatusChanged, id(name), { orderId: id(name), from, to } as Partial<EventData<'order.status-changed'>>, at);
const checked = (order: string, check: string, passed: boolean, at: number) =>
  ev(
    TOPICS.complianceChecked,
    id(order),
    passed
      ? { orderId: id(order), checkId: id(check), passed }
      : { orderId: id(order), checkId: id(check), passed, violationCount: 1, violations: sampleEventData['order.rejected'].violations ?? [], violationsByCode: [{ code: 'CERTIFICATION_MISSING', count: 1 }] },
    at,
  );

/** A known history of the platform, with the figures it implies in `expected` below. */
function history(): FoodXchangeEvent[] {
  const u1 = user('u1', 'buyer', 1);
  const q1 = quote('q1', 'r1', 3);
  return [
    // users: 3 buyers, 2 suppliers, 1 admin (u1's event delivered twice)
    u1, u1, user('u2', 'buyer', 1), user('u3', 'buyer', 2), user('u4', 'supplier', 2), user('u5', 'supplier', 3), user('u6', 'admin', 3),
    // companies: c1 created and edited; c2 verified (its verification may come before its creation); c3 verified at creation
    ev(TOPICS.companyCreated, id('c1'), { companyId: id('c1'), verified: false, version: 1 }, 1),
    ev(TOPICS.companyUpdated, id('c1'), { companyId: id('c1'), version: 2 }, 5),
    ev(TOPICS.companyCreated, id('c2'), { companyId: id('c2'), verified: false, version: 1 }, 2),
    ev(TOPICS.companyVerified, id('c2'), { companyId: id('c2'), version: 2 }, 3),
    ev(TOPICS.companyCreated, id('c3'), { companyId: id('c3'), verified: true, version: 1 }, 1),
    // products: p1 live; p2 deactivated; p3 deleted; p4's later update (v3, active) wins over its creation; p5 reactivated at v3
    product('product.created', 'p1', 1, 'active', 1),
    product('product.created', 'p2', 1, 'active', 1),
    product('product.updated', 'p2', 2, 'inactive', 2),
    product('product.created', 'p3', 1, 'active', 1),
    ev(TOPICS.productDeleted, id('p3'), { productId: id('p3'), version: 2 }, 4),
    product('product.updated', 'p4', 3, 'active', 6),
    product('product.created', 'p4', 1, 'active', 1),
    product('product.created', 'p5', 1, 'active', 1),
    product('product.updated', 'p5', 2, 'inactive', 2),
    product('product.updated', 'p5', 3, 'active', 3),
    // RFQs: r1 matched (2) and awarded; r2 open, re-matched (the later run found 1); r3 cancelled unmatched;
    // r4 matched (0) and expired; r5 matched (3) and awarded
    rfqCreated('r1', 1), rfqMatched('r1', 2, 2), rfqAwarded('r1', 5),
    rfqCreated('r2', 1), rfqMatched('r2', 0, 2), rfqMatched('r2', 1, 4),
    rfqCreated('r3', 1), rfqCancelled('r3', 'cancelled', 3),
    rfqCreated('r4', 1), rfqMatched('r4', 0, 2), rfqCancelled('r4', 'expired', 9),
    rfqAwarded('r5', 6), rfqCreated('r5', 1), rfqMatched('r5', 3, 2),
    // quotes: 3 (q1 delivered twice)
    q1, q1, quote('q2', 'r1', 3), quote('q3', 'r5', 4),
    // orders: o1 delivered; o2 rejected; o3 confirmed; o4 pending; o5 cancelled after confirmation.
    // Created (data.createdAt): o1, o2 (EUR) and o3 (GBP) two days ago, o4 (EUR) today, o5 (USD) 40 days ago
    orderCreated('o1', 'EUR', 10_000, 6, daysAgo(2, 10)), orderConfirmed('o1', 'EUR', 10_000, 7), orderMoved('o1', 'pending_compliance', 'confirmed', 7),
    orderMoved('o1', 'confirmed', 'shipped', 8), orderMoved('o1', 'shipped', 'delivered', 9),
    orderCreated('o2', 'EUR', 5_000, 6, daysAgo(2, 1_400)), orderRejected('o2', 7), orderMoved('o2', 'pending_compliance', 'rejected', 7),
    orderMoved('o3', 'pending_compliance', 'confirmed', 7), orderCreated('o3', 'GBP', 7_000, 6, daysAgo(2, 0)),
    orderCreated('o4', 'EUR', 2_500, 6, daysAgo(0, 1)),
    orderCreated('o5', 'USD', 1_200, 6, daysAgo(40)), orderConfirmed('o5', 'USD', 1_200, 7), orderMoved('o5', 'confirmed', 'cancelled', 10),
    // compliance: o1, o3, o5 passed; o2 passed a first check and failed the later one
    checked('o1', 'k1', true, 7), checked('o2', 'k2a', true, 6), checked('o2', 'k2b', false, 7), checked('o3', 'k3', true, 7), checked('o5', 'k5', true, 7),
  ];
}

const expected = {
  users: { total: 6, byRole: { buyer: 3, supplier: 2, admin: 1, super_admin: 0 } },
  companies: { total: 3, verified: 2 },
  products: { live: 3, total: 5 },
  rfqs: { total: 5, byState: { open: 1, awarded: 2, cancelled: 1, expired: 1 } },
  quotes: { total: 3 },
  orders: {
    total: 5,
    byState: { pending_compliance: 1, confirmed: 1, shipped: 0, delivered: 1, rejected: 1, cancelled: 1 },
    valueByCurrency: [
      { currency: 'EUR', orders: 3, totalMinor: 17_500, activeTotalMinor: 12_500 },
      { currency: 'GBP', orders: 1, totalMinor: 7_000, activeTotalMinor: 7_000 },
      { currency: 'USD', orders: 1, totalMinor: 1_200, activeTotalMinor: 0 },
    ],
    // The last 30 days (the default): o5, 40 days old, is not in it
    valueByDay: [
      { day: dayOf(2), currency: 'EUR', orders: 2, totalMinor: 15_000 },
      { day: dayOf(2), currency: 'GBP', orders: 1, totalMinor: 7_000 },
      { day: dayOf(0), currency: 'EUR', orders: 1, totalMinor: 2_500 },
    ],
    valueByDayRange: { days: 30, from: dayOf(29), to: dayOf(0) },
  },
  compliance: { checked: 4, passed: 3, failed: 1, passRate: 0.75 },
  matching: { rfqs: 5, matched: 4, withMatches: 3, coverage: 0.6 },
};

/** A deterministic shuffle (mulberry32), so each delivery order is reproducible. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

type Handler = (event: FoodXchangeEvent, context: EventHandlerContext) => Promise<void>;

/** Hands an event to every handler the service subscribes to its topic, as the consumer does. */
async function deliver(event: FoodXchangeEvent, offset: number): Promise<void> {
  const handlers = subscriptions.filter((sub) => sub.topic === topicOf(event) && !sub.raw);
  expect(handlers.length, event.type).toBeGreaterThan(0);
  const context: EventHandlerContext = { app: server, log: server.log, topic: handlers[0]!.topic, partition: 0, offset: String(offset), attempt: 1, heartbeat: async () => {} };
  for (const sub of handlers) await (sub.handler as unknown as Handler)(event, context);
}

async function deliverAll(events: readonly FoodXchangeEvent[]): Promise<void> {
  let offset = 0;
  for (const event of events) await deliver(event, (offset += 1));
}

async function stats(query = '') {
  const res = await server.inject({ headers: admin(), url: `/api/v1/admin/stats${query}` });
  expect(res.statusCode).toBe(200);
  const { generatedAt, ...figures } = res.json().data;
  expect(Date.parse(generatedAt)).not.toBeNaN();
  return figures;
}

async function clearStats(): Promise<void> {
  await Promise.all(Object.values(statsModels(server.mongo)).map((model) => (model as { deleteMany: (f: object) => Promise<unknown> }).deleteMany({})));
}

beforeAll(async () => {
  issuer = await startTestIssuer();
  server = await buildService(service, app, isolatedEnv('admin', issuer.env));
  producer = await connectProducer();
  await server.events.whenConsuming();
});
afterAll(async () => {
  await producer?.disconnect();
  await dropDatabase(server);
  await server.close();
  await issuer?.close();
});

describe('stats consumers on Kafka', () => {
  it('fold a produced rfq.created and rfq.matched into the RFQ state', async () => {
    const rfqs = statsModels(server.mongo).rfqs;
    let probe = '';
    await untilSeen(
      async () => {
        probe = `rfq-probe-${uniqueSuffix()}`;
        const created = ev(TOPICS.rfqCreated, probe, { rfqId: probe }, 1);
        await producer.send({ topic: testTopic(TOPICS.rfqCreated), messages: [toKafkaMessage(created)] });
      },
      async () => (await rfqs.exists({ _id: probe })) !== null,
      'the stats consumer to see an rfq.created probe',
    );
    const matched = ev(TOPICS.rfqMatched, probe, { rfqId: probe, matches: matches(2) }, 2);
    await producer.send({ topic: testTopic(TOPICS.rfqMatched), messages: [toKafkaMessage(matched), toKafkaMessage(matched)] });
    await expect
      .poll(async () => (await rfqs.findById(probe).lean())?.matchCount ?? null, { timeout: 20_000, interval: 100 })
      .toBe(2);
    expect(await rfqs.findById(probe).lean()).toMatchObject({ state: 'open', matchCount: 2 });
    // From here on the test feeds the handlers itself: other packages' tests publish on the shared
    // test topics, and the figures below must be exactly those of the known history.
    await server.events.consumer!.stop();
    await clearStats();
  });
});

describe('GET /admin/stats', () => {
  it('answers zeros before any event', async () => {
    const figures = await stats();
    expect(figures).toMatchObject({
      users: { total: 0 },
      orders: { total: 0, valueByCurrency: [], valueByDay: [], valueByDayRange: { days: 30, from: dayOf(29), to: dayOf(0) } },
      compliance: { passRate: null },
      matching: { coverage: null },
    });
  });

  it('equals what a known history implies, delivered in a scrambled order', async () => {
    await deliverAll(shuffled(history(), 1));
    expect(await stats()).toEqual(expected);
  });

  it('is unchanged by the whole history delivered again (duplicates), in another order', async () => {
    const events = history();
    await deliverAll(shuffled(events, 2));
    await deliverAll([...events].reverse());
    expect(await stats()).toEqual(expected);
  });

  it('comes out the same from an empty model whatever the order: reversed, and concurrent per topic', async () => {
    await clearStats();
    await deliverAll([...history()].reverse());
    expect(await stats()).toEqual(expected);

    await clearStats();
    // Topics are consumed in parallel: deliver each topic's events in order, all topics at once.
    const byTopic = new Map<string, FoodXchangeEvent[]>();
    for (const event of shuffled(history(), 3)) byTopic.set(event.type, [...(byTopic.get(event.type) ?? []), event]);
    await Promise.all([...byTopic.values()].map((events) => deliverAll(events)));
    expect(await stats()).toEqual(expected);
  });

  it('covers the last `days` UTC days, today included', async () => {
    const today = await stats('?days=1');
    expect(today.orders.valueByDay).toEqual([{ day: dayOf(0), currency: 'EUR', orders: 1, totalMinor: 2_500 }]);
    expect(today.orders.valueByDayRange).toEqual({ days: 1, from: dayOf(0), to: dayOf(0) });
    // Two days back starts at that day's midnight: o3, created at 00:00, is in it
    expect((await stats('?days=3')).orders.valueByDay).toEqual(expected.orders.valueByDay);
    expect((await stats('?days=2')).orders.valueByDay).toEqual([{ day: dayOf(0), currency: 'EUR', orders: 1, totalMinor: 2_500 }]);
    const year = await stats('?days=366');
    expect(year.orders.valueByDay).toEqual([{ day: dayOf(40), currency: 'USD', orders: 1, totalMinor: 1_200 }, ...expected.orders.valueByDay]);
    expect(year.orders.valueByDayRange).toEqual({ days: 366, from: dayOf(365), to: dayOf(0) });
    // The rest of the figures do not depend on the window
    const { valueByDay: _d, valueByDayRange: _r, ...orders } = year.orders;
    const { valueByDay: _e, valueByDayRange: _s, ...expectedOrders } = expected.orders;
    expect(orders).toEqual(expectedOrders);
  });

  it('refuses a bad `days` with a 400 in the standard envelope', async () => {
    for (const days of ['0', '367', '-1', '1.5', 'abc', '', '30&days=31']) {
      const res = await server.inject({ headers: admin(), url: `/api/v1/admin/stats?days=${days}` });
      expect(res.statusCode, `days=${days}`).toBe(400);
      expect(res.json(), `days=${days}`).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
    }
  });

  it('dates an order by its order.created: the data’s createdAt, else the event time; transitions alone give no day', async () => {
    // An order seen only through its confirmation is counted per currency but has no creation day yet
    await deliver(orderConfirmed('late', 'CHF', 900, 7), 1);
    let figures = await stats();
    expect(figures.orders.valueByCurrency).toContainEqual({ currency: 'CHF', orders: 1, totalMinor: 900, activeTotalMinor: 900 });
    expect(figures.orders.valueByDay).toEqual(expected.orders.valueByDay);
    // Its order.created, without createdAt, arrives later (twice): the event time dates it
    const created = buildEvent(TOPICS.orderCreated, {
      source: '/foodxchange/admin-test',
      subject: id('late'),
      correlationId: `corr-stats-${s}`,
      data: { ...sampleEventData['order.created'], orderId: id('late'), currency: 'CHF', totalMinor: 900, createdAt: undefined },
      time: daysAgo(1, 720),
    });
    await deliver(created, 2);
    await deliver(created, 3);
    figures = await stats();
    expect(figures.orders.valueByDay).toEqual([
      expected.orders.valueByDay[0],
      expected.orders.valueByDay[1],
      { day: dayOf(1), currency: 'CHF', orders: 1, totalMinor: 900 },
      expected.orders.valueByDay[2],
    ]);
    expect(await statsModels(server.mongo).orders.findById(id('late')).lean()).toMatchObject({ state: 'confirmed', createdDay: dayOf(1) });
  });

  it('dates an order the model stored before it kept creation days, once its order.created is delivered again', async () => {
    const orders = statsModels(server.mongo).orders;
    // A document as the model wrote it before: no createdAt, no createdDay
    await orders.collection.insertOne({ _id: id('legacy'), state: 'confirmed', stateAt: new Date(minute(7)), currency: 'SEK', totalMinor: 4_000 } as never);
    expect((await stats('?days=3')).orders.valueByDay.some((entry: { currency: string }) => entry.currency === 'SEK')).toBe(false);
    await deliver(orderCreated('legacy', 'SEK', 4_000, 6, daysAgo(0, 5)), 1);
    expect((await stats('?days=1')).orders.valueByDay).toContainEqual({ day: dayOf(0), currency: 'SEK', orders: 1, totalMinor: 4_000 });
    expect(await orders.findById(id('legacy')).lean()).toMatchObject({ state: 'confirmed', currency: 'SEK', createdDay: dayOf(0) });
  });

  it('dates the orders stored before it kept creation days from their order.created in the audit log, once', async () => {
    const orders = statsModels(server.mongo).orders;
    const audit = auditEventModel(server.mongo);
    const record = (event: FoodXchangeEvent, offset: number) =>
      audit.create({
        _id: event.id, topic: topicOf(event), type: event.type, source: event.source, subject: event.subject, correlationId: event.correlationid,
        time: new Date(event.time), dataschema: event.dataschema, data: JSON.stringify(event.data), companyIds: [], partition: 0, offset: String(offset), recordedAt: new Date(),
      });
    // Two documents as the model wrote them before (no createdAt, no createdDay); only the first one's order.created is in the log
    for (const name of ['old1', 'old2'])
      await orders.collection.insertOne({ _id: id(name), state: 'delivered', stateAt: new Date(minute(9)), currency: 'NOK', totalMinor: 3_000 } as never);
    await record(orderCreated('old1', 'NOK', 3_000, 6, daysAgo(3, 60)), 1);
    await record(ev(TOPICS.orderConfirmed, id('old2'), { orderId: id('old2') }, 7), 2);
    const undated = await backfillOrderCreation(statsModels(server.mongo), audit, server.locks);
    expect(undated).toBeGreaterThanOrEqual(2);
    expect(await orders.findById(id('old1')).lean()).toMatchObject({ state: 'delivered', currency: 'NOK', totalMinor: 3_000, createdDay: dayOf(3) });
    expect(await orders.findById(id('old2')).lean()).not.toHaveProperty('createdDay');
    const once = await stats('?days=7');
    expect(once.orders.valueByDay).toContainEqual({ day: dayOf(3), currency: 'NOK', orders: 1, totalMinor: 3_000 });
    // Again (another replica, a restart): nothing more
    await backfillOrderCreation(statsModels(server.mongo), audit, server.locks);
    expect(await stats('?days=7')).toEqual(once);
  });

  it('is for admins and super admins only', async () => {
    expect((await server.inject({ headers: bearer(issuer.token({ role: 'super_admin', companyId: null })), url: '/api/v1/admin/stats' })).statusCode).toBe(200);
    for (const role of ['buyer', 'supplier'] as const) {
      const res = await server.inject({ headers: bearer(issuer.token({ role })), url: '/api/v1/admin/stats' });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ success: false, error: { code: 'AUTHORIZATION_ERROR' } });
    }
    expect((await server.inject({ url: '/api/v1/admin/stats' })).statusCode).toBe(401);
    const bad = await server.inject({ headers: admin(), url: '/api/v1/admin/stats?since=yesterday' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
  });
});

describe('the order reducer', () => {
  it('ends in the same state for every order of one order’s events', () => {
    const facts: OrderFact[] = [
      { state: 'pending_compliance', at: new Date(1), currency: 'EUR', totalMinor: 100, createdAt: new Date(Date.UTC(2026, 4, 31, 23, 59)) },
      { state: 'confirmed', at: new Date(2), currency: 'EUR', totalMinor: 100 },
      { state: 'confirmed', at: new Date(2) },
      { state: 'shipped', at: new Date(3) },
      { state: 'delivered', at: new Date(4) },
    ];
    const permutations = (items: OrderFact[]): OrderFact[][] =>
      items.length <= 1 ? [items] : items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
    const ends = new Set<string>();
    for (const order of permutations(facts)) {
      let state: StatsOrderDoc | null = null;
      for (const fact of [...order, ...order]) state = reduceOrder('o', fact)(state) ?? state;
      ends.add(JSON.stringify(state));
    }
    expect([...ends]).toEqual([
      JSON.stringify({
        _id: 'o',
        state: 'delivered',
        stateAt: new Date(4),
        currency: 'EUR',
        totalMinor: 100,
        createdAt: new Date(Date.UTC(2026, 4, 31, 23, 59)),
        createdDay: '2026-05-31',
      }),
    ]);
  });

  it('changes nothing on a redelivered order.created, and keeps the first creation time', () => {
    const created: OrderFact = { state: 'pending_compliance', at: new Date(1), currency: 'EUR', totalMinor: 100, createdAt: new Date(Date.UTC(2026, 0, 2, 3)) };
    const state = reduceOrder('o', created)(null);
    expect(state).toMatchObject({ createdDay: '2026-01-02' });
    expect(reduceOrder('o', created)(state)).toBeNull();
    expect(reduceOrder('o', { ...created, createdAt: new Date(Date.UTC(2026, 0, 5)) })(state)).toBeNull();
    // A transition never carries a creation time
    expect(reduceOrder('o', { state: 'confirmed', at: new Date(2) })(null)).toMatchObject({ createdAt: null, createdDay: null });
  });
});
