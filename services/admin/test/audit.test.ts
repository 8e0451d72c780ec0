import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Producer } from 'kafkajs';
import { buildService, loadServiceConfig } from '@foodxchange/service-kit';
import { bearer, startTestIssuer, type TestIssuer, dropDatabase, isolatedEnv, testTopic, uniqueSuffix, waitFor } from '@foodxchange/service-kit/testing';
import { buildEvent, sampleEventData, toKafkaMessage, topicOf, TOPICS } from '@foodxchange/contracts';
import app, { service } from '../src/app.js';
import { recordAuditEvent } from '../src/audit/record.js';
import { auditEventModel } from '../src/audit/model.js';
import { removeExpiredAuditEvents } from '../src/audit/retention.js';
import { DAY_MS } from '../src/config.js';
import { connectProducer, notificationEvent, produceEvent, TEST_TOPIC, untilSeen } from './kafka.js';

let server: FastifyInstance;
let issuer: TestIssuer;
const admin = () => bearer(issuer.token({ role: 'admin', companyId: null }));
let producer: Producer;

async function audited(eventId: string): Promise<boolean> {
  return (await server.inject({ headers: admin(), url: `/api/v1/admin/audit/${eventId}` })).statusCode === 200;
}

beforeAll(async () => {
  issuer = await startTestIssuer();
  // The retention job every 200 ms (default age, 90 days), so the test can watch it work.
  server = await buildService(service, app, isolatedEnv('admin', { ...issuer.env, AUDIT_RETENTION_INTERVAL_MS: 200 }));
  producer = await connectProducer();
  await server.events.whenConsuming();
  let probeId = '';
  await untilSeen(
    async () => {
      const probe = notificationEvent();
      probeId = probe.id;
      await produceEvent(producer, probe);
    },
    () => audited(probeId),
    'the audit consumer to see a probe event',
  );
});
afterAll(async () => {
  await producer?.disconnect();
  await dropDatabase(server);
  await server.close();
  await issuer?.close();
});

describe('audit consumer', () => {
  it('records an event produced twice exactly once', async () => {
    const event = notificationEvent({ correlationId: 'corr-twice-12345' });
    await produceEvent(producer, event);
    await produceEvent(producer, event);
    // Same key → same partition → in order: once the sentinel is recorded, both copies were handled.
    const sentinel = notificationEvent();
    const message = toKafkaMessage(sentinel);
    await producer.send({ topic: testTopic(TEST_TOPIC), messages: [{ ...message, key: event.subject }] });
    await waitFor(() => audited(sentinel.id), { timeoutMs: 20_000, what: 'the sentinel event' });

    const count = await auditEventModel(server.mongo).countDocuments({ _id: event.id });
    expect(count).toBe(1);
    const res = await server.inject({ headers: admin(), url: `/api/v1/admin/audit/${event.id}` });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({
      id: event.id,
      type: 'com.foodxchange.notification.sent',
      topic: TEST_TOPIC,
      source: '/foodxchange/admin-test',
      subject: event.subject,
      correlationId: 'corr-twice-12345',
      time: event.time,
      dataschema: event.dataschema,
      data: event.data,
    });
    const bySubject = await server.inject({ headers: admin(), url: `/api/v1/admin/audit?subject=${event.subject}` });
    expect(bySubject.json().pagination.total).toBe(1);
  });

  it('treats a second insert of the same event as already recorded (duplicate key)', async () => {
    const event = notificationEvent();
    const context = { app: server, log: server.log, topic: TEST_TOPIC, partition: 0, offset: '1', attempt: 1, heartbeat: async () => {} };
    await recordAuditEvent(event, context);
    await expect(recordAuditEvent(event, { ...context, offset: '2' })).resolves.toBeUndefined();
    const docs = await auditEventModel(server.mongo).find({ _id: event.id }).lean();
    expect(docs).toHaveLength(1);
    expect(docs[0]!.offset).toBe('1');
    // Event data is stored as JSON text (keys are the producer's), served as JSON.
    expect(typeof docs[0]!.data).toBe('string');
  });
});

