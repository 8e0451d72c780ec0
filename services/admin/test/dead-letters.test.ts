import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Producer } from 'kafkajs';
import { buildService, DLQ_HEADERS } from '@foodxchange/service-kit';
import { bearer, startTestIssuer, type TestIssuer, dropDatabase, isolatedEnv, testTopic, uniqueSuffix, waitFor } from '@foodxchange/service-kit/testing';
import { ALL_TOPICS, dlqTopic, TOPICS, toKafkaMessage, type FoodXchangeEvent } from '@foodxchange/contracts';
import type { EventHandlerContext, RawMessage } from '@foodxchange/service-kit';
import app, { service } from '../src/app.js';
import { DEAD_LETTERS_PENDING, DEAD_LETTERS_RECORDED } from '../src/dead-letters/metrics.js';
import { deadLetterModel, replayClaimModel } from '../src/dead-letters/model.js';
import { recordDeadLetter } from '../src/dead-letters/record.js';
import { REPLAY_CLAIM_STALE_MS } from '../src/dead-letters/service.js';
import { connectProducer, notificationEvent, quarantineNoticeOf, readTopicFromNow, TEST_TOPIC, untilSeen, type ReadRecord } from './kafka.js';

const DLQ = dlqTopic(TEST_TOPIC);
let server: FastifyInstance;
let issuer: TestIssuer;
const admin = () => bearer(issuer.token({ role: 'admin', companyId: null }));
let producer: Producer;

function dlqHeaders(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    [DLQ_HEADERS.error]: 'order 42 unknown to this service',
    [DLQ_HEADERS.errorName]: 'PermanentError',
    [DLQ_HEADERS.stack]: 'PermanentError: order 42 unknown\n    at handler (notification.ts:1:1)',
    [DLQ_HEADERS.originalTopic]: TEST_TOPIC,
    [DLQ_HEADERS.originalPartition]: '1',
    [DLQ_HEADERS.originalOffset]: '1234',
    [DLQ_HEADERS.consumerGroup]: 'foodxchange.notification',
    [DLQ_HEADERS.attempts]: '5',
    [DLQ_HEADERS.failedAt]: '2025-03-01T09:31:00.000Z',
    ...overrides,
  };
}

/** Dead-letters an event the way the kit's consumer does: original key, value and headers + x-dlq-*. */
async function deadLetter(event: FoodXchangeEvent, overrides: Record<string, string> = {}): Promise<void> {
  const message = toKafkaMessage(event);
  await producer.send({
    topic: testTopic(DLQ),
    messages: [{ key: message.key, value: message.value, headers: { ...message.headers, 'x-trace': 'abc', ...dlqHeaders(overrides) } }],
  });
}

async function findByEventId(eventId: string) {
  const res = await server.inject({ headers: admin(), url: `/api/v1/admin/dead-letters?eventId=${eventId}` });
  return res.json().data?.[0] as { id: string; status: string } | undefined;
}

function replay(id: string) {
  return server.inject({ headers: admin(), method: 'POST', url: `/api/v1/admin/dead-letters/${id}/replay` });
}

beforeAll(async () => {
  issuer = await startTestIssuer();
  server = await buildService(service, app, isolatedEnv('admin', issuer.env));
  producer = await connectProducer();
  await server.events.whenConsuming();
  let probe = notificationEvent();
  await untilSeen(
    async () => {
      probe = notificationEvent();
      await deadLetter(probe);
    },
    async () => (await findByEventId(probe.id)) !== undefined,
    'the dead-letter consumer to see a probe',
  );
});
afterAll(async () => {
  await producer?.disconnect();
  await dropDatabase(server);
  await server.close();
  await issuer?.close();
});

