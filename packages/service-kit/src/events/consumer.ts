import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Schema, type Connection, type Model } from 'mongoose';
import type { Consumer, EachBatchPayload, EachMessagePayload, IHeaders, Kafka, Producer } from 'kafkajs';
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
  /**
   * Tells the group this member is alive. The kit already heartbeats while a handler runs and
   * during retry backoff; a handler may call it between steps of long work. Never throws.
   */
  heartbeat: () => Promise<void>;
}

export type EventHandler<T extends Topic> = (event: FoodXchangeEvent<T>, context: EventHandlerContext) => Promise<void>;

/**
 * `shared`: the service's replicas share the work, each event is handled once by one of them.
 * `broadcast`: every replica handles every event (L1 cache invalidation, SSE fan-out, in-memory
 * read models), through a consumer group of its own that starts at the end of the topic.
 */
export type SubscriptionMode = 'shared' | 'broadcast';

export interface Subscription<T extends Topic = Topic> {
  topic: T;
  raw?: false;
  /** Names the handler in its processed-event records; unique per topic and mode in a service. */
  name: string;
  mode: SubscriptionMode;
  handler: EventHandler<T>;
}

/**
 * A Kafka record as it arrived, for consumers of non-contract topics (dead-letter topics). Key and
 * value are the bytes on the wire: a dead-letter topic holds whatever failed, binary included.
 */
export interface RawMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
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
  name: string;
  mode: 'shared';
  handler: RawMessageHandler;
}

export type BatchEventHandler<T extends Topic> = (events: FoodXchangeEvent<T>[], context: EventHandlerContext) => Promise<void>;

/**
 * A handler that takes the events of one partition several at a time (see subscribeBatch). It
 * keeps no processed-event claims: it must be idempotent by itself.
 */
export interface BatchSubscription<T extends Topic = Topic> {
  topic: T;
  raw?: false;
  batch: true;
  name: string;
  mode: 'shared';
  /** At most this many events per call. */
  maxEvents: number;
  handler: BatchEventHandler<T>;
}

export type AnySubscription = Subscription | RawSubscription | BatchSubscription;

export interface SubscribeOptions {
  /** Defaults to `<topic>.handler`; give one when a service has several handlers for a topic. */
  name?: string;
}

function handlerName(topic: string, options: SubscribeOptions): string {
  return options.name ?? `${topic}.handler`;
}

/** Declares one topic → handler line of a service's `subscriptions.ts`: shared by the replicas. */
export function subscribe<T extends Topic>(topic: T, handler: EventHandler<T>, options: SubscribeOptions = {}): Subscription {
  return { topic, name: handlerName(topic, options), mode: 'shared', handler: handler as unknown as EventHandler<Topic> };
}

/**
 * A handler every replica runs for every event published after it started (see SubscriptionMode).
 * It retries like a shared one; an event it still fails on is logged and skipped, not
 * dead-lettered (each replica would file its own copy, and a replay reaches only the replicas
 * running then). Earlier events are not replayed to it: rebuild in-memory state from the owner.
 */
export function subscribeBroadcast<T extends Topic>(
  topic: T,
  handler: EventHandler<T>,
  options: SubscribeOptions = {},
): Subscription {
  return { topic, name: handlerName(topic, options), mode: 'broadcast', handler: handler as unknown as EventHandler<Topic> };
}

export interface SubscribeBatchOptions extends SubscribeOptions {
  /** At most this many events per call; default 500. */
  maxEvents?: number;
}

/**
 * For a handler that is idempotent by itself: every write it makes carries the aggregate's version
 * and the store refuses an older one (Elasticsearch external versions), so a redelivered or
 * reordered event changes nothing. Such a handler needs no processed-event claim — two writes to
 * the local server per event, which bound a one-event-at-a-time consumer to tens of events a
 * second — and takes the events of a partition in fetched batches, in offset order, to write them
 * in one request. A failing batch is retried with backoff like one event; when its retries run
 * out, its events are handled one by one, so only the ones that still fail go to `<topic>.dlq`.
 * A topic's handlers in a service are all batch handlers or none.
 */
