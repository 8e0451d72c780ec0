import { Schema, type Connection, type Model } from 'mongoose';
import type { Consumer, EachMessagePayload, IHeaders, Kafka, Producer } from 'kafkajs';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { dlqTopic, parseEvent, type FoodXchangeEvent, type Topic } from '@foodxchange/contracts';
import { backoffDelay, isRetryable, sleep } from './backoff.js';

export interface EventHandlerContext {
  app: FastifyInstance;
  log: FastifyBaseLogger;
  topic: string;
  partition: number;
  offset: string;
  attempt: number;
}

export type EventHandler<T extends Topic> = (event: FoodXchangeEvent<T>, context: EventHandlerContext) => Promise<void>;

export interface Subscription<T extends Topic = Topic> {
  topic: T;
  raw?: false;
  handler: EventHandler<T>;
}

/** A Kafka record as it arrived, for consumers of non-contract topics (dead-letter topics). */
export interface RawMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  timestamp: string;
}

export type RawMessageHandler = (message: RawMessage, context: EventHandlerContext) => Promise<void>;

/**
 * Subscribes to a topic whose records are not contract events (a `<topic>.dlq` holds whatever
 * failed, garbage included). Deduplicated by topic/partition/offset; a handler that keeps
 * failing blocks its partition (and is retried) rather than losing the record.
 */
export interface RawSubscription {
  topic: string;
  raw: true;
  handler: RawMessageHandler;
}

export type AnySubscription = Subscription | RawSubscription;

/** Declares one topic → handler line of a service's `subscriptions.ts`. */
export function subscribe<T extends Topic>(topic: T, handler: EventHandler<T>): Subscription {
  return { topic, handler: handler as unknown as EventHandler<Topic> };
}

export function subscribeRaw(topic: string, handler: RawMessageHandler): RawSubscription {
  return { topic, raw: true, handler };
}

export interface ProcessedEvent {
  _id: string;
  topic: string;
  status: 'processing' | 'done' | 'dead-lettered';
  attempts: number;
  startedAt: Date;
  finishedAt?: Date;
  /** Expiry is a field plus a cleanup job (DESIGN.md rule 4: no TTL indexes). */
  expiresAt: Date;
}

const ProcessedEventSchema = new Schema<ProcessedEvent>(
  {
    _id: { type: String, required: true },
    topic: { type: String, required: true },
    status: { type: String, required: true, enum: ['processing', 'done', 'dead-lettered'] },
    attempts: { type: Number, default: 0 },
    startedAt: { type: Date, required: true },
    finishedAt: Date,
    expiresAt: { type: Date, required: true, index: true },
  },
  { collection: 'processed_events', versionKey: false },
);

export function processedEventModel(connection: Connection): Model<ProcessedEvent> {
  return (connection.models.ProcessedEvent as Model<ProcessedEvent>) ?? connection.model('ProcessedEvent', ProcessedEventSchema);
}

export interface ConsumerOptions {
  groupId: string;
  fromBeginning: boolean;
  maxAttempts: number;
  backoffMs: number;
  /** How long a processed event id is remembered; redeliveries are far quicker than this. */
  retentionMs?: number;
  /** Namespace before every topic on the broker; handlers and headers see contract names. */
  topicPrefix?: string;
  onOutcome?: (topic: string, outcome: 'processed' | 'duplicate' | 'dead-lettered' | 'retried') => void;
}

export const DLQ_HEADERS = {
  error: 'x-dlq-error',
  errorName: 'x-dlq-error-name',
  stack: 'x-dlq-error-stack',
  originalTopic: 'x-dlq-original-topic',
  originalPartition: 'x-dlq-original-partition',
  originalOffset: 'x-dlq-original-offset',
  consumerGroup: 'x-dlq-consumer-group',
  attempts: 'x-dlq-attempts',
  failedAt: 'x-dlq-failed-at',
} as const;

/**
 * Idempotent consumer: each event id is claimed under a unique `_id` before its handler runs, so a
 * redelivered event is handled once. Failures retry with backoff and jitter, then go to
 * `<topic>.dlq` with the error attached, and the consumer moves on to the next message.
 */