describe('dead-letter consumer', () => {
  it('records a dead letter with its error, original position and own headers', async () => {
    const event = notificationEvent({ correlationId: 'corr-dead-letter-1' });
    await deadLetter(event);
    const found = await waitFor(() => findByEventId(event.id), { timeoutMs: 20_000, what: 'the dead letter' });
    expect(found.id).toMatch(new RegExp(`^${DLQ.replaceAll('.', '\\.')}:\\d+:\\d+$`));

    const res = await server.inject({ headers: admin(), url: `/api/v1/admin/dead-letters/${found.id}` });
    expect(res.statusCode).toBe(200);
    const letter = res.json().data;
    expect(letter).toMatchObject({
      dlqTopic: DLQ,
      originalTopic: TEST_TOPIC,
      originalPartition: 1,
      originalOffset: '1234',
      consumerGroup: 'foodxchange.notification',
      attempts: 5,
      failedAt: '2025-03-01T09:31:00.000Z',
      error: { message: 'order 42 unknown to this service', name: 'PermanentError', stack: expect.stringContaining('at handler') },
      key: event.subject,
      value: toKafkaMessage(event).value,
      headers: { 'content-type': 'application/cloudevents+json', 'x-trace': 'abc' },
      eventId: event.id,
      eventType: 'com.foodxchange.notification.sent',
      subject: event.subject,
      correlationId: 'corr-dead-letter-1',
      status: 'pending',
      replayCount: 0,
      replayInFlight: false,
    });
    expect(Object.keys(letter.headers).some((name) => name.startsWith('x-dlq-'))).toBe(false);
  });

  it('records garbage verbatim, taking the original topic from the DLQ name', async () => {
    const marker = `garbage-${uniqueSuffix()}`;
    await producer.send({ topic: testTopic(DLQ), messages: [{ key: marker, value: `{not json ${marker}` }] });
    const letter = await waitFor(
      async () => {
        const res = await server.inject({ headers: admin(), url: `/api/v1/admin/dead-letters?topic=${TEST_TOPIC}&limit=100` });
        return (res.json().data as Array<{ key: string }>).find((item) => item.key === marker);
      },
      { timeoutMs: 20_000, what: 'the garbage dead letter' },
    );
    expect(letter).toMatchObject({ originalTopic: TEST_TOPIC, value: `{not json ${marker}`, headers: {}, status: 'pending' });
    expect(letter).not.toHaveProperty('eventId');
  });
});