export function subscribeBatch<T extends Topic>(topic: T, handler: BatchEventHandler<T>, options: SubscribeBatchOptions = {}): BatchSubscription {
  return {
    topic,
    batch: true,
    name: handlerName(topic, options),
    mode: 'shared',
    maxEvents: options.maxEvents ?? 500,
    handler: handler as unknown as BatchEventHandler<Topic>,
  };
}

export function subscribeRaw(topic: string, handler: RawMessageHandler, options: SubscribeOptions = {}): RawSubscription {
  return { topic, raw: true, name: handlerName(topic, options), mode: 'shared', handler };
}

export type ProcessedStatus = 'processing' | 'done' | 'dead-lettered' | 'failed';

/**
 * One handler's claim on one event. `_id` is (consumer group, handler, event id), so two handlers
 * of a service, or a broadcast and a shared handler, never suppress each other.
 */
export interface ProcessedEvent {
  _id: string;
  group: string;
  handler: string;
  eventId: string;
  topic: string;
  status: ProcessedStatus;
  /** Which claim this is: a holder renews and finishes only its own (a takeover gets a new one). */
  token: string;
  /** The consumer instance holding it (for operators). */
  holder: string;
  /** While `processing`: renewed by the holder; past it, the holder is presumed dead. */
  leaseUntil: Date;
  attempts: number;
  startedAt: Date;
  finishedAt?: Date;
  /** Expiry is a field plus a cleanup job (DESIGN.md rule 4: no TTL indexes). */
  expiresAt: Date;
}

const ProcessedEventSchema = new Schema<ProcessedEvent>(
  {
    _id: { type: String, required: true },
    group: { type: String, required: true },
    handler: { type: String, required: true },
    eventId: { type: String, required: true },
    topic: { type: String, required: true },
    status: { type: String, required: true, enum: ['processing', 'done', 'dead-lettered', 'failed'] },
    token: { type: String, required: true },
    holder: { type: String, required: true },
    leaseUntil: { type: Date, required: true },
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

/** The `_id` of a handler's claim on an event (raw records use `<topic>/<partition>/<offset>`). */
export function processedEventId(group: string, handler: string, eventId: string): string {
  return `${group}|${handler}|${eventId}`;
}

export interface ConsumerOptions {
  groupId: string;
  fromBeginning: boolean;
  /**
   * Commit the current end of every partition before consuming, even if the group has
   * committed offsets (a broadcast group: only events published from now on matter).
   */
  alwaysStartAtEnd?: boolean;
  /** false: an event whose retries ran out is logged and skipped (broadcast handlers). */
  deadLetter?: boolean;
  maxAttempts: number;
  backoffMs: number;
  /** Group session: a member silent for this long is presumed dead and its partitions moved. */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  rebalanceTimeoutMs?: number;
  /** How long a claim outlives its holder's last renewal (renewed at a third of this). */
  claimLeaseMs?: number;
  /** Names this consumer as a claim holder; defaults to host, pid and a random part. */
  instanceId?: string;
  partitionsConsumedConcurrently?: number;
  /** How long a processed event id is remembered; redeliveries are far quicker than this. */
  retentionMs?: number;
  /** Namespace before every topic on the broker; handlers and headers see contract names. */
  topicPrefix?: string;
  onOutcome?: (topic: string, outcome: ConsumerOutcome) => void;
}

export type ConsumerOutcome = 'processed' | 'duplicate' | 'dead-lettered' | 'retried' | 'failed' | 'waiting';

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
  /** The handler that gave up (a topic can have several). */
  handler: 'x-dlq-handler',
} as const;

type KafkaMessage = EachMessagePayload['message'];

/**
 * A held claim: renews its lease until finished or released. Renewals and the final write are
 * chained, never concurrent — FerretDB 1.x applies concurrent updates of one document as
 * read-modify-write, so a late renewal could otherwise put a finished claim back to 'processing'.
 */
class Claim {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly model: Model<ProcessedEvent>,
    readonly id: string,
    private readonly token: string,
    private readonly leaseMs: number,
    private readonly log: FastifyBaseLogger,
  ) {
    this.timer = setInterval(() => {
      this.chain = this.chain
        .then(() => this.model.updateOne({ _id: id, token }, { $set: { leaseUntil: new Date(Date.now() + leaseMs) } }))
        .catch((error) => this.log.warn({ err: error, claim: id }, 'claim lease not renewed'));
    }, Math.max(100, Math.floor(leaseMs / 3)));
    this.timer.unref();
  }

  async finish(status: Exclude<ProcessedStatus, 'processing'>, attempts: number): Promise<void> {
    clearInterval(this.timer);
    await this.chain;
    const now = new Date();
    await this.model.updateOne({ _id: this.id, token: this.token }, { $set: { status, attempts, finishedAt: now, leaseUntil: now } });
  }

  /** Gives the event back (stopping mid-way): the next delivery runs it without waiting for the lease. */
  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.chain;
    await this.model.deleteOne({ _id: this.id, token: this.token }).catch(() => undefined);
  }
}

