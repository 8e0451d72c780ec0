import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Producer } from 'kafkajs';
import { buildService, DLQ_HEADERS } from '@foodxchange/service-kit';
import { bearer, dropDatabase, isolatedEnv, startTestIssuer, testTopic, uniqueSuffix, waitFor, type TestIssuer } from '@foodxchange/service-kit/testing';
import { dlqTopic, toKafkaMessage, type FoodXchangeEvent } from '@foodxchange/contracts';
import app, { service } from '../src/app.js';
import { connectProducer, notificationEvent, quarantineNoticeOf, readTopicFromNow, TEST_TOPIC, untilSeen, type ReadRecord } from './kafka.js';

/*
 * POST /admin/dead-letters/replay on a database of its own: this file's letters are the only
 * ones, so what a bulk replay picks can be stated exactly.
 */
const DLQ = dlqTopic(TEST_TOPIC);
/** Every record of this file on one key: one partition, recorded in the order produced. */
const KEY = `bulk-${uniqueSuffix()}`;
let server: FastifyInstance;
let issuer: TestIssuer;
let producer: Producer;
let reader: { records: ReadRecord[]; stop: () => Promise<void> };
const admin = () => bearer(issuer.token({ role: 'admin', companyId: null }));

const dlqHeaders = () => ({
  [DLQ_HEADERS.error]: 'recipient unknown',
  [DLQ_HEADERS.errorName]: 'PermanentError',
  [DLQ_HEADERS.originalTopic]: TEST_TOPIC,
  [DLQ_HEADERS.consumerGroup]: 'foodxchange.notification',
  [DLQ_HEADERS.attempts]: '5',
});

async function deadLetter(event: FoodXchangeEvent): Promise<void> {
  const message = toKafkaMessage(event);
  await producer.send({ topic: testTopic(DLQ), messages: [{ key: KEY, value: message.value, headers: { ...message.headers, ...dlqHeaders() } }] });
}

async function letterOf(eventId: string): Promise<string | undefined> {
  const res = await server.inject({ headers: admin(), url: `/api/v1/admin/dead-letters?eventId=${eventId}` });
  return (res.json().data?.[0] as { id: string } | undefined)?.id;
}

/** Dead-letters `n` events and waits until all are recorded; their letter ids, oldest first. */
async function letters(n: number): Promise<string[]> {
  const events = Array.from({ length: n }, () => notificationEvent());
  for (const event of events) await deadLetter(event);
  const ids: string[] = [];
  for (const event of events) ids.push(await waitFor(() => letterOf(event.id), { timeoutMs: 20_000, what: 'a dead letter recorded' }));
  return ids;
}

const bulk = (payload: unknown, headers: Record<string, string> = admin()) =>
  server.inject({ method: 'POST', url: '/api/v1/admin/dead-letters/replay', headers, payload: payload as object });
const replaysOf = (id: string) => reader.records.filter((record) => record.headers['x-replayed-from'] === id);
const settled = (ids: string[]) =>
  waitFor(
    async () => {
      for (const id of ids) {
        if (replaysOf(id).length === 0) return false;
        if ((await server.inject({ headers: admin(), url: `/api/v1/admin/dead-letters/${id}` })).json().data.replayInFlight) return false;
      }
      return true;
    },
    { timeoutMs: 20_000, what: 'the replays on the topic' },
  );

beforeAll(async () => {
  issuer = await startTestIssuer();
  server = await buildService(service, app, isolatedEnv('admin', issuer.env));
  producer = await connectProducer();
  reader = await readTopicFromNow(TEST_TOPIC);
  await server.events.whenConsuming();
  let probe = notificationEvent();
  await untilSeen(
    async () => {
      probe = notificationEvent();
      await deadLetter(probe);
    },
    async () => (await letterOf(probe.id)) !== undefined,
    'the dead-letter consumer to see a probe',
  );
  // The probes seen are the file's first letters: replay them now, so the tests start from none.
  const drained = await bulk({ topic: TEST_TOPIC });
  expect(drained.statusCode).toBe(202);
  expect(drained.json().data.replayed.length).toBeGreaterThanOrEqual(1);
});
afterAll(async () => {
  await reader?.stop();
  await producer?.disconnect();
  await dropDatabase(server);
  await server.close();
  await issuer?.close();
});