describe('replay', () => {
  let reader: { records: ReadRecord[]; stop: () => Promise<void> };
  beforeAll(async () => {
    reader = await readTopicFromNow(TEST_TOPIC);
  });
  afterAll(async () => {
    await reader?.stop();
  });

  it('re-publishes the original record to its original topic and marks the dead letter replayed', async () => {
    const event = notificationEvent();
    await deadLetter(event);
    const { id } = await waitFor(() => findByEventId(event.id), { timeoutMs: 20_000, what: 'the dead letter' });

    const res = await replay(id);
    expect(res.statusCode).toBe(202);
    expect(res.json().data).toMatchObject({ id, status: 'replayed', replayCount: 1, lastReplayedAt: expect.any(String) });

    const record = await waitFor(() => reader.records.find((r) => r.headers['x-replayed-from'] === id), {
      timeoutMs: 20_000,
      what: 'the replayed record',
    });
    const original = toKafkaMessage(event);
    expect(record.key).toBe(original.key);
    expect(record.value).toBe(original.value);
    expect(record.headers['content-type']).toBe('application/cloudevents+json');
    expect(record.headers['x-trace']).toBe('abc');
    expect(Date.parse(record.headers['x-replayed-at']!)).not.toBeNaN();
    expect(Object.keys(record.headers).filter((name) => name.startsWith('x-dlq-'))).toEqual([]);

    // The replayed event reaches consumers: admin's own audit consumer records it.
    await waitFor(async () => (await server.inject({ headers: admin(), url: `/api/v1/admin/audit/${event.id}` })).statusCode === 200, {
      timeoutMs: 20_000,
      what: 'the replayed event in the audit log',
    });
    await waitFor(async () => (await server.inject({ headers: admin(), url: `/api/v1/admin/dead-letters/${id}` })).json().data.replayInFlight === false, {
      timeoutMs: 10_000,
      what: 'the outbox to be cleared',
    });
  });

  it('refuses a second replay with 409, while in flight and after', async () => {
    const event = notificationEvent();
    await deadLetter(event);
    const { id } = await waitFor(() => findByEventId(event.id), { timeoutMs: 20_000, what: 'the dead letter' });

    // Two concurrent requests: exactly one wins the conditional write.
    const [a, b] = await Promise.all([replay(id), replay(id)]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([202, 409]);
    const loser = a.statusCode === 409 ? a : b;
    expect(loser.json()).toMatchObject({ success: false, error: { code: 'CONFLICT', details: { id } } });

    await waitFor(() => reader.records.find((r) => r.headers['x-replayed-from'] === id), { timeoutMs: 20_000, what: 'the replay' });
    await waitFor(async () => (await server.inject({ headers: admin(), url: `/api/v1/admin/dead-letters/${id}` })).json().data.replayInFlight === false, {
      timeoutMs: 10_000,
      what: 'the outbox to be cleared',
    });
    const after = await replay(id);
    expect(after.statusCode).toBe(409);
    expect(after.json().error).toMatchObject({ message: expect.stringContaining('already replayed'), details: { replayInFlight: false } });

    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(reader.records.filter((r) => r.headers['x-replayed-from'] === id)).toHaveLength(1);
    const letter = (await server.inject({ headers: admin(), url: `/api/v1/admin/dead-letters/${id}` })).json().data;
    expect(letter).toMatchObject({ status: 'replayed', replayCount: 1 });
  });

  it('answers 409 while another replay holds a live claim, and takes over a stale one', async () => {
    const claims = replayClaimModel(server.mongo);
    const live = notificationEvent();
    const stale = notificationEvent();
    await deadLetter(live);
    await deadLetter(stale);
    const liveLetter = await waitFor(() => findByEventId(live.id), { timeoutMs: 20_000, what: 'the first dead letter' });
    const staleLetter = await waitFor(() => findByEventId(stale.id), { timeoutMs: 20_000, what: 'the second dead letter' });

    // A replay in progress elsewhere (claimed a moment ago, status not flipped yet).
    await claims.create({ _id: liveLetter.id, claimedAt: new Date() });
    const busy = await replay(liveLetter.id);
    expect(busy.statusCode).toBe(409);
    expect(busy.json().error).toMatchObject({ message: expect.stringContaining('being replayed'), details: { replayInFlight: true } });

    // A replay that died between its claim and its write, long ago: taken over.
    await claims.create({ _id: staleLetter.id, claimedAt: new Date(Date.now() - REPLAY_CLAIM_STALE_MS - 1000) });
    const takeover = await replay(staleLetter.id);
    expect(takeover.statusCode).toBe(202);
    await waitFor(() => reader.records.find((r) => r.headers['x-replayed-from'] === staleLetter.id), {
      timeoutMs: 20_000,
      what: 'the taken-over replay',
    });
  });

  it('keeps a record with NUL bytes and invalid UTF-8 byte-exact, lists it and replays exactly those bytes', async () => {
    const marker = `binary-${uniqueSuffix()}`;
    // A key and a value no text column can hold: NUL, a lone continuation byte, an invalid lead.
    const key = Buffer.concat([Buffer.from(marker), Buffer.from([0x00, 0xc3])]);
    const value = Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0x00, 0xff, 0x80, 0xfe]), Buffer.from('"}'), Buffer.from([0x00])]);
    await producer.send({
      topic: testTopic(DLQ),
      messages: [{ key, value, headers: dlqHeaders({ [DLQ_HEADERS.error]: 'name "To\u0000mato" refused' }) }],
    });
    const letter = await waitFor(
      async () => {
        const res = await server.inject({ headers: admin(), url: `/api/v1/admin/dead-letters?topic=${TEST_TOPIC}&status=pending&limit=100` });
        return (res.json().data as Array<{ id: string; keyBase64: string | null }>).find((item) => item.keyBase64 === key.toString('base64'));
      },
      { timeoutMs: 20_000, what: 'the binary dead letter' },
    );
    expect(letter).toMatchObject({
      key: null,
      value: null,
      valueBase64: value.toString('base64'),
      error: { message: 'name "To\uFFFDmato" refused' },
      status: 'pending',
    });
    // The consumer is not wedged by it: a later dead letter is still recorded.
    const after = notificationEvent();
    await deadLetter(after);
    await waitFor(() => findByEventId(after.id), { timeoutMs: 20_000, what: 'a dead letter after the binary one' });

    const res = await replay(letter.id);
    expect(res.statusCode).toBe(202);
    const record = await waitFor(() => reader.records.find((r) => r.headers['x-replayed-from'] === letter.id), {
      timeoutMs: 20_000,
      what: 'the replayed binary record',
    });
    expect(Buffer.compare(record.keyBytes!, key)).toBe(0);
    expect(Buffer.compare(record.valueBytes!, value)).toBe(0);
  });

  it('links a replay that failed again to the dead letter it came from', async () => {
    const event = notificationEvent();
    await deadLetter(event, { 'x-replayed-from': 'notification.sent.dlq:0:7' });
    const found = await waitFor(() => findByEventId(event.id), { timeoutMs: 20_000, what: 'the dead letter' });
    const letter = (await server.inject({ headers: admin(), url: `/api/v1/admin/dead-letters/${found.id}` })).json().data;
    expect(letter.replayOf).toBe('notification.sent.dlq:0:7');
  });

  it('refuses to replay a record without a value', async () => {
    const marker = `tombstone-${uniqueSuffix()}`;
    await producer.send({ topic: testTopic(DLQ), messages: [{ key: marker, value: null, headers: dlqHeaders() }] });
    const letter = await waitFor(
      async () => {
        const res = await server.inject({ headers: admin(), url: `/api/v1/admin/dead-letters?topic=${TEST_TOPIC}&status=pending&limit=100` });
        return (res.json().data as Array<{ id: string; key: string }>).find((item) => item.key === marker);
      },
      { timeoutMs: 20_000, what: 'the tombstone dead letter' },
    );
    const res = await replay(letter.id);
    expect(res.statusCode).toBe(409);
    expect((await server.inject({ headers: admin(), url: `/api/v1/admin/dead-letters/${letter.id}` })).json().data.status).toBe('pending');
  });

  it("lists a producer's quarantine notice with its error, and sends its replay to that producer", async () => {
    // What a service's outbox relay leaves on <topic>.dlq when the broker refuses an entry for good.
    const eventId = `evt-${uniqueSuffix()}`;
    const notice = quarantineNoticeOf(eventId, 'The request included a message larger than the max message size the server will accept');
    await producer.send({ topic: testTopic(DLQ), messages: [notice] });
    const letter = await waitFor(async () => (await server.inject({ headers: admin(), url: `/api/v1/admin/dead-letters?eventId=${eventId}` })).json().data?.[0], {
      timeoutMs: 20_000,
      what: 'the quarantine notice listed',
    });
    expect(letter).toMatchObject({
      quarantinedBy: 'notification',
      eventId,
      originalTopic: TEST_TOPIC,
      consumerGroup: 'outbox:notification',
      error: { name: 'MESSAGE_TOO_LARGE', message: expect.stringMatching(/larger than the max message size/) },
    });
    const res = await replay(letter.id);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.details).toEqual({
      service: 'notification',
      eventId,
      replay: `POST /ops/outbox/quarantine/${eventId}/replay`,
    });
    expect((await server.inject({ headers: admin(), url: `/api/v1/admin/dead-letters/${letter.id}` })).json().data.status).toBe('pending');
  });
});