describe('GET /admin/audit', () => {
  const correlationId = `corr-page-${uniqueSuffix()}`;
  const events = [
    notificationEvent({ correlationId, time: '2025-03-01T10:00:00.000Z' }),
    notificationEvent({ correlationId, time: '2025-03-01T11:00:00.000Z' }),
    notificationEvent({ correlationId, time: '2025-03-01T12:00:00.000Z' }),
  ];

  beforeAll(async () => {
    for (const event of events) await produceEvent(producer, event);
    await waitFor(
      async () => {
        const res = await server.inject({ headers: admin(), url: `/api/v1/admin/audit?correlationId=${correlationId}` });
        return res.json().pagination?.total === 3;
      },
      { timeoutMs: 20_000, what: 'three audited events' },
    );
  });

  it('pages newest first', async () => {
    const first = await server.inject({ headers: admin(), url: `/api/v1/admin/audit?correlationId=${correlationId}&limit=2` });
    expect(first.statusCode).toBe(200);
    expect(first.json().data.map((event: { id: string }) => event.id)).toEqual([events[2]!.id, events[1]!.id]);
    expect(first.json().pagination).toEqual({ page: 1, limit: 2, total: 3, totalPages: 2, hasNext: true, hasPrev: false });
    const second = await server.inject({ headers: admin(), url: `/api/v1/admin/audit?correlationId=${correlationId}&limit=2&page=2` });
    expect(second.json().data.map((event: { id: string }) => event.id)).toEqual([events[0]!.id]);
    expect(second.json().pagination).toMatchObject({ hasNext: false, hasPrev: true });
  });

  it('filters by topic, subject and time range [from, to)', async () => {
    const byTopic = await server.inject({ headers: admin(), url: `/api/v1/admin/audit?correlationId=${correlationId}&topic=${TEST_TOPIC}` });
    expect(byTopic.json().pagination.total).toBe(3);
    const otherTopic = await server.inject({ headers: admin(), url: `/api/v1/admin/audit?correlationId=${correlationId}&topic=order.created` });
    expect(otherTopic.json().pagination.total).toBe(0);
    const bySubject = await server.inject({ headers: admin(), url: `/api/v1/admin/audit?subject=${events[1]!.subject}` });
    expect(bySubject.json().data.map((event: { id: string }) => event.id)).toEqual([events[1]!.id]);
    const window = await server.inject({
      headers: admin(),
      url: `/api/v1/admin/audit?correlationId=${correlationId}&from=2025-03-01T11:00:00.000Z&to=2025-03-01T12:00:00.000Z`,
    });
    expect(window.json().data.map((event: { id: string }) => event.id)).toEqual([events[1]!.id]);
  });

  it('rejects bad query parameters with field errors', async () => {
    const cases: Array<[string, string]> = [
      ['limit=0', 'querystring.limit'],
      ['limit=101', 'querystring.limit'],
      ['page=0', 'querystring.page'],
      ['page=501', 'querystring.page'],
      ['topic=no.such-topic', 'querystring.topic'],
      ['from=yesterday', 'querystring.from'],
      ['colour=red', 'querystring.colour'],
      ['from=2025-03-02T00:00:00Z&to=2025-03-01T00:00:00Z', 'querystring.to'],
      ['from=2025-03-01T00:00:00Z&to=2025-03-01T00:00:00Z', 'querystring.to'],
      ['from=2025-03-01T01:00:00%2B01:00&to=2025-03-01T00:00:00Z', 'querystring.to'],
    ];
    for (const [query, field] of cases) {
      const res = await server.inject({ headers: admin(), url: `/api/v1/admin/audit?${query}` });
      expect(res.statusCode, query).toBe(400);
      expect(res.json()).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
      expect(Object.keys(res.json().error.fields), query).toContain(field);
    }
  });

  it('states in its OpenAPI schema the range rule the handler enforces', async () => {
    const doc = (await server.inject({ headers: admin(), url: '/openapi.json' })).json();
    const parameters: Array<{ name: string; in: string; description?: string }> = doc.paths['/api/v1/admin/audit'].get.parameters;
    const to = parameters.find((parameter) => parameter.in === 'query' && parameter.name === 'to');
    expect(to?.description).toMatch(/must be later than `from`/);
  });

  it('answers an unknown event id with the 404 envelope', async () => {
    const res = await server.inject({ headers: admin(), url: `/api/v1/admin/audit/${randomUUID()}` });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
  });
});

