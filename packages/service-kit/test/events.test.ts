/**
 * The kit's event plumbing against the launcher's real MongoDB-compatible server and Kafka:
 * outbox → relay → broker → idempotent consumer, retries, dead letters and crash catch-up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from 'mongoose';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import type { FastifyInstance } from 'fastify';
import { dlqTopic, sampleEventData, TOPICS, toKafkaMessage, buildEvent, type FoodXchangeEvent } from '@foodxchange/contracts';
import {
  buildService,
  DLQ_HEADERS,
  PermanentError,
  serviceKit,
  stageEvent,
  subscribe,
  type ServiceApp,
} from '../src/index.js';
import { dropDatabase, isolatedEnv, testTopic, waitFor } from '../src/testing.js';
import { checkModel, type Check } from './fixtures/check-model.js';

const TOPIC = TOPICS.complianceChecked;
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

// --- producer service: stages events in its aggregate's outbox -------------------------------
const producerService = { name: 'kit-producer', version: '0.0.1', description: 'test producer', defaultPort: 0 };
const producerApp: ServiceApp = async (app, { config }) => {
  await app.register(serviceKit, { service: producerService, config, kafka: { publishes: [TOPIC] } });
  const checks = checkModel(app.mongo);
  app.events.registerOutbox(checks);
  app.decorate('checks', checks);
};

// --- consumer service: records what it handled; behaviour per event chosen by the test --------
const handled: string[] = [];
const attempts = new Map<string, number>();
const behaviour = new Map<string, 'fail-twice' | 'always-fail' | 'permanent'>();

const consumerService = { name: 'kit-consumer', version: '0.0.1', description: 'test consumer', defaultPort: 0 };
const consumerApp: ServiceApp = async (app, { config }) => {
  await app.register(serviceKit, {
    service: consumerService,
    config,
    kafka: {
      subscriptions: [
        subscribe(TOPIC, async (event) => {
          const tries = (attempts.get(event.id) ?? 0) + 1;
          attempts.set(event.id, tries);
          const mode = behaviour.get(event.data.checkId);
          if (mode === 'permanent') throw new PermanentError('order unknown to this service');
          if (mode === 'always-fail') throw new Error('downstream still down');
          if (mode === 'fail-twice' && tries <= 2) throw new Error('transient failure');
          handled.push(event.id);
        }),
      ],
    },
  });
};

let producer: FastifyInstance & { checks?: Model<Check> };
let consumer: FastifyInstance;
let kafka: Kafka;
let dlqReader: Consumer;
const dlqMessages: { key: string; value: string; headers: Record<string, string> }[] = [];

function checkData(checkId: string) {
  return { ...sampleEventData[TOPIC], checkId };
}

async function stageCheck(checkId: string): Promise<FoodXchangeEvent> {
  const checks = (producer as unknown as { checks: Model<Check> }).checks;
  const doc = new checks({ _id: checkId, verdict: 'passed' });
  const event = stageEvent(doc, TOPIC, checkId, checkData(checkId), producer.events.context(undefined, `corr-${checkId}`));
  await doc.save();
  producer.events.published();
  return event;
}

beforeAll(async () => {
  kafka = new Kafka({ clientId: 'kit-events-test', brokers, logLevel: logLevel.NOTHING });
  producer = await buildService(producerService, producerApp, isolatedEnv('kitproducer'));
  consumer = await buildService(
    consumerService,
    consumerApp,
    isolatedEnv('kitconsumer', { CONSUMER_MAX_ATTEMPTS: 3 }),
  );
  dlqReader = kafka.consumer({ groupId: `test.kit-dlq.${Date.now()}` });
  await dlqReader.connect();
  await dlqReader.subscribe({ topic: testTopic(dlqTopic(TOPIC)), fromBeginning: false });
  let dlqJoined!: () => void;
  const joined = new Promise<void>((resolve) => (dlqJoined = resolve));
  dlqReader.on(dlqReader.events.GROUP_JOIN, () => dlqJoined());
  await dlqReader.run({
    eachMessage: async ({ message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      dlqMessages.push({ key: String(message.key), value: String(message.value), headers });
    },
  });
  await Promise.all([consumer.events.whenConsuming(), joined]);
});

afterAll(async () => {
  await dlqReader?.disconnect();
  for (const app of [producer, consumer]) {
    if (!app) continue;
    await dropDatabase(app);
    await app.close();
  }
});

describe('outbox → Kafka → idempotent consumer', () => {
  it('publishes a staged event once without ever writing the aggregate', async () => {
    const event = await stageCheck(`chk-${Date.now()}-a`);
    const checks = (producer as unknown as { checks: Model<Check> }).checks;
    const asSaved = await checks.findById(event.subject).lean();
    await waitFor(() => handled.includes(event.id), { what: 'event handled' });
    // Concurrent updates to one document lose writes on FerretDB 1.x: the relay keeps its own
    // books, and the aggregate (with its event history) is exactly as the request wrote it.
    expect(await checks.findById(event.subject).lean()).toEqual(asSaved);
    expect(asSaved?.outbox.map((entry) => entry.id)).toEqual([event.id]);
    const marker = await producer.mongo.collection('outbox_delivered').findOne({ _id: event.id as never });
    expect(marker).toMatchObject({ _id: event.id });
  });

  it('handles an event delivered twice only once', async () => {
    const event = await stageCheck(`chk-${Date.now()}-dup`);
    await waitFor(() => handled.includes(event.id), { what: 'first delivery handled' });
    // Redeliver the very same event, as a relay crash between send and clear would.
    const raw = kafka.producer();
    await raw.connect();
    await raw.send({ topic: testTopic(TOPIC), messages: [toKafkaMessage(event)] });
    const marker = await stageCheck(`chk-${Date.now()}-after-dup`);
    await waitFor(() => handled.includes(marker.id), { what: 'later event handled' });
    await raw.disconnect();
    expect(handled.filter((id) => id === event.id)).toHaveLength(1);
    const metrics = (await consumer.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/events_consumed_total\{[^}]*outcome="duplicate"[^}]*\} [1-9]/);
  });

  it('retries a transient failure with backoff and then succeeds', async () => {
    const checkId = `chk-${Date.now()}-flaky`;
    behaviour.set(checkId, 'fail-twice');
    const event = await stageCheck(checkId);
    await waitFor(() => handled.includes(event.id), { what: 'flaky event handled' });
    expect(attempts.get(event.id)).toBe(3);
  });

  it('dead-letters after the last retry with the error attached, and keeps consuming', async () => {
    const checkId = `chk-${Date.now()}-dead`;
    behaviour.set(checkId, 'always-fail');
    const event = await stageCheck(checkId);
    const next = await stageCheck(`chk-${Date.now()}-next`);
    const dead = await waitFor(() => dlqMessages.find((m) => m.key === checkId), { what: 'dead letter' });
    expect(attempts.get(event.id)).toBe(3);
    expect(dead.headers).toMatchObject({
      [DLQ_HEADERS.error]: 'downstream still down',
      [DLQ_HEADERS.originalTopic]: TOPIC,
      [DLQ_HEADERS.attempts]: '3',
    });
    expect(JSON.parse(dead.value).id).toBe(event.id);
    await waitFor(() => handled.includes(next.id), { what: 'consumer moved on' });
  });

  it('dead-letters permanent errors without retrying', async () => {
    const checkId = `chk-${Date.now()}-perm`;
    behaviour.set(checkId, 'permanent');
    const event = await stageCheck(checkId);
    const dead = await waitFor(() => dlqMessages.find((m) => m.key === checkId), { what: 'dead letter' });
    expect(attempts.get(event.id)).toBe(1);
    expect(dead.headers[DLQ_HEADERS.errorName]).toBe('PermanentError');
  });

  it('sends poison messages to the DLQ at once and keeps going', async () => {
    const raw = kafka.producer();
    await raw.connect();
    const poisonKey = `poison-${Date.now()}`;
    await raw.send({ topic: testTopic(TOPIC), messages: [{ key: poisonKey, value: '{"not": "a cloudevent"' }] });
    const invalid = buildEvent(TOPIC, { source: '/test', subject: `${poisonKey}-2`, correlationId: 'corr-poison', data: checkData('x') });
    const tampered = { ...invalid, data: { ...invalid.data, passed: 'maybe' } };
    await raw.send({ topic: testTopic(TOPIC), messages: [{ key: `${poisonKey}-2`, value: JSON.stringify(tampered) }] });
    await raw.disconnect();
    const good = await stageCheck(`chk-${Date.now()}-after-poison`);
    await waitFor(() => dlqMessages.find((m) => m.key === poisonKey), { what: 'garbage dead-lettered' });
    const schemaBroken = await waitFor(() => dlqMessages.find((m) => m.key === `${poisonKey}-2`), { what: 'invalid event dead-lettered' });
    expect(schemaBroken.headers[DLQ_HEADERS.attempts]).toBe('0');
    await waitFor(() => handled.includes(good.id), { what: 'consumer kept going' });
  });

  it('catches up on events staged while no relay was running (crash recovery)', async () => {
    const checks = (producer as unknown as { checks: Model<Check> }).checks;
    await producer.events.relay.stop();
    const event = await stageCheck(`chk-${Date.now()}-offline`);
    // A stopped relay takes no kick: the write is staged and nothing sent it.
    expect(await producer.events.relay.undelivered([{ id: event.id, createdAt: new Date() }])).toEqual(new Set([event.id]));
    expect(await producer.mongo.collection('outbox_delivered').findOne({ _id: event.id as never })).toBeNull();
    expect(handled).not.toContain(event.id);
    producer.events.relay.start();
    await waitFor(() => handled.includes(event.id), { what: 'caught-up event handled' });
    void checks;
  });

  it('publishes events a later write stages on the same document, each once', async () => {
    const checks = (producer as unknown as { checks: Model<Check> }).checks;
    await producer.events.relay.stop();
    const first = await stageCheck(`chk-${Date.now()}-multi`);
    const doc = await checks.findById(first.subject);
    const second = stageEvent(doc!, TOPIC, first.subject, checkData(first.subject), producer.events.context());
    await doc!.save();
    producer.events.relay.start();
    await waitFor(() => handled.includes(first.id) && handled.includes(second.id), { what: 'both events handled' });
    await producer.events.relay.flush();
    expect(handled.filter((id) => id === first.id || id === second.id)).toHaveLength(2);
    expect((await checks.findById(first.subject).lean())?.outbox.map((e) => e.id)).toEqual([first.id, second.id]);
  });

  it('reports Kafka and Mongo in readiness', async () => {
    const res = await consumer.inject({ url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.checks).toMatchObject({ mongo: { status: 'up' }, kafka: { status: 'up', info: { consumer: 'running' } } });
  });
});