describe('GET /admin/dead-letters', () => {
  it('filters by status and topic, newest first, paged', async () => {
    const pending = await server.inject({ headers: admin(), url: `/api/v1/admin/dead-letters?status=pending&topic=${TEST_TOPIC}&limit=2` });
    expect(pending.statusCode).toBe(200);
    expect(pending.json().pagination).toMatchObject({ page: 1, limit: 2, hasPrev: false });
    expect(pending.json().pagination.total).toBeGreaterThanOrEqual(3);
    expect(pending.json().data).toHaveLength(2);
    for (const item of pending.json().data) expect(item).toMatchObject({ status: 'pending', originalTopic: TEST_TOPIC });
    const [newer, older] = pending.json().data;
    expect(Date.parse(newer.recordedAt)).toBeGreaterThanOrEqual(Date.parse(older.recordedAt));

    const replayed = await server.inject({ headers: admin(), url: '/api/v1/admin/dead-letters?status=replayed' });
    expect(replayed.json().pagination.total).toBe(4);
    const otherTopic = await server.inject({ headers: admin(), url: '/api/v1/admin/dead-letters?topic=order.created' });
    expect(otherTopic.json().pagination.total).toBe(0);
  });

  it('rejects bad query parameters and malformed ids with 400', async () => {
    for (const query of ['status=lost', 'topic=nope', 'limit=0', 'page=0', 'colour=red']) {
      const res = await server.inject({ headers: admin(), url: `/api/v1/admin/dead-letters?${query}` });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_ERROR');
    }
    const badId = await server.inject({ headers: admin(), url: '/api/v1/admin/dead-letters/not-an-id' });
    expect(badId.statusCode).toBe(400);
    expect(badId.json().error.fields).toHaveProperty(['params.id']);
  });

  it('answers unknown ids with the 404 envelope, for reads and replays', async () => {
    const id = `${DLQ}:0:999999999`;
    const read = await server.inject({ headers: admin(), url: `/api/v1/admin/dead-letters/${id}` });
    expect(read.statusCode).toBe(404);
    expect(read.json()).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
    const res = await replay(id);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
  });
});

