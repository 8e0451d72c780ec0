/**
 * Batch handlers (subscribeBatch) against the launcher's Kafka: a partition's events arrive
 * several at a time, in offset order, in chunks of at most `maxEvents`; a batch that keeps
 * failing is split so that only the event that still fails is dead-lettered (with the handler
 * named), a poison message is dead-lettered without reaching the handler, and a topic cannot mix
 * batch and single-event handlers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { FastifyInstance } from 'fastify';
import { buildEvent, dlqTopic, sampleEventData, toKafkaMessage, TOPICS, type FoodXchangeEvent } from '@foodxchange/contracts';
import { buildService, PermanentError, serviceKit, subscribe, subscribeBatch, type AnySubscription, type ServiceApp } from '../src/index.js';
import { dropDatabase, isolatedEnv, readTopicFromNow, uniqueSuffix, waitFor } from '../src/testing.js';

const TOPIC = TOPICS.complianceChecked;
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const kafka = new Kafka({ clientId: 'kit-batch-test', brokers, logLevel: logLevel.NOTHING });
const service = { name: 'kit-batch', version: '0.0.1', description: 'batch consumer tests', defaultPort: 0 };

let producer: Producer;
const apps: FastifyInstance[] = [];
const namespaces: string[] = [];

function consumerApp(subscriptions: AnySubscription[]): ServiceApp {
  return async (app, { config }) => {
    await app.register(serviceKit, { service, config, kafka: { subscriptions } });
  };
}

/** A consumer on topics of its own namespace (`test.batch<suffix>.`), so only this test's events reach it. */
async function start(subscriptions: AnySubscription[]): Promise<{ app: FastifyInstance; topic: (contract: string) => string; contract: (contract: string) => string }> {
  const namespace = `batch${uniqueSuffix()}`;
  namespaces.push(namespace);
  const app = await buildService(service, consumerApp(subscriptions), isolatedEnv('kitbatch', { KAFKA_TOPIC_PREFIX: `test.${namespace}.`, CONSUMER_MAX_ATTEMPTS: 3 }));
  apps.push(app);
  await app.events.whenConsuming();
  // Broker name, and the name readTopicFromNow (which adds `test.`) wants.
  return { app, topic: (contract) => `test.${namespace}.${contract}`, contract: (contract) => `${namespace}.${contract}` };
}

function checkEvent(tag: string): FoodXchangeEvent<typeof TOPIC> {
  const checkId = `${tag}-${uniqueSuffix()}`;
  return buildEvent(TOPIC, { source: '/foodxchange/batch-test', subject: checkId, data: { ...sampleEventData[TOPIC], checkId }, correlationId: `corr-${checkId}` });
}

beforeAll(async () => {
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
});

afterAll(async () => {
  for (const app of apps) {
    await dropDatabase(app);
    await app.close();
  }
  await producer?.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((topic) => namespaces.some((namespace) => topic.startsWith(`test.${namespace}.`)));
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
});

describe('a batch handler', () => {
  it("gets a partition's events several at a time, in offset order, at most maxEvents per call", async () => {
    const calls: string[][] = [];
    const { topic } = await start([
      subscribeBatch(TOPIC, async (events) => void calls.push(events.map((event) => event.id)), { name: 'index', maxEvents: 25 }),
    ]);
    const events = Array.from({ length: 60 }, (_, n) => checkEvent(`batch-${n}`));
    // One produce request: appended to the partition at once, so the first fetch holds all 60.
    await producer.send({ topic: topic(TOPIC), messages: events.map((event) => ({ ...toKafkaMessage(event), partition: 0 })) });
    await waitFor(() => calls.flat().length >= 60, { what: 'all 60 events handled', timeoutMs: 30_000 });
    expect(calls.flat()).toEqual(events.map((event) => event.id));
    expect(Math.max(...calls.map((call) => call.length))).toBe(25);
    expect(calls.every((call) => call.length <= 25)).toBe(true);
  }, 60_000);

  it('that keeps failing is split: the others are handled, only the failing event and the poison message are dead-lettered', async () => {
    const handled: string[] = [];
    const batchSizes: number[] = [];
    let bad = '';
    const { topic, contract } = await start([
      subscribeBatch(
        TOPIC,
        async (events) => {
          batchSizes.push(events.length);
          if (events.some((event) => event.id === bad)) throw new Error('this batch holds the event the store refuses');
          handled.push(...events.map((event) => event.id));
        },
        { name: 'index' },
      ),
    ]);
    const dead = await readTopicFromNow(contract(dlqTopic(TOPIC)));
    try {
      const events = Array.from({ length: 10 }, (_, n) => checkEvent(`split-${n}`));
      bad = events[4]!.id;
      await producer.send({
        topic: topic(TOPIC),
        messages: [
          ...events.slice(0, 5).map((event) => ({ ...toKafkaMessage(event), partition: 0 })),
          { key: 'poison', value: '{"not": "an event"', partition: 0 },
          ...events.slice(5).map((event) => ({ ...toKafkaMessage(event), partition: 0 })),
        ],
      });
      await waitFor(() => dead.records.length >= 2 && handled.length >= 9, { what: 'nine handled, two dead letters', timeoutMs: 30_000 });
      expect([...handled].sort()).toEqual(events.filter((event) => event.id !== bad).map((event) => event.id).sort());
      // The whole batch was tried (and retried) before it was split into single events.
      expect(batchSizes.slice(0, 3)).toEqual([10, 10, 10]);
      expect(batchSizes.filter((size) => size === 1).length).toBeGreaterThanOrEqual(10);
      const letters = dead.records.map((record) => ({ value: record.value, headers: record.headers }));
      const poison = letters.find((letter) => letter.value === '{"not": "an event"');
      expect(poison?.headers['x-dlq-attempts']).toBe('0');
      const failed = letters.find((letter) => letter.value !== '{"not": "an event"');
      expect(JSON.parse(failed!.value!).id).toBe(bad);
      expect(failed!.headers['x-dlq-handler']).toBe('index');
      expect(failed!.headers['x-dlq-attempts']).toBe('3');
      expect(failed!.headers['x-dlq-error']).toMatch(/refuses/);
    } finally {
      await dead.stop();
    }
  }, 60_000);

  it('dead-letters an event that fails for good without retrying it', async () => {
    let calls = 0;
    const { topic, contract } = await start([
      subscribeBatch(TOPIC, async () => {
        calls += 1;
        throw new PermanentError('never valid');
      }),
    ]);
    const dead = await readTopicFromNow(contract(dlqTopic(TOPIC)));
    try {
      const event = checkEvent('permanent');
      await producer.send({ topic: topic(TOPIC), messages: [{ ...toKafkaMessage(event), partition: 0 }] });
      await waitFor(() => dead.records.length >= 1, { what: 'the dead letter', timeoutMs: 30_000 });
      expect(calls).toBe(1);
      expect(dead.records[0]!.headers['x-dlq-attempts']).toBe('1');
    } finally {
      await dead.stop();
    }
  }, 60_000);

  it('cannot share a topic with single-event handlers', async () => {
    const noop = async () => undefined;
    await expect(
      buildService(service, consumerApp([subscribeBatch(TOPIC, noop, { name: 'a' }), subscribe(TOPIC, noop, { name: 'b' })]), isolatedEnv('kitbatchmix')),
    ).rejects.toThrow(/batch and single-event handlers/);
  });
});