/**
 * Idempotent consumer: each handler claims each event under a unique `_id` before it runs, so a
 * redelivered event is handled once per handler. The claim carries a lease its holder renews
 * while working; another replica that receives the event meanwhile (after a rebalance) waits for
 * it rather than running it twice, and takes over a claim whose holder stopped renewing. Failures
 * retry with backoff and jitter, heartbeating all along so the group keeps this member, then go to
 * `<topic>.dlq` with the error attached, and the consumer moves on to the next message.
 */
export class EventConsumer {
  private readonly consumer: Consumer;
  private readonly handlers = new Map<string, AnySubscription[]>();
  private readonly processed: Model<ProcessedEvent>;
  private readonly stopping = new AbortController();
  private readonly instanceId: string;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private joined: Promise<void>;
  private markJoined!: () => void;
  state: 'idle' | 'running' | 'crashed' | 'stopped' = 'idle';
  /** Why the consumer crashed for good (kafkajs will not restart it). */
  crashError: Error | undefined;
  /** How often this member joined its group: more than once means it was rebalanced out and back. */
  groupJoins = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly producer: Producer,
    connection: Connection,
    private readonly app: FastifyInstance,
    subscriptions: AnySubscription[],
    private readonly options: ConsumerOptions,
  ) {
    for (const given of subscriptions) {
      const subscription = { ...given, name: given.name ?? `${given.topic}.handler` } as AnySubscription;
      const onTopic = this.handlers.get(subscription.topic) ?? [];
      if (onTopic.some((other) => other.name === subscription.name)) {
        throw new Error(`Two handlers named ${subscription.name} subscribe to ${subscription.topic}: name them apart`);
      }
      if (onTopic.some((other) => Boolean(other.raw) !== Boolean(subscription.raw))) {
        throw new Error(`${subscription.topic} has raw and event handlers: a topic holds one or the other`);
      }
      if (onTopic.some((other) => isBatch(other) !== isBatch(subscription))) {
        throw new Error(`${subscription.topic} has batch and single-event handlers: make them all one kind`);
      }
      onTopic.push(subscription);
      this.handlers.set(subscription.topic, onTopic);
    }
    this.instanceId = options.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.processed = processedEventModel(connection);
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      rebalanceTimeout: options.rebalanceTimeoutMs ?? 30_000,
      heartbeatInterval: this.heartbeatIntervalMs,
      retry: { retries: 10, initialRetryTime: 300 },
    });
    this.joined = new Promise((resolve) => {
      this.markJoined = resolve;
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.groupJoins += 1;
      this.markJoined();
    });
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      if (this.stopping.signal.aborted) return;
      this.state = event.payload.restart ? 'running' : 'crashed';
      if (!event.payload.restart) this.crashError = event.payload.error;
      this.app.log.error({ err: event.payload.error, restart: event.payload.restart, group: options.groupId }, 'kafka consumer crashed');
    });
  }

  get topics(): string[] {
    return [...this.handlers.keys()];
  }

  get groupId(): string {
    return this.options.groupId;
  }

  private get prefix(): string {
    return this.options.topicPrefix ?? '';
  }

  private get heartbeatIntervalMs(): number {
    return this.options.heartbeatIntervalMs ?? Math.min(3_000, Math.floor((this.options.sessionTimeoutMs ?? 30_000) / 3));
  }

  private get leaseMs(): number {
    return this.options.claimLeaseMs ?? 30_000;
  }

  /** Calls `listener` after every (re)join of the group: a member came, left or died. */
  onGroupJoin(listener: () => void): void {
    this.consumer.on(this.consumer.events.GROUP_JOIN, listener);
  }

  /** Resolves once the consumer has joined its group and been given partitions. */
  whenJoined(): Promise<void> {
    return this.joined;
  }

  /**
   * Connects, fixes where a new group starts, and starts consuming. When this resolves, every
   * event published from now on will be consumed, whether or not the group has joined yet.
   */
  async start(): Promise<void> {
    if (this.handlers.size === 0) return;
    const brokerTopics = this.topics.map((topic) => this.prefix + topic);
    await this.consumer.connect();
    if (!this.options.fromBeginning || this.options.alwaysStartAtEnd) await this.commitStartOffsets(brokerTopics);
    await this.consumer.subscribe({ topics: brokerTopics, fromBeginning: this.options.fromBeginning });
    // kafkajs's run() resolves only once this member has joined its group. After a replica was
    // SIGKILLed the group first waits for the dead member's session to time out (30 s by default),
    // far past the service's start-up timeout, so the restarted replica could not start until then
    // (and each failed start left one more dead member). The join therefore goes on in the
    // background: the start offsets above already make every event published from now on
    // consumed whenever it completes (whenJoined() waits for it); a failed join is kafkajs's CRASH.
    const running = this.consumer.run({
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 3,
      // Offsets are resolved here, message by message (or batch handler call by call), exactly
      // as kafkajs's own eachMessage loop does: a stop mid-batch leaves the rest unresolved.
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.handleFetched(payload),
    });
    running.catch((error: Error) => {
      if (this.stopping.signal.aborted) return;
      this.state = 'crashed';
      this.crashError = error;
      this.app.log.error({ err: error, group: this.options.groupId }, 'kafka consumer did not start');
    });
    this.state = 'running';
    this.cleanupTimer = setInterval(() => void this.cleanup().catch(() => undefined), 60 * 60 * 1000);
    this.cleanupTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopping.abort(new Error('consumer stopping'));
    clearInterval(this.cleanupTimer);
    if (this.state !== 'idle') await this.consumer.disconnect();
    this.state = 'stopped';
  }

  /** Forgets this group's consumer offsets (a broadcast group is this instance's alone). */
  async deleteGroup(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.deleteGroups([this.options.groupId]);
    } finally {
      await admin.disconnect();
    }
  }

  /** Forgets processed ids past their retention (the cleanup job standing in for a TTL index). */
  async cleanup(now = new Date()): Promise<number> {
    const result = await this.processed.deleteMany({ expiresAt: { $lt: now } });
    return result.deletedCount ?? 0;
  }

  /**
   * A group with no committed offset starts "at the end" only once it has joined and looked the
   * end up, which can be after an event published meanwhile (or, right after topics were created,
   * a lookup that met NOT_LEADER and was retried later): that event would be skipped. So the end
   * of every partition without an offset is looked up and committed for the group here, before
   * the service reports ready, and checked: afterwards every partition has a committed offset.
   */
  private async commitStartOffsets(brokerTopics: string[]): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (let round = 1; ; round += 1) {
        const committed = await admin.fetchOffsets({ groupId: this.options.groupId, topics: brokerTopics });
        const missing = committed.flatMap(({ topic, partitions }) =>
          partitions
            .filter((partition) => (this.options.alwaysStartAtEnd && round === 1) || partition.offset === '-1')
            .map((partition) => ({ topic, partition: partition.partition })),
        );
        if (missing.length === 0) return;
        if (round > 3) throw new Error(`No start offset committed for ${missing.length} partitions of group ${this.options.groupId}`);
        const { groups } = await admin.describeGroups([this.options.groupId]);
        const state = groups[0]?.state ?? 'Dead';
        if (state !== 'Empty' && state !== 'Dead') {
          // Replicas already consuming committed their start before they reported ready.
          this.app.log.debug({ group: this.options.groupId, state }, 'group active: its start offsets stand');
          return;
        }
        const topics = [...new Set(missing.map((target) => target.topic))];
        const ends = new Map<string, string>();
        await Promise.all(
          topics.map(async (topic) => {
            for (const { partition, high } of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}|${partition}`, high);
          }),
        );
        await this.commitWithTemporaryMember(
          missing.map((target) => ({ ...target, offset: ends.get(`${target.topic}|${target.partition}`) ?? '0' })),
        );
      }
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Commits offsets for the (empty) group. kafkajs has no bare offset commit: like its
   * `admin.setOffsets`, a member joins, seeks (which commits) and leaves — once for all topics,
   * not once per topic, with a short fetch wait (its per-topic way took 5 s a topic).
   */
  private async commitWithTemporaryMember(targets: { topic: string; partition: number; offset: string }[]): Promise<void> {
    const topics = [...new Set(targets.map((target) => target.topic))];
    const member = this.kafka.consumer({ groupId: this.options.groupId, maxWaitTimeInMs: 100, retry: { retries: 5 } });
    await member.connect();
    try {
      await member.subscribe({ topics, fromBeginning: false });
      await new Promise<void>((resolve, reject) => {
        // Seeks are applied (committed) at the start of the first fetch; FETCH follows it.
        member.on(member.events.FETCH, () => resolve());
        member.on(member.events.CRASH, (event) => reject(event.payload.error));
        member.run({ eachBatchAutoResolve: false, eachBatch: async () => undefined }).catch(reject);
        member.pause(topics.map((topic) => ({ topic })));
        for (const target of targets) member.seek(target);
      });
    } finally {
      await member.disconnect();
    }
  }

  /** One fetched batch of a partition: message by message, or in chunks for batch handlers. */
  private async handleFetched(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, isRunning, isStale, commitOffsetsIfNecessary } = payload;
    const subscriptions = this.handlers.get(batch.topic.slice(this.prefix.length));
    const batchHandlers = subscriptions?.filter(isBatch) ?? [];
    if (batchHandlers.length > 0) {
      const maxEvents = Math.min(...batchHandlers.map((subscription) => subscription.maxEvents));
      for (let at = 0; at < batch.messages.length; at += maxEvents) {
        if (!isRunning() || isStale()) return;
        const chunk = batch.messages.slice(at, at + maxEvents);
        await this.handleChunk(batchHandlers, batch.topic, batch.partition, chunk, payload.heartbeat);
        resolveOffset(chunk[chunk.length - 1]!.offset);
        await commitOffsetsIfNecessary();
        await payload.heartbeat();
      }
      return;
    }
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) return;
      await this.handle({ topic: batch.topic, partition: batch.partition, message, heartbeat: payload.heartbeat, pause: payload.pause });
      resolveOffset(message.offset);
      await commitOffsetsIfNecessary();
      await payload.heartbeat();
    }
  }

  /** Hands a chunk of one partition's events to each batch handler (poison messages dead-lettered first). */
  private async handleChunk(
    subscriptions: BatchSubscription[],
    brokerTopic: string,
    partition: number,
    messages: KafkaMessage[],
    beat: () => Promise<void>,
  ): Promise<void> {
    const topic = brokerTopic.slice(this.prefix.length);
    const heartbeat = () => beat().catch((error) => this.app.log.debug({ err: error, topic, partition }, 'heartbeat refused'));
    const beating = setInterval(() => void heartbeat(), this.heartbeatIntervalMs);
    try {
      const parsed: { event: FoodXchangeEvent; message: KafkaMessage }[] = [];
      for (const message of messages) {
        const event = await this.parseOrSetAside(topic, partition, message);
        if (event) parsed.push({ event, message });
      }
      if (parsed.length === 0) return;
      for (const subscription of subscriptions) await this.runBatch(subscription, parsed, topic, partition, heartbeat);
    } finally {
      clearInterval(beating);
    }
  }

  /** Retries a batch handler with backoff; past its retries, one event at a time (only those failing then are dead-lettered). */
  private async runBatch(
    subscription: BatchSubscription,
    items: { event: FoodXchangeEvent; message: KafkaMessage }[],
    topic: string,
    partition: number,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const last = items[items.length - 1]!;
    const log = this.app.log.child({ topic, handler: subscription.name, events: items.length, ...(items.length === 1 ? { eventId: last.event.id } : {}) });
    let failure: unknown;
    let attempts = 0;
    for (let attempt = 1; ; attempt += 1) {
      attempts = attempt;
      try {
        await subscription.handler(
          items.map((item) => item.event),
          { app: this.app, log, topic, partition, offset: last.message.offset, attempt, heartbeat },
        );
        for (let n = 0; n < items.length; n += 1) this.options.onOutcome?.(topic, 'processed');
        return;
      } catch (error) {
        if (this.stopping.signal.aborted) throw error; // not resolved: redelivered after restart
        failure = error;
        if (!isRetryable(error) || attempt >= this.options.maxAttempts) break;
        log.warn({ err: error, attempt }, 'batch handler failed: retrying');
        this.options.onOutcome?.(topic, 'retried');
        await sleep(backoffDelay(attempt, this.options.backoffMs), this.stopping.signal);
      }
    }
    if (items.length > 1) {
      log.warn({ err: failure }, 'batch handler keeps failing: handling its events one by one');
      for (const item of items) await this.runBatch(subscription, [item], topic, partition, heartbeat);
      return;
    }
    if (this.options.deadLetter === false) {
      log.error({ err: failure }, 'handler failed: skipping the event');
      this.options.onOutcome?.(topic, 'failed');
      return;
    }
    log.error({ err: failure }, 'handler failed: dead-lettering');
    await this.deadLetter(topic, partition, last.message, failure, attempts, subscription.name);
  }

  /** The contract event a record holds; a poison record is dead-lettered at once (or counted failed) and gives undefined. */
  private async parseOrSetAside(topic: string, partition: number, message: KafkaMessage): Promise<FoodXchangeEvent | undefined> {
    try {
      return parseEvent(message.value, topic as Topic);
    } catch (error) {
      this.app.log.warn({ topic, partition, offset: message.offset, err: error }, 'poison message: dead-lettering without retry');
      if (this.options.deadLetter !== false) await this.deadLetter(topic, partition, message, error, 0);
      else this.options.onOutcome?.(topic, 'failed');
      return undefined;
    }
  }

  private async handle(payload: Pick<EachMessagePayload, 'topic' | 'partition' | 'message' | 'heartbeat' | 'pause'>): Promise<void> {
    const { topic: brokerTopic, partition, message } = payload;
    const topic = brokerTopic.slice(this.prefix.length);
    const subscriptions = this.handlers.get(topic);
    if (!subscriptions) return;
    const heartbeat = () =>
      payload.heartbeat().catch((error) => this.app.log.debug({ err: error, topic, partition }, 'heartbeat refused'));
    // kafkajs heartbeats only between messages: keep the session alive while this one takes long.
    const beating = setInterval(() => void heartbeat(), this.heartbeatIntervalMs);
    try {
      if (subscriptions[0]!.raw) {
        for (const subscription of subscriptions as RawSubscription[]) {
          await this.handleRaw(subscription, topic, partition, message, heartbeat);
        }
        return;
      }
      const event = await this.parseOrSetAside(topic, partition, message);
      if (!event) return;
      for (const subscription of subscriptions as Subscription[]) {
        await this.handleEvent(subscription, event, topic, partition, message, heartbeat);
      }
    } finally {
      clearInterval(beating);
    }
  }

  private async handleEvent(
    subscription: Subscription,
    event: FoodXchangeEvent,
    topic: string,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const log = this.app.log.child({ eventId: event.id, correlationId: event.correlationid, topic, handler: subscription.name });
    const id = processedEventId(this.options.groupId, subscription.name, event.id);
    const claim = await this.claim(id, { eventId: event.id, topic, handler: subscription.name }, log);
    if (!claim) {
      log.debug('duplicate delivery: already handled');
      this.options.onOutcome?.(topic, 'duplicate');
      return;
    }
    try {
      for (let attempt = 1; ; attempt += 1) {
        try {
          await subscription.handler(event, { app: this.app, log, topic, partition, offset: message.offset, attempt, heartbeat });
          await claim.finish('done', attempt);
          this.options.onOutcome?.(topic, 'processed');
          return;
        } catch (error) {
          if (this.stopping.signal.aborted) throw error; // not committed: redelivered after restart
          if (!isRetryable(error) || attempt >= this.options.maxAttempts) {
            if (this.options.deadLetter === false) {
              log.error({ err: error, attempt }, 'handler failed: skipping the event');
              await claim.finish('failed', attempt);
              this.options.onOutcome?.(topic, 'failed');
              return;
            }
            log.error({ err: error, attempt }, 'handler failed: dead-lettering');
            await this.deadLetter(topic, partition, message, error, attempt, subscription.name);
            await claim.finish('dead-lettered', attempt);
            return;
          }
          log.warn({ err: error, attempt }, 'handler failed: retrying');
          this.options.onOutcome?.(topic, 'retried');
          await sleep(backoffDelay(attempt, this.options.backoffMs), this.stopping.signal);
        }
      }
    } catch (error) {
      await claim.release();
      throw error;
    }
  }

  private async handleRaw(
    subscription: RawSubscription,
    topic: string,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const record = `${topic}/${partition}/${message.offset}`;
    const log = this.app.log.child({ record, handler: subscription.name });
    const id = processedEventId(this.options.groupId, subscription.name, record);
    const claim = await this.claim(id, { eventId: record, topic, handler: subscription.name }, log);
    if (!claim) {
      this.options.onOutcome?.(topic, 'duplicate');
      return;
    }
    const raw: RawMessage = {
      topic,
      partition,
      offset: message.offset,
      key: message.key ?? null,
      value: message.value ?? null,
      headers: Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([name, value]) => [name, value === undefined ? '' : String(value)]),
      ),
      timestamp: message.timestamp,
    };
    try {
      for (let attempt = 1; ; attempt += 1) {
        try {
          await subscription.handler(raw, { app: this.app, log, topic, partition, offset: message.offset, attempt, heartbeat });
          await claim.finish('done', attempt);
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
    } catch (error) {
      await claim.release();
      throw error;
    }
  }

  /**
   * A claim when this delivery should run the handler; undefined when the event was already
   * handled. Waits — heartbeating, and without letting the offset move past the event — while
   * another holder's claim is live, and takes over one whose lease ran out.
   */
  private async claim(
    id: string,
    fields: { eventId: string; topic: string; handler: string },
    log: FastifyBaseLogger,
  ): Promise<Claim | undefined> {
    let waited = false;
    for (;;) {
      const now = new Date();
      const token = randomUUID();
      try {
        await this.processed.create({
          _id: id,
          group: this.options.groupId,
          ...fields,
          status: 'processing',
          token,
          holder: this.instanceId,
          leaseUntil: new Date(now.getTime() + this.leaseMs),
          attempts: 0,
          startedAt: now,
          expiresAt: new Date(now.getTime() + (this.options.retentionMs ?? 7 * 24 * 3600 * 1000)),
        });
        return new Claim(this.processed, id, token, this.leaseMs, log);
      } catch (error) {
        if ((error as { code?: number }).code !== 11000) throw error;
      }
      const existing = await this.processed.findById(id).lean();
      if (!existing) continue; // released or taken over in between: race for it again
      if (existing.status === 'done' || existing.status === 'failed') return undefined;
      if (existing.status === 'dead-lettered') {
        // The holder we waited for gave up on this very delivery: it is in the DLQ already.
        if (waited) return undefined;
        // A dead letter replayed to its topic: run it again.
        await this.processed.deleteOne({ _id: id, token: existing.token });
        continue;
      }
      const leaseUntil = existing.leaseUntil ? new Date(existing.leaseUntil).getTime() : 0;
      if (leaseUntil < Date.now()) {
        log.warn({ holder: existing.holder }, 'taking over a claim whose holder stopped renewing it');
        // Removes exactly that stale claim (matched by its token), then races through the insert.
        await this.processed.deleteOne({ _id: id, token: existing.token });
        continue;
      }
      if (!waited) {
        log.info({ holder: existing.holder }, 'event in progress elsewhere: waiting for it');
        this.options.onOutcome?.(fields.topic, 'waiting');
        waited = true;
      }
      // The kafkajs-side heartbeat keeps beating (see handle); the wait ends with the lease.
      await sleep(Math.min(1_000, Math.max(100, Math.floor(this.leaseMs / 10))), this.stopping.signal);
    }
  }

  private async deadLetter(
    topic: string,
    partition: number,
    message: KafkaMessage,
    error: unknown,
    attempts: number,
    handler?: string,
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
      ...(handler ? { [DLQ_HEADERS.handler]: handler } : {}),
    };
    await this.producer.send({
      topic: this.prefix + dlqTopic(topic),
      messages: [{ key: message.key, value: message.value, headers }],
    });
    this.options.onOutcome?.(topic, 'dead-lettered');
  }
}

function isBatch(subscription: AnySubscription): subscription is BatchSubscription {
  return (subscription as BatchSubscription).batch === true;
}