describe('dead-letter metrics on /metrics (what infra/prometheus/alerts.yml watches)', () => {
  /** The sample of `name` with `topic="…"`, as Prometheus would scrape it; undefined when absent. */
  async function sample(name: string, topic: string): Promise<number | undefined> {
    const res = await server.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    const pattern = new RegExp(`^${name}\\{[^}]*\\btopic="${topic.replaceAll('.', '\\.')}"[^}]*\\} (\\S+)$`, 'm');
    const match = pattern.exec(res.body);
    return match ? Number(match[1]) : undefined;
  }

  it('lists every platform topic from the start, at 0 for a topic without dead letters', async () => {
    for (const topic of ALL_TOPICS) {
      expect(await sample(DEAD_LETTERS_RECORDED, topic), topic).toBeGreaterThanOrEqual(0);
      expect(await sample(DEAD_LETTERS_PENDING, topic), topic).toBeGreaterThanOrEqual(0);
    }
    // No test of this file dead-letters an event of this topic.
    expect(await sample(DEAD_LETTERS_RECORDED, TOPICS.productDeleted)).toBe(0);
    expect(await sample(DEAD_LETTERS_PENDING, TOPICS.productDeleted)).toBe(0);
  });

  it('counts a dead letter consumed from a <topic>.dlq under its original topic, recorded and pending', async () => {
    const topic = TOPICS.companyCertificationWithdrawn;
    expect(await sample(DEAD_LETTERS_RECORDED, topic)).toBe(0);
    const event = notificationEvent();
    await deadLetter(event, { [DLQ_HEADERS.originalTopic]: topic });
    await waitFor(() => findByEventId(event.id), { timeoutMs: 20_000, what: 'the dead letter' });
    expect(await sample(DEAD_LETTERS_RECORDED, topic)).toBe(1);
    expect(await sample(DEAD_LETTERS_PENDING, topic)).toBe(1);
  });

  it('counts a redelivered dead letter once, names a non-platform topic "other", and stops counting a replayed one as pending', async () => {
    const topic = TOPICS.productDeleted;
    const message: RawMessage = {
      topic: testTopic(DLQ),
      partition: 0,
      offset: `${Date.now()}`,
      key: Buffer.from('prd-metrics'),
      value: Buffer.from('{"not":"an event"}'),
      headers: dlqHeaders({ [DLQ_HEADERS.originalTopic]: topic }),
      timestamp: `${Date.now()}`,
    };
    const context = { app: server, log: server.log } as EventHandlerContext;
    const otherBefore = (await sample(DEAD_LETTERS_RECORDED, 'other')) ?? 0;
    await recordDeadLetter(message, context);
    // Kafka delivers at least once: the same record (same place in its DLQ) again.
    await recordDeadLetter(message, context);
    expect(await sample(DEAD_LETTERS_RECORDED, topic)).toBe(1);
    expect(await sample(DEAD_LETTERS_PENDING, topic)).toBe(1);

    await recordDeadLetter({ ...message, offset: `${message.offset}1`, headers: dlqHeaders({ [DLQ_HEADERS.originalTopic]: 'no-such-topic' }) }, context);
    expect(await sample(DEAD_LETTERS_RECORDED, 'other')).toBe(otherBefore + 1);

    // A replay flips the status: the letter no longer waits (the counter of recorded ones stays).
    await deadLetterModel(server.mongo).updateOne({ dlqTopic: message.topic, dlqOffset: message.offset }, { $set: { status: 'replayed' } });
    expect(await sample(DEAD_LETTERS_PENDING, topic)).toBe(0);
    expect(await sample(DEAD_LETTERS_RECORDED, topic)).toBe(1);
  });
});