describe('audit filters by company and correlation id', () => {
  const suffix = uniqueSuffix();
  const [buyer, supplier, matchedSupplier, other] = ['buyer', 'supplier', 'matched', 'other'].map((name) => `co-${name}-${suffix}`);
  const correlationId = `corr-company-${suffix}`;
  const order = buildEvent(TOPICS.orderCreated, {
    source: '/foodxchange/admin-test',
    subject: `order-${suffix}`,
    correlationId,
    data: { ...sampleEventData['order.created'], orderId: `order-${suffix}`, buyerCompanyId: buyer!, supplierCompanyId: supplier! },
  });
  const matched = buildEvent(TOPICS.rfqMatched, {
    source: '/foodxchange/admin-test',
    subject: `rfq-${suffix}`,
    correlationId,
    data: {
      ...sampleEventData['rfq.matched'],
      rfqId: `rfq-${suffix}`,
      buyerCompanyId: buyer!,
      matches: [{ ...sampleEventData['rfq.matched'].matches[0]!, supplierCompanyId: matchedSupplier! }],
    },
  });
  const unrelated = buildEvent(TOPICS.companyVerified, {
    source: '/foodxchange/admin-test',
    subject: other!,
    correlationId: `corr-other-${suffix}`,
    data: { ...sampleEventData['company.verified'], companyId: other! },
  });

  beforeAll(async () => {
    // The audit handler on the real database, as the consumer calls it.
    for (const [offset, event] of [order, matched, unrelated].entries()) {
      await recordAuditEvent(event, { app: server, log: server.log, topic: topicOf(event), partition: 0, offset: String(offset), attempt: 1, heartbeat: async () => {} });
    }
  });

  const ids = async (query: string) => {
    const res = await server.inject({ headers: admin(), url: `/api/v1/admin/audit?${query}` });
    expect(res.statusCode, query).toBe(200);
    return (res.json().data as Array<{ id: string }>).map((event) => event.id).sort();
  };

  it('finds the events of a company as party, matched supplier or subject', async () => {
    expect(await ids(`companyId=${buyer}`)).toEqual([order.id, matched.id].sort());
    expect(await ids(`companyId=${supplier}`)).toEqual([order.id]);
    expect(await ids(`companyId=${matchedSupplier}`)).toEqual([matched.id]);
    expect(await ids(`companyId=${other}`)).toEqual([unrelated.id]);
    expect(await ids(`companyId=${buyer}&topic=order.created`)).toEqual([order.id]);
    expect(await ids(`companyId=co-nobody-${suffix}`)).toEqual([]);
    const one = await server.inject({ headers: admin(), url: `/api/v1/admin/audit/${order.id}` });
    expect(one.json().data.companyIds.sort()).toEqual([buyer, supplier].sort());
  });

  it('finds the events of a correlation id, and nothing else', async () => {
    expect(await ids(`correlationId=${correlationId}`)).toEqual([order.id, matched.id].sort());
    expect(await ids(`correlationId=${correlationId}&companyId=${matchedSupplier}`)).toEqual([matched.id]);
  });

  it('rejects a malformed company id with a field error', async () => {
    for (const value of ['', '%20x', 'a'.repeat(201), '..']) {
      const res = await server.inject({ headers: admin(), url: `/api/v1/admin/audit?companyId=${value}` });
      expect(res.statusCode, value).toBe(400);
      expect(res.json()).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
    }
  });
});

