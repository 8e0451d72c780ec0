import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import fp from 'fastify-plugin';
import { Kafka, Partitioners, logLevel, type Admin, type LogEntry, type Producer } from 'kafkajs';
import { Counter } from 'prom-client';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { Model } from 'mongoose';
import { dlqTopic, type Topic } from '@foodxchange/contracts';
import { OutboxRelay, quarantineNotice, type EventContext } from '../events/outbox.js';
import outboxRoutes from '../events/outbox-routes.js';
import { EventConsumer, type AnySubscription, type ConsumerOutcome } from '../events/consumer.js';

export interface KafkaOptions {
  service: string;
  brokers: string[];
  groupId: string;
  fromBeginning: boolean;
  partitions: number;
  /** Namespace before every topic on the broker (empty in production). */
  topicPrefix: string;
  /** Topics this service publishes; created at start-up (brokers don't auto-create). */
  publishes: readonly Topic[];
  subscriptions: readonly AnySubscription[];
  maxAttempts: number;
  backoffMs: number;
  outboxPollMs: number;
  /** The relay's safety-net poll at rest (default 6 × outboxPollMs). */
  outboxIdlePollMs?: number;
  /** Consumer group session and heartbeat (kafkajs `sessionTimeout`, `heartbeatInterval`). */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** How long a handler's claim on an event outlives its holder's last renewal. */
  claimLeaseMs?: number;
  /** Names this replica (its broadcast group, claim holder); random per start by default. */
  instanceId?: string;
}

export interface EventBus {
  producer: Producer;
  relay: OutboxRelay;
  /** The group-shared consumer (`subscribe`, `subscribeRaw`): each event handled by one replica. */
  consumer: EventConsumer | undefined;
  /** This replica's own consumer (`subscribeBroadcast`): every replica handles every event. */
  broadcast: EventConsumer | undefined;
  admin: Admin;
  /** Adds an aggregate model whose documents carry an outbox (see outboxPlugin). */
  registerOutbox(model: Model<any>): void;
  /** Who is publishing and for which user action: used when staging events. */
  context(request?: Pick<FastifyRequest, 'correlationId'>, correlationId?: string): EventContext;
  /** Tells the relay a write staged events, so they leave now rather than at the next tick. */
  published(): void;
  /**
   * Resolves once this service's consumers have joined their groups (immediately if it has none).
   * Not needed before publishing: once the app is ready, every later event is consumed.
   */
  whenConsuming(): Promise<void>;
  /** The name a contract topic has on the broker (with this environment's prefix). */
  brokerTopic(topic: string): string;
}

declare module 'fastify' {
  interface FastifyInstance {
    events: EventBus;
  }
}

const KAFKA_LOG_LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

function kafkaLogger(log: FastifyBaseLogger) {
  return () =>
    ({ level, label, log: entry }: LogEntry) => {
      const { message, ...rest } = entry;
      log[KAFKA_LOG_LEVELS[level] ?? 'info']({ kafka: rest, label }, `kafkajs: ${message}`);
    };
}

/**
 * Creates topics idempotently (an existing topic is fine, a missing one is made), then waits until
 * every partition of every wanted topic has a leader that answers: right after many topics are
 * created at once, metadata already names leaders that still refuse offset lookups and produce
 * requests with NOT_LEADER for a while (measured: 40 topics, the first lookup failed).
 */
export async function ensureTopics(
  admin: Admin,
  topics: Iterable<string>,
  partitions: number,
  { timeoutMs = 30_000 }: { timeoutMs?: number } = {},
): Promise<void> {
  const wanted = [...new Set(topics)];
  if (wanted.length === 0) return;
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((topic) => !existing.has(topic));
  if (missing.length > 0) {
    // kafkajs's own wait for leaders gives up on the first "does not host this topic-partition"
    // (seen right after creation, e.g. while other services create the same topics): the wait
    // below retries that until its deadline instead. A topic another process created meanwhile
    // is not an error (createTopics resolves false).
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
    });
  }
  await waitForLeaders(admin, wanted, timeoutMs);
}

