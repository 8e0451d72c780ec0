/**
 * The consumer under the faults a real group meets, against the launcher's Kafka and FerretDB:
 * long retries (heartbeats), an event in progress on another replica (claim lease), a replica
 * that died holding a claim, broadcast next to shared handlers, and a group that is brand new.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import type { FastifyInstance } from 'fastify';
import { ALL_TOPICS, buildEvent, sampleEventData, toKafkaMessage, TOPICS, type FoodXchangeEvent } from '@foodxchange/contracts';
import {
  buildService,
  ensureTopics,
  processedEventId,
  processedEventModel,
  serviceKit,
  subscribe,
  subscribeBroadcast,
  type AnySubscription,
  type ServiceApp,
} from '../src/index.js';
import { dropDatabase, isolatedEnv, testTopic, uniqueSuffix, waitFor } from '../src/testing.js';

const TOPIC = TOPICS.complianceChecked;
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const kafka = new Kafka({ clientId: 'kit-consumer-test', brokers, logLevel: logLevel.NOTHING });
const service = { name: 'kit-consumer-faults', version: '0.0.1', description: 'consumer fault tests', defaultPort: 0 };
// Every event this file produces has a subject starting with this, so events other test runs put
// on the shared topic are told apart.
const RUN = `run-${uniqueSuffix()}`;

let producer: Producer;
let admin: Admin;
const apps: FastifyInstance[] = [];

function consumerApp(subscriptions: AnySubscription[]): ServiceApp {
  return async (app, { config }) => {
    await app.register(serviceKit, { service, config, kafka: { subscriptions } });
  };
}

async function start(subscriptions: AnySubscription[], env: Record<string, unknown>): Promise<FastifyInstance> {
  const app = await buildService(service, consumerApp(subscriptions), env);
  apps.push(app);
  return app;
}

function checkEvent(tag: string): FoodXchangeEvent<typeof TOPIC> {
  const checkId = `${RUN}-${tag}-${uniqueSuffix()}`;
  return buildEvent(TOPIC, {
    source: '/foodxchange/consumer-test',
    subject: checkId,
    data: { ...sampleEventData[TOPIC], checkId },
    correlationId: `corr-${checkId}`,
  });
}

async function produce(event: FoodXchangeEvent, options: { partition?: number; topic?: string } = {}): Promise<void> {
  const message = toKafkaMessage(event);
  await producer.send({
    topic: options.topic ?? testTopic(TOPIC),
    messages: [{ ...message, ...(options.partition === undefined ? {} : { partition: options.partition }) }],
  });
}

/** Sum of the kit's consumed-events counter for one outcome, read from the app's /metrics. */
async function outcomes(app: FastifyInstance, outcome: string): Promise<number> {
  const body = (await app.inject({ url: '/metrics' })).body;
  let total = 0;
  for (const line of body.split('\n')) {
    if (line.startsWith('events_consumed_total{') && line.includes(`outcome="${outcome}"`)) total += Number(line.split(' ').pop());
  }
  return total;
}

/** Until the group has `members` members, each with partitions: the rebalance is over. */
async function untilGroupStable(groupId: string, members: number): Promise<void> {
  await waitFor(
    async () => {
      const { groups } = await admin.describeGroups([groupId]);
      const group = groups[0];
      return group?.state === 'Stable' && group.members.length === members && group.members.every((m) => m.memberAssignment.length > 0);
    },
    { timeoutMs: 60_000, intervalMs: 250, what: `group ${groupId} stable with ${members} members` },
  );
}

beforeAll(async () => {
  producer = kafka.producer({ allowAutoTopicCreation: false });
  admin = kafka.admin();
  await Promise.all([producer.connect(), admin.connect()]);
});

afterAll(async () => {
  for (const app of apps) {
    await dropDatabase(app);
    await app.close();
  }
  await producer?.disconnect();
  await admin?.disconnect();
});