export class EventConsumer {
  private readonly consumer: Consumer;
  private readonly handlers = new Map<string, AnySubscription>();
  private readonly processed: Model<ProcessedEvent>;
  private readonly stopping = new AbortController();
  private cleanupTimer: NodeJS.Timeout | undefined;
  private joined: Promise<void>;
  private markJoined!: () => void;
  state: 'idle' | 'running' | 'crashed' | 'stopped' = 'idle';

  constructor(
    kafka: Kafka,
    private readonly producer: Producer,
    connection: Connection,
    private readonly app: FastifyInstance,
    subscriptions: AnySubscription[],
    private readonly options: ConsumerOptions,
  ) {
    for (const subscription of subscriptions) {
      if (this.handlers.has(subscription.topic)) {
        throw new Error(`Two handlers subscribe to ${subscription.topic}: keep one per topic`);
      }
      this.handlers.set(subscription.topic, subscription);
    }
    this.processed = processedEventModel(connection);
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: 30_000,
      rebalanceTimeout: 30_000,
      heartbeatInterval: 3_000,
      retry: { retries: 10, initialRetryTime: 300 },
    });
    this.joined = new Promise((resolve) => {
      this.markJoined = resolve;
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => this.markJoined());
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      this.state = event.payload.restart ? 'running' : 'crashed';
      this.app.log.error({ err: event.payload.error, restart: event.payload.restart }, 'kafka consumer crashed');
    });
  }

  get topics(): string[] {
    return [...this.handlers.keys()];
  }

  private get prefix(): string {
    return this.options.topicPrefix ?? '';
  }

  /** Resolves once the consumer has joined its group and been given partitions. */
  whenJoined(): Promise<void> {
    return this.joined;
  }

  async start(): Promise<void> {
    if (this.handlers.size === 0) return;
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: this.topics.map((topic) => this.prefix + topic),
      fromBeginning: this.options.fromBeginning,
    });
    await this.consumer.run({
      partitionsConsumedConcurrently: 3,
      eachMessage: (payload) => this.handle(payload),
    });
    this.state = 'running';
    this.cleanupTimer = setInterval(() => void this.cleanup(), 60 * 60 * 1000);
    this.cleanupTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopping.abort(new Error('consumer stopping'));
    clearInterval(this.cleanupTimer);
    if (this.state !== 'idle') await this.consumer.disconnect();
    this.state = 'stopped';
  }

  /** Forgets processed ids past their retention (the cleanup job standing in for a TTL index). */
  async cleanup(now = new Date()): Promise<number> {
    const result = await this.processed.deleteMany({ expiresAt: { $lt: now } });
    return result.deletedCount ?? 0;
  }

  private async handle({ topic: brokerTopic, partition, message }: EachMessagePayload): Promise<void> {
    const topic = brokerTopic.slice(this.prefix.length);
    const subscription = this.handlers.get(topic);
    if (!subscription) return;
    if (subscription.raw) return this.handleRaw(subscription, topic, partition, message);
    const where = { topic, partition, offset: message.offset };

    let event: FoodXchangeEvent;
    try {
      event = parseEvent(message.value, topic as Topic);
    } catch (error) {
      this.app.log.warn({ ...where, err: error }, 'poison message: dead-lettering without retry');
      await this.deadLetter(topic, partition, message, error, 0);
      return;
    }

    const log = this.app.log.child({ eventId: event.id, correlationId: event.correlationid, topic });
    if (!(await this.claim(event.id, topic))) {
      log.debug('duplicate delivery: already handled');
      this.options.onOutcome?.(topic, 'duplicate');
      return;
    }

    for (let attempt = 1; ; attempt += 1) {
      try {
        await subscription.handler(event, { app: this.app, log, topic, partition, offset: message.offset, attempt });
        await this.finish(event.id, 'done', attempt);
        this.options.onOutcome?.(topic, 'processed');
        return;
      } catch (error) {
        if (this.stopping.signal.aborted) throw error; // not committed: redelivered after restart
        if (!isRetryable(error) || attempt >= this.options.maxAttempts) {
          log.error({ err: error, attempt }, 'handler failed: dead-lettering');
          await this.deadLetter(topic, partition, message, error, attempt);
          await this.finish(event.id, 'dead-lettered', attempt);
          return;
        }
        log.warn({ err: error, attempt }, 'handler failed: retrying');
        this.options.onOutcome?.(topic, 'retried');
        await sleep(backoffDelay(attempt, this.options.backoffMs), this.stopping.signal);
      }
    }
  }

  private async handleRaw(
    subscription: RawSubscription,
    topic: string,
    partition: number,
    message: EachMessagePayload['message'],
  ): Promise<void> {
    const id = `${topic}/${partition}/${message.offset}`;
    const log = this.app.log.child({ record: id });
    if (!(await this.claim(id, topic))) {
      this.options.onOutcome?.(topic, 'duplicate');
      return;
    }
    const raw: RawMessage = {
      topic,
      partition,
      offset: message.offset,
      key: message.key?.toString() ?? null,
      value: message.value?.toString() ?? null,
      headers: Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([name, value]) => [name, value === undefined ? '' : String(value)]),
      ),
      timestamp: message.timestamp,
    };
    for (let attempt = 1; ; attempt += 1) {
      try {
        await subscription.handler(raw, { app: this.app, log, topic, partition, offset: message.offset, attempt });
        await this.finish(id, 'done', attempt);
        this.options.onOutcome?.(topic, 'processed');
        return;
      } catch (error) {
        // There is no dead-letter topic for a dead-letter topic: keep retrying, throttled, and
        // let kafkajs redeliver rather than drop the record.
        if (this.stopping.signal.aborted || attempt >= this.options.maxAttempts) throw error;
        log.warn({ err: error, attempt }, 'raw handler failed: retrying');
        await sleep(backoffDelay(attempt, this.options.backoffMs), this.stopping.signal);
      }
    }
  }

  /** true when this delivery should run the handler; false when the event was already handled. */
  private async claim(eventId: string, topic: string): Promise<boolean> {
    const now = new Date();
    try {
      await this.processed.create({
        _id: eventId,
        topic,
        status: 'processing',
        attempts: 0,
        startedAt: now,
        expiresAt: new Date(now.getTime() + (this.options.retentionMs ?? 7 * 24 * 3600 * 1000)),
      });
      return true;
    } catch (error) {
      if ((error as { code?: number }).code !== 11000) throw error;
      const existing = await this.processed.findById(eventId).lean();
      // 'processing' left behind means an earlier attempt died mid-way: run it again (handlers
      // keep their own effects idempotent with unique keys). A replayed dead letter runs again too.
      return existing?.status !== 'done';
    }
  }

  private async finish(eventId: string, status: 'done' | 'dead-lettered', attempts: number): Promise<void> {
    await this.processed.updateOne({ _id: eventId }, { $set: { status, attempts, finishedAt: new Date() } });
  }

  private async deadLetter(
    topic: string,
    partition: number,
    message: EachMessagePayload['message'],
    error: unknown,
    attempts: number,
  ): Promise<void> {
    const err = error as Error;
    const headers: IHeaders = {
      ...message.headers,
      [DLQ_HEADERS.error]: String(err?.message ?? error).slice(0, 2000),
      [DLQ_HEADERS.errorName]: String(err?.name ?? 'Error'),
      [DLQ_HEADERS.stack]: String(err?.stack ?? '').slice(0, 4000),
      [DLQ_HEADERS.originalTopic]: topic,
      [DLQ_HEADERS.originalPartition]: String(partition),
      [DLQ_HEADERS.originalOffset]: message.offset,
      [DLQ_HEADERS.consumerGroup]: this.options.groupId,
      [DLQ_HEADERS.attempts]: String(attempts),
      [DLQ_HEADERS.failedAt]: new Date().toISOString(),
    };
    await this.producer.send({
      topic: this.prefix + dlqTopic(topic),
      messages: [{ key: message.key, value: message.value, headers }],
    });
    this.options.onOutcome?.(topic, 'dead-lettered');
  }
}