describe('audit retention', () => {
  const entry = (id: string, recordedAt: Date, time = new Date()) => ({
    _id: id,
    topic: TEST_TOPIC,
    type: 'com.foodxchange.notification.sent',
    source: '/foodxchange/admin-test',
    subject: id,
    correlationId: `corr-retention-${id}`,
    time,
    dataschema: 'x',
    data: '{}',
    companyIds: [],
    partition: 0,
    offset: '0',
    recordedAt,
  });

  it('removes the entries older than the age, and only those', async () => {
    const model = auditEventModel(server.mongo);
    const suffix = uniqueSuffix();
    const [old, edge, young] = [`old-${suffix}`, `edge-${suffix}`, `young-${suffix}`];
    // Far in the "future" relative to the running job's clock, so only the explicit run below can remove them.
    const base = Date.now() + 365 * DAY_MS;
    const future = (ms: number) => new Date(base + ms);
    await model.create([entry(old, future(-10 * DAY_MS - 1)), entry(edge, future(-10 * DAY_MS)), entry(young, future(-DAY_MS))]);
    const removed = await removeExpiredAuditEvents(model, 10 * DAY_MS, future(0));
    expect(removed).toBeGreaterThanOrEqual(1);
    const left = (await model.find({ _id: { $in: [old, edge, young] } }).lean()).map((doc) => doc._id).sort();
    expect(left).toEqual([edge, young].sort());
    // Running it again removes nothing more of them (idempotent: replicas may both run it).
    await removeExpiredAuditEvents(model, 10 * DAY_MS, future(0));
    expect((await model.find({ _id: { $in: [old, edge, young] } }).lean()).map((doc) => doc._id).sort()).toEqual([edge, young].sort());
  });

  it('runs by itself on every replica: an entry recorded past the configured age disappears, recent ones stay', async () => {
    const model = auditEventModel(server.mongo);
    const suffix = uniqueSuffix();
    const [expired, recent, oldEvent] = [`expired-${suffix}`, `recent-${suffix}`, `old-event-${suffix}`];
    await model.create([
      entry(expired, new Date(Date.now() - 91 * DAY_MS)),
      entry(recent, new Date(Date.now() - 89 * DAY_MS)),
      // An old event recorded today (a replay, a late consumer): its age is the entry's, not the event's.
      entry(oldEvent, new Date(), new Date('2020-01-01T00:00:00.000Z')),
    ]);
    await waitFor(async () => (await model.exists({ _id: expired })) === null, { timeoutMs: 10_000, what: 'the retention job to remove the expired entry' });
    // One more pass, seen by a second expired entry going: the recent ones survived two passes.
    const marker = `marker-${suffix}`;
    await model.create(entry(marker, new Date(Date.now() - 100 * DAY_MS)));
    await waitFor(async () => (await model.exists({ _id: marker })) === null, { timeoutMs: 10_000, what: 'a second pass of the retention job' });
    expect((await model.find({ _id: { $in: [recent, oldEvent] } }).lean()).map((doc) => doc._id).sort()).toEqual([oldEvent, recent].sort());
  });

  it('refuses an age that is not positive', () => {
    expect(() => loadServiceConfig(service, { AUDIT_RETENTION_DAYS: 0 })).toThrow(/AUDIT_RETENTION_DAYS/);
    expect(() => loadServiceConfig(service, { AUDIT_RETENTION_DAYS: 'soon' })).toThrow(/AUDIT_RETENTION_DAYS/);
    expect(loadServiceConfig(service, {}).AUDIT_RETENTION_DAYS).toBe(90);
  });
});
