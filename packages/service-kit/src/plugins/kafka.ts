import fp from 'fastify-plugin';
import { Kafka, Partitioners, logLevel, type Admin, type LogEntry, type Producer } from 'kafkajs';
import { Counter } from 'prom-client';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { Model } from 'mongoose';
import { dlqTopic, type Topic } from '@foodxchange/contracts';
import { OutboxRelay, quarantineNotice, type EventContext } from '../events/outbox.js';
import outboxRoutes from '../events/outbox-routes.js';
import { EventConsumer, type AnySubscription } from '../events/consumer.js';

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
}

export interface EventBus {
  producer: Producer;
  relay: OutboxRelay;
  consumer: EventConsumer | undefined;
  /** Adds an aggregate model whose documents carry an outbox (see outboxPlugin). */
  registerOutbox(model: Model<any>): void;
  /** Who is publishing and for which user action: used when staging events. */
  context(request?: Pick<FastifyRequest, 'correlationId'>, correlationId?: string): EventContext;
  /** Tells the relay a write staged events, so they leave now rather than at the next tick. */
  published(): void;
  /** Resolves once this service's consumer has joined its group (immediately if it has none). */
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

/** Creates topics idempotently: an existing topic is fine, a missing one is made. */
export async function ensureTopics(admin: Admin, topics: Iterable<string>, partitions: number): Promise<void> {
  const wanted = [...new Set(topics)];
  if (wanted.length === 0) return;
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((topic) => !existing.has(topic));
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
  });
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
  const consumer =
    opts.subscriptions.length > 0
      ? new EventConsumer(kafka, producer, app.mongo, app, [...opts.subscriptions], {
          groupId: opts.groupId,
          fromBeginning: opts.fromBeginning,
          maxAttempts: opts.maxAttempts,
          backoffMs: opts.backoffMs,
          topicPrefix: opts.topicPrefix,
          onOutcome: (topic, outcome) => consumed.inc({ topic, outcome }),
        })
      : undefined;

  await admin.connect();
  await producer.connect();

  const source = `/foodxchange/${opts.service}`;
  const bus: EventBus = {
    producer,
    relay,
    consumer,
    registerOutbox: (model) => relay.register(model),
    context: (request, correlationId) => ({
      source,
      correlationId: correlationId ?? request?.correlationId ?? crypto.randomUUID(),
    }),
    published: () => relay.kick(),
    whenConsuming: () => consumer?.whenJoined() ?? Promise.resolve(),
    brokerTopic,
  };
  app.decorate('events', bus);

  app.health.addCheck('kafka', async () => {
    const cluster = await admin.describeCluster();
    if (consumer && consumer.state === 'crashed') throw new Error('consumer crashed');
    return { brokers: cluster.brokers.length, consumer: consumer?.state ?? 'none' };
  });

  // Runs after every plugin (and so every model) is registered; mongo's index build is earlier.
  app.addHook('onReady', async () => {
    const subscribed = opts.subscriptions.map((subscription) => subscription.topic);
    const contractTopics = opts.subscriptions.filter((s) => !s.raw).map((s) => s.topic);
    // Publishers' dead-letter topics too: a quarantined outbox entry leaves its notice there.
    const topics = [...opts.publishes, ...opts.publishes.map(dlqTopic), ...subscribed, ...contractTopics.map(dlqTopic)];
    await ensureTopics(admin, topics.map(brokerTopic), opts.partitions);
    relay.start();
    await consumer?.start();
  });

  app.addHook('onClose', async () => {
    await consumer?.stop();
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