describe('heartbeats', () => {
  it('keeps the group session through retries whose backoff outlasts the session timeout', async () => {
    const attempts = new Map<string, number>();
    const handled: string[] = [];
    const app = await start(
      [
        subscribe(TOPIC, async (event) => {
          if (!event.subject.startsWith(RUN)) return;
          const tries = (attempts.get(event.id) ?? 0) + 1;
          attempts.set(event.id, tries);
          if (event.subject.includes('-slow-') && tries <= 3) throw new Error('downstream still warming up');
          handled.push(event.id);
        }),
      ],
      // Three backoffs of 2.5 s × 2^n with jitter: 8.75–17.5 s of retrying, past a 6 s session.
      isolatedEnv('kitbeat', {
        KAFKA_SESSION_TIMEOUT_MS: 6000,
        KAFKA_HEARTBEAT_INTERVAL_MS: 1000,
        CONSUMER_BACKOFF_MS: 2500,
        CONSUMER_MAX_ATTEMPTS: 6,
      }),
    );
    await app.events.whenConsuming();
    const consumer = app.events.consumer!;
    expect(consumer.groupJoins).toBe(1);

    const slow = checkEvent('slow');
    await produce(slow);
    await waitFor(() => handled.includes(slow.id), { timeoutMs: 60_000, what: 'the slow event handled' });
    // A later event passes through kafkajs's own heartbeat and commit after the slow one: had the
    // session expired, that is where the member would have been told so and rejoined.
    const next = checkEvent('next');
    await produce(next);
    await waitFor(() => handled.includes(next.id), { timeoutMs: 30_000, what: 'the next event handled' });

    expect(attempts.get(slow.id)).toBe(4);
    expect(handled.filter((id) => id === slow.id)).toHaveLength(1);
    expect(consumer.groupJoins).toBe(1);
  }, 120_000);
});

describe('claims with a lease', () => {
  const group = `test.kitclaim.${uniqueSuffix()}`;
  const db = `test_kitclaim_${uniqueSuffix()}`;
  const calls = new Map<string, number>();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let replicaA: FastifyInstance;
  let replicaB: FastifyInstance;

  const handler = subscribe(TOPIC, async (event) => {
    if (!event.subject.startsWith(RUN)) return;
    calls.set(event.id, (calls.get(event.id) ?? 0) + 1);
    if (event.subject.includes('-blocked-')) await gate;
  });

  beforeAll(async () => {
    // Two replicas of one service: one group, one database.
    const env = { ...isolatedEnv('kitclaim'), KAFKA_GROUP_ID: group, MONGO_DB: db, CONSUMER_CLAIM_LEASE_MS: 2000 };
    replicaA = await start([handler], env);
    replicaB = await start([handler], env);
    await Promise.all([replicaA.events.whenConsuming(), replicaB.events.whenConsuming()]);
    await untilGroupStable(group, 2);
  });

  it('never reruns an event still in progress on another replica: the second delivery waits for it', async () => {
    const event = checkEvent('blocked');
    // The same event on every partition, as a rebalance hands a replica an uncommitted record
    // another replica is still working on: each replica owns at least one of them.
    for (const partition of [0, 1, 2]) await produce(event, { partition });
    await waitFor(async () => (await outcomes(replicaA, 'waiting')) + (await outcomes(replicaB, 'waiting')) > 0, {
      timeoutMs: 30_000,
      what: 'a delivery waiting for the claim',
    });
    // The holder renews its lease while it works, so the waiting delivery does not take over.
    const processed = processedEventModel(replicaA.mongo);
    const claimId = processedEventId(group, handler.name, event.id);
    const claimed = await processed.findById(claimId).lean();
    expect(claimed).toMatchObject({ status: 'processing' });
    await waitFor(
      async () => {
        const now = await processed.findById(claimId).lean();
        return now && now.leaseUntil.getTime() > claimed!.leaseUntil.getTime() + 2000;
      },
      { timeoutMs: 20_000, what: 'the lease renewed past its first term' },
    );
    expect(calls.get(event.id)).toBe(1);

    release();
    await waitFor(async () => (await outcomes(replicaA, 'duplicate')) + (await outcomes(replicaB, 'duplicate')) >= 2, {
      timeoutMs: 30_000,
      what: 'the other deliveries to skip it',
    });
    expect(calls.get(event.id)).toBe(1);
    expect(await processed.findById(claimId).lean()).toMatchObject({ status: 'done', attempts: 1 });
  }, 90_000);

  it('takes over a claim whose holder died: expired at once, or once its lease runs out', async () => {
    const processed = processedEventModel(replicaA.mongo);
    const claimOf = (event: FoodXchangeEvent, leaseUntil: Date) => ({
      _id: processedEventId(group, handler.name, event.id),
      group,
      handler: handler.name,
      eventId: event.id,
      topic: TOPIC,
      status: 'processing',
      token: `dead-${uniqueSuffix()}`,
      holder: 'a-replica-that-crashed',
      leaseUntil,
      attempts: 0,
      startedAt: new Date(Date.now() - 60_000),
      expiresAt: new Date(Date.now() + 3600_000),
    });
    const expired = checkEvent('expired');
    const expiring = checkEvent('expiring');
    await processed.create(claimOf(expired, new Date(Date.now() - 1000)));
    await processed.create(claimOf(expiring, new Date(Date.now() + 3000)));
    await produce(expired);
    await produce(expiring);
    await waitFor(() => calls.get(expired.id) === 1 && calls.get(expiring.id) === 1, {
      timeoutMs: 30_000,
      what: 'both stale claims taken over and handled',
    });
    expect(await processed.findById(processedEventId(group, handler.name, expiring.id)).lean()).toMatchObject({ status: 'done' });
  }, 60_000);
});