async function waitForLeaders(admin: Admin, topics: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pending = topics;
  let lastProblem = '';
  while (pending.length > 0) {
    const results = await Promise.all(
      pending.map(async (topic) => {
        try {
          const { topics: [metadata] } = await admin.fetchTopicMetadata({ topics: [topic] });
          const leaderless = (metadata?.partitions ?? []).filter((p) => p.partitionErrorCode !== 0 || p.leader < 0);
          if (!metadata || metadata.partitions.length === 0 || leaderless.length > 0) {
            return `${topic}: ${leaderless.length} partitions without a leader`;
          }
          // The leader's own answer: an offset lookup on every partition.
          await admin.fetchTopicOffsets(topic);
          return undefined;
        } catch (error) {
          return `${topic}: ${(error as Error).message}`;
        }
      }),
    );
    const problems = results.filter((problem): problem is string => problem !== undefined);
    pending = pending.filter((_, i) => results[i] !== undefined);
    if (pending.length === 0) return;
    lastProblem = problems[0] ?? '';
    if (Date.now() > deadline) {
      throw new Error(`Kafka topics not served by a leader after ${timeoutMs} ms (${pending.length}), e.g. ${lastProblem}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function kafkaPlugin(app: FastifyInstance, opts: KafkaOptions) {
  const kafka = new Kafka({
    clientId: `foodxchange-${opts.service}`,
    brokers: opts.brokers,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogger(app.log.child({ component: 'kafka' })),
    // A fresh broker answers "coordinator loading" for a moment: retry rather than fail.
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
    connectionTimeout: 3000,
  });
  const admin = kafka.admin();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });

  const published = new Counter({
    name: 'outbox_events_published_total',
    help: 'Events the outbox relay handed to Kafka',
    registers: [app.metrics],
  });
  const consumed = new Counter({
    name: 'events_consumed_total',
    help: 'Consumed events by topic and outcome',
    labelNames: ['topic', 'outcome'] as const,
    registers: [app.metrics],
  });

  const brokerTopic = (topic: string) => opts.topicPrefix + topic;
  const quarantined = new Counter({
    name: 'outbox_events_quarantined_total',
    help: 'Outbox entries the broker refused after every retry (kept for replay)',
    labelNames: ['topic'] as const,
    registers: [app.metrics],
  });
  const relay = new OutboxRelay(
    producer,
    app.mongo,
    app.log.child({ component: 'outbox' }),
    {
      pollIntervalMs: opts.outboxPollMs,
      ...(opts.outboxIdlePollMs === undefined ? {} : { idlePollIntervalMs: opts.outboxIdlePollMs }),
      onPublished: (count) => published.inc(count),
      onQuarantined: (entry) => {
        quarantined.inc({ topic: entry.topic });
        // Listed by the admin console beside the consumers' dead letters; best effort, the
        // quarantine itself is already recorded.
        void producer
          .send({ topic: brokerTopic(dlqTopic(entry.topic)), messages: [quarantineNotice(entry, opts.service)] })
          .catch((error) => app.log.warn({ err: error, eventId: entry._id }, 'quarantine notice not sent'));
      },
    },
    brokerTopic,
  );
  await app.register(outboxRoutes, { relay });
  const instanceId = opts.instanceId ?? `${hostname()}-${randomBytes(4).toString('hex')}`;
  const consumerOptions = {
    maxAttempts: opts.maxAttempts,
    backoffMs: opts.backoffMs,
    topicPrefix: opts.topicPrefix,
    sessionTimeoutMs: opts.sessionTimeoutMs,
    heartbeatIntervalMs: opts.heartbeatIntervalMs,
    claimLeaseMs: opts.claimLeaseMs,
    instanceId,
    onOutcome: (topic: string, outcome: ConsumerOutcome) => consumed.inc({ topic, outcome }),
  };
  const shared = opts.subscriptions.filter((subscription) => subscription.mode !== 'broadcast');
  const broadcasts = opts.subscriptions.filter((subscription) => subscription.mode === 'broadcast');
  const consumer =
    shared.length > 0
      ? new EventConsumer(kafka, producer, app.mongo, app, shared, {
          ...consumerOptions,
          groupId: opts.groupId,
          fromBeginning: opts.fromBeginning,
        })
      : undefined;
  // A group of this replica's own, new at every start and positioned at the end of each topic:
  // it sees every event published while it runs, whatever the other replicas do.
  const broadcast =
    broadcasts.length > 0
      ? new EventConsumer(kafka, producer, app.mongo, app, broadcasts, {
          ...consumerOptions,
          groupId: `${opts.groupId}.broadcast.${instanceId}`,
          fromBeginning: false,
          alwaysStartAtEnd: true,
          deadLetter: false,
          // Only redeliveries within this run can repeat an event here.
          retentionMs: 24 * 3600 * 1000,
        })
      : undefined;
  const consumers = [consumer, broadcast].filter((c): c is EventConsumer => c !== undefined);
  // The shared group changed: a replica that left may have died with events staged and not sent
  // (its own relay kicked at the write, but never published). Look now, and poll warm for a while.
  consumer?.onGroupJoin(() => relay.wake());

  await admin.connect();
  await producer.connect();

  const source = `/foodxchange/${opts.service}`;
  const bus: EventBus = {
    producer,
    relay,
    consumer,
    broadcast,
    admin,
    registerOutbox: (model) => relay.register(model),
    context: (request, correlationId) => ({
      source,
      correlationId: correlationId ?? request?.correlationId ?? crypto.randomUUID(),
    }),
    published: () => relay.kick(),
    whenConsuming: async () => {
      await Promise.all(consumers.map((c) => c.whenJoined()));
    },
    brokerTopic,
  };
  app.decorate('events', bus);

  // Not critical for readiness: the outbox keeps every write while the broker is away, so the
  // service keeps taking traffic and reports itself degraded.
  app.health.addCheck(
    'kafka',
    async () => {
      const cluster = await admin.describeCluster();
      const crashed = consumers.find((c) => c.state === 'crashed');
      if (crashed) throw new Error(`consumer ${crashed.groupId} crashed`);
      const info: Record<string, unknown> = { brokers: cluster.brokers.length, consumer: consumer?.state ?? 'none' };
      if (broadcast) info.broadcast = broadcast.state;
      return info;
    },
    { critical: false },
  );
  // A consumer kafkajs gave up on never comes back by itself: restart the process.
  app.health.addLivenessCheck('kafka-consumer', () => {
    const crashed = consumers.find((c) => c.state === 'crashed');
    return crashed ? `consumer ${crashed.groupId} crashed: ${crashed.crashError?.message ?? 'unknown error'}` : undefined;
  });

  // Runs after every plugin (and so every model) is registered; mongo's index build is earlier.
  app.addHook('onReady', async () => {
    const subscribed = opts.subscriptions.map((subscription) => subscription.topic);
    // Broadcast handlers don't dead-letter: only shared contract subscriptions need a DLQ topic.
    const contractTopics = shared.filter((s) => !s.raw).map((s) => s.topic);
    // Publishers' dead-letter topics too: a quarantined outbox entry leaves its notice there.
    const topics = [...opts.publishes, ...opts.publishes.map(dlqTopic), ...subscribed, ...contractTopics.map(dlqTopic)];
    await ensureTopics(admin, topics.map(brokerTopic), opts.partitions);
    relay.start();
    await Promise.all(consumers.map((c) => c.start()));
  });

  app.addHook('onClose', async () => {
    await Promise.all(consumers.map((c) => c.stop()));
    // A broadcast group is this run's alone: leave no offsets behind for the broker to keep.
    await broadcast?.deleteGroup().catch((error) => app.log.debug({ err: error }, 'broadcast group not deleted'));
    await relay.stop();
    await producer.disconnect();
    await admin.disconnect();
  });
}

export default fp(kafkaPlugin, {
  name: 'foodxchange-kafka',
  fastify: '5.x',
  dependencies: ['foodxchange-health', 'foodxchange-metrics', 'foodxchange-mongo'],
});
