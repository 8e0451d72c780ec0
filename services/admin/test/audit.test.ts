import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Producer } from 'kafkajs';
import { buildService } from '@foodxchange/service-kit';
import { bearer, startTestIssuer, type TestIssuer, dropDatabase, isolatedEnv, testTopic, uniqueSuffix, waitFor } from '@foodxchange/service-kit/testing';
import { toKafkaMessage } from '@foodxchange/contracts';
import app, { service } from '../src/app.js';
import { recordAuditEvent } from '../src/audit/record.js';
import { auditEventModel } from '../src/audit/model.js';
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
  server = await buildService(service, app, isolatedEnv('admin', issuer.env));
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