describe('broadcast and shared subscriptions', () => {
  it('runs a shared handler once per event in total and a broadcast handler once on every replica', async () => {
    const group = `test.kitcast.${uniqueSuffix()}`;
    const db = `test_kitcast_${uniqueSuffix()}`;
    const seen: { replica: string; handler: string; id: string }[] = [];
    const subscriptions = (replica: string): AnySubscription[] => {
      const record = (handler: string) => async (event: FoodXchangeEvent) => {
        if (event.subject.startsWith(RUN)) seen.push({ replica, handler, id: event.id });
      };
      return [
        subscribe(TOPIC, record('audit'), { name: 'audit' }),
        // A second shared handler of the same service for the same event: not suppressed by the first.
        subscribe(TOPIC, record('projection'), { name: 'projection' }),
        subscribeBroadcast(TOPIC, record('cache'), { name: 'cache' }),
      ];
    };
    const env = { ...isolatedEnv('kitcast'), KAFKA_GROUP_ID: group, MONGO_DB: db };
    const a = await start(subscriptions('a'), env);
    const b = await start(subscriptions('b'), env);
    await Promise.all([a.events.whenConsuming(), b.events.whenConsuming()]);
    expect(a.events.broadcast!.groupId).not.toBe(b.events.broadcast!.groupId);

    const event = checkEvent('cast');
    await produce(event);
    const count = (handler: string, id: string, replica?: string) =>
      seen.filter((s) => s.handler === handler && s.id === id && (!replica || s.replica === replica)).length;
    await waitFor(() => count('audit', event.id) && count('projection', event.id) && count('cache', event.id, 'a') && count('cache', event.id, 'b'), {
      timeoutMs: 30_000,
      what: 'every handler to see the event',
    });
    // A later event through the same paths, so a late duplicate of the first would be in by now.
    const later = checkEvent('cast-later');
    await produce(later);
    await waitFor(() => count('audit', later.id) && count('cache', later.id, 'a') && count('cache', later.id, 'b'), {
      timeoutMs: 30_000,
      what: 'the later event everywhere',
    });
    expect(count('audit', event.id)).toBe(1);
    expect(count('projection', event.id)).toBe(1);
    expect(count('cache', event.id, 'a')).toBe(1);
    expect(count('cache', event.id, 'b')).toBe(1);
  }, 90_000);

  it('refuses two handlers with one name on one topic', async () => {
    const noop = async () => undefined;
    await expect(
      buildService(service, consumerApp([subscribe(TOPIC, noop), subscribe(TOPIC, noop)]), isolatedEnv('kitdupe')),
    ).rejects.toThrow(/Two handlers named/);
  });
});