describe('POST /admin/dead-letters/replay', () => {
  it('replays the pending letters of a topic oldest first, up to the limit, each once; skips what cannot be replayed', async () => {
    const [single, a, b] = await letters(3);
    // A record without a value, and a producer's quarantine notice: pending, but not replayable.
    await producer.send({ topic: testTopic(DLQ), messages: [{ key: KEY, value: null, headers: dlqHeaders() }] });
    const noticeEventId = `evt-${uniqueSuffix()}`;
    const notice = quarantineNoticeOf(noticeEventId, 'too large');
    await producer.send({ topic: testTopic(DLQ), messages: [notice] });
    const noticeId = await waitFor(() => letterOf(noticeEventId), { timeoutMs: 20_000, what: 'the notice recorded' });
    const pending = await server.inject({ headers: admin(), url: `/api/v1/admin/dead-letters?status=pending&topic=${TEST_TOPIC}` });
    const tombstone = (pending.json().data as Array<{ id: string; valueBase64: string | null }>).find((letter) => letter.valueBase64 === null)!.id;

    // One of them replayed on its own first: the bulk replay does not send it again.
    expect((await server.inject({ method: 'POST', headers: admin(), url: `/api/v1/admin/dead-letters/${single}/replay` })).statusCode).toBe(202);

    const first = await bulk({ topic: TEST_TOPIC, limit: 1 });
    expect(first.statusCode).toBe(202);
    expect(first.json().data).toMatchObject({ topic: TEST_TOPIC, replayed: [a], remaining: 1 });
    expect(first.json().data.skipped.map((skip: { id: string }) => skip.id).sort()).toEqual([noticeId, tombstone].sort());
    expect(first.json().data.skipped.find((skip: { id: string }) => skip.id === noticeId).reason).toMatch(/notification service/);

    const second = await bulk({ topic: TEST_TOPIC });
    expect(second.json().data).toMatchObject({ replayed: [b], remaining: 0 });
    await settled([single!, a!, b!]);

    // Idempotent: nothing left to send, and each letter reached the topic exactly once.
    const third = await bulk({ topic: TEST_TOPIC });
    expect(third.statusCode).toBe(202);
    expect(third.json().data).toMatchObject({ replayed: [], remaining: 0 });
    for (const id of [single!, a!, b!]) expect(replaysOf(id), id).toHaveLength(1);
    const letter = (await server.inject({ headers: admin(), url: `/api/v1/admin/dead-letters/${a}` })).json().data;
    expect(letter).toMatchObject({ status: 'replayed', replayCount: 1 });
    // The notice and the tombstone are still waiting for their own remedies.
    for (const id of [noticeId, tombstone]) {
      expect((await server.inject({ headers: admin(), url: `/api/v1/admin/dead-letters/${id}` })).json().data.status).toBe('pending');
    }
    // A single replay of a letter the bulk replay sent: 409, as after a single replay.
    expect((await server.inject({ method: 'POST', headers: admin(), url: `/api/v1/admin/dead-letters/${a}/replay` })).statusCode).toBe(409);
  });

  it('two bulk replays at once send every letter once between them', async () => {
    const ids = await letters(4);
    const [x, y] = await Promise.all([bulk({ topic: TEST_TOPIC }), bulk({ topic: TEST_TOPIC })]);
    expect([x.statusCode, y.statusCode]).toEqual([202, 202]);
    const [xs, ys] = [x.json().data.replayed as string[], y.json().data.replayed as string[]];
    expect([...xs, ...ys].sort()).toEqual([...ids].sort());
    await settled(ids);
    for (const id of ids) expect(replaysOf(id), id).toHaveLength(1);
  });

  it('answers a topic without letters with nothing replayed', async () => {
    const res = await bulk({ topic: 'order.created' });
    expect(res.statusCode).toBe(202);
    expect(res.json().data).toEqual({ topic: 'order.created', replayed: [], skipped: [], remaining: 0 });
  });

  it('rejects bad bodies with 400 and field errors, and non-admins with 403', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, 'body.topic'],
      [{ topic: 'no.such-topic' }, 'body.topic'],
      [{ topic: `${TEST_TOPIC}.dlq` }, 'body.topic'],
      [{ topic: TEST_TOPIC, limit: 0 }, 'body.limit'],
      [{ topic: TEST_TOPIC, limit: 251 }, 'body.limit'],
      [{ topic: TEST_TOPIC, colour: 'red' }, 'body.colour'],
    ];
    for (const [payload, field] of cases) {
      const res = await bulk(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json()).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
      expect(Object.keys(res.json().error.fields ?? {}), JSON.stringify(payload)).toContain(field);
    }
    const broken = await server.inject({
      method: 'POST',
      url: '/api/v1/admin/dead-letters/replay',
      headers: { ...admin(), 'content-type': 'application/json' },
      payload: '{broken',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().success).toBe(false);
    for (const role of ['buyer', 'supplier'] as const) {
      expect((await bulk({ topic: TEST_TOPIC }, bearer(issuer.token({ role })))).statusCode).toBe(403);
    }
  });
});