describe('a replica started right after another was SIGKILLed', () => {
  it('starts at once, although its group waits for the dead member\'s session, and consumes once it has joined', async () => {
    const group = `test.kitkilled.${uniqueSuffix()}`;
    const handled: string[] = [];
    const subscriptions = [subscribe(TOPIC, async (event) => void handled.push(event.id), { name: 'after-kill' })];
    const env = { ...isolatedEnv('kitkilled'), KAFKA_GROUP_ID: group };
    // A first replica commits the group's start offsets and leaves cleanly.
    const first = await buildService(service, consumerApp(subscriptions), env);
    await first.events.whenConsuming();
    await first.close();
    // A member that joins with a 30 s session and is then SIGKILLed: the group waits for it.
    const kafkajs = createRequire(import.meta.url).resolve('kafkajs');
    const member = spawn(process.execPath, ['-e', `
      const { Kafka, logLevel } = require(${JSON.stringify(kafkajs)});
      const consumer = new Kafka({ clientId: 'doomed', brokers: ${JSON.stringify(brokers)}, logLevel: logLevel.NOTHING })
        .consumer({ groupId: ${JSON.stringify(group)}, sessionTimeout: 30000, rebalanceTimeout: 30000 });
      consumer.on(consumer.events.GROUP_JOIN, () => console.log('joined'));
      consumer.connect()
        .then(() => consumer.subscribe({ topics: [${JSON.stringify(testTopic(TOPIC))}] }))
        .then(() => consumer.run({ eachMessage: async () => undefined }));
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    member.stdout.on('data', (chunk) => (output += String(chunk)));
    try {
      await waitFor(() => output.includes('joined'), { what: 'the doomed member joined', timeoutMs: 60_000 });
    } finally {
      member.kill('SIGKILL');
    }
    // Before, start-up waited for the join and Fastify gave up on it after 10 s: this threw.
    const second = await start(subscriptions, env);
    const event = checkEvent('after-kill');
    await produce(event);
    await waitFor(() => handled.includes(event.id), { what: 'the event consumed once the dead member is gone', timeoutMs: 90_000 });
    expect(second.events.consumer!.groupJoins).toBeGreaterThanOrEqual(1);
  }, 150_000);
});

describe('a brand-new consumer group', () => {
  it('consumes an event published right after the service is ready, on topics created a moment before', async () => {
    for (let round = 1; round <= 3; round += 1) {
      // A namespace of its own: the topics do not exist until this app creates them.
      const prefix = `test.fresh${uniqueSuffix()}.`;
      const handled: string[] = [];
      // A producer of this round's own: one that knew a deleted topic keeps asking for it.
      const roundProducer = kafka.producer({ allowAutoTopicCreation: false });
      await roundProducer.connect();
      const app = await buildService(
        service,
        // Every contract topic, like the admin service: dozens of topics created at once.
        consumerApp(ALL_TOPICS.map((topic) => subscribe(topic, async (event) => void handled.push(event.id)))),
        isolatedEnv('kitfresh', { KAFKA_TOPIC_PREFIX: prefix }),
      );
      try {
        // No whenConsuming(): ready must be enough.
        const event = checkEvent(`fresh-${round}`);
        await roundProducer.send({ topic: `${prefix}${TOPIC}`, messages: [toKafkaMessage(event)] });
        await waitFor(() => handled.includes(event.id), { timeoutMs: 30_000, what: `round ${round}: the first event consumed` });
      } finally {
        await roundProducer.disconnect();
        await dropDatabase(app);
        await app.close();
        const created = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
        await admin.deleteTopics({ topics: created }).catch(() => undefined);
      }
    }
  }, 180_000);

  it('ensureTopics succeeds for every service creating the same new topics at once', async () => {
    const prefix = `test.together${uniqueSuffix()}.`;
    const topics = Array.from({ length: 12 }, (_, i) => `${prefix}t${i}`);
    const admins = Array.from({ length: 4 }, () => kafka.admin());
    await Promise.all(admins.map((each) => each.connect()));
    try {
      await Promise.all(admins.map((each) => ensureTopics(each, topics, 3)));
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
      expect(metadata.map((topic) => topic.partitions.filter((partition) => partition.leader >= 0).length)).toEqual(topics.map(() => 3));
    } finally {
      await Promise.all(admins.map((each) => each.disconnect()));
      await admin.deleteTopics({ topics }).catch(() => undefined);
    }
  }, 60_000);

  it('returns from ensureTopics only when every partition of every topic has a leader', async () => {
    const prefix = `test.leaders${uniqueSuffix()}.`;
    const topics = Array.from({ length: 12 }, (_, i) => `${prefix}t${i}`);
    try {
      await ensureTopics(admin, [testTopic(TOPIC), ...topics], 3);
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
      expect(metadata).toHaveLength(topics.length);
      for (const topic of metadata) {
        expect(topic.partitions).toHaveLength(3);
        for (const partition of topic.partitions) expect(partition.leader).toBeGreaterThanOrEqual(0);
      }
    } finally {
      await admin.deleteTopics({ topics }).catch(() => undefined);
    }
  }, 60_000);
});
