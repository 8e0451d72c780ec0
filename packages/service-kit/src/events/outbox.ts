import { randomUUID } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import type { Producer } from 'kafkajs';
import type { FastifyBaseLogger } from 'fastify';
import { DLQ_HEADERS } from './consumer.js';
import { buildEvent, toKafkaMessage, type EventData, type FoodXchangeEvent, type Topic } from '@foodxchange/contracts';

/** An event waiting inside its aggregate's document until the relay has published it. */
export interface OutboxEntry {
  id: string;
  topic: string;
  key: string;
  /** The CloudEvent exactly as it will be sent: stored as text so no key or nesting rule applies. */
  value: string;
  headers: string;
  createdAt: Date;
  /** 'base64': key and value hold base64 of bytes that are not text (a replayed dead letter). */
  encoding?: 'base64';
}

/** Fields the outbox plugin adds to an aggregate. */
export interface OutboxFields {
  outbox: OutboxEntry[];
  /** When this document last staged events: how the relay finds work without writing here. */
  outboxStagedAt?: Date | null;
  /** The 10-second slot of outboxStagedAt (outboxBucketOf): what the relay looks documents up by. */
  outboxBucket?: string | null;
}

/**
 * The staging slot a relay looks documents up by: the UTC time cut down to its 10 seconds, e.g.
 * `2026-12-01T14:39:50` for 14:39:50.000–14:39:59.999. The relay asks for each slot since its
 * watermark by equality because the local server cannot serve a range (`outboxStagedAt >= since`
 * decodes every document of the collection: 6.3 s a pass at 100,000 documents, 27 s under load)
 * while an equality on an indexed field is served by the launcher's GIN companions (6 ms).
 * Slots are short so that a pass re-reads little of what the previous one already sent.
 */
export function outboxBucketOf(at: Date): string {
  const iso = at.toISOString();
  return `${iso.slice(0, 18)}0`;
}

const BUCKET_MS = 10_000;

/** The fields a write that stages events at `at` sets beside its entries (every staging path uses it). */
export function stagedMarks(at: Date): { outboxStagedAt: Date; outboxBucket: string } {
  return { outboxStagedAt: at, outboxBucket: outboxBucketOf(at) };
}

/**
 * Staged entries are kept this long inside their aggregate (the aggregate's recent event history)
 * and pruned by the next write that stages more. The relay never removes them: see OutboxRelay.
 */
export const OUTBOX_ENTRY_RETENTION_MS = 7 * 24 * 3600 * 1000;

export interface EventContext {
  /** CloudEvents `source` of the producing service, e.g. `/foodxchange/order`. */
  source: string;
  correlationId: string;
}

const OutboxEntrySchema = new Schema<OutboxEntry>(
  {
    id: { type: String, required: true },
    topic: { type: String, required: true },
    key: { type: String, required: true },
    value: { type: String, required: true },
    headers: { type: String, required: true },
    createdAt: { type: Date, required: true },
    encoding: { type: String, enum: ['base64'] },
  },
  { _id: false },
);

/**
 * Mongoose plugin: the aggregate carries its own outbox, so a state change and the events it
 * causes are written by one document write (DESIGN.md rule 1: no multi-document transactions).
 */
export function outboxPlugin(schema: Schema): void {
  schema.add({
    outbox: { type: [OutboxEntrySchema], default: [] },
    outboxStagedAt: { type: Date, default: null },
    outboxBucket: { type: String, default: null },
  });
  schema.index({ outboxStagedAt: 1 });
  schema.index({ outboxBucket: 1 });
  // Tell this connection's relay which collections the next kick is about (see OutboxRelay.kick):
  // a save that staged events, and any update or bulk write through the model (they may carry
  // `withStagedEvents` or `stagedMarks`; noting one that staged nothing only adds a cheap scan).
  schema.pre('save', function noteStagedEvents() {
    if (this.isModified('outbox')) noteStaged((this.constructor as Model<unknown>).db, this.collection?.collectionName);
  });
  schema.pre(['updateOne', 'updateMany', 'findOneAndUpdate', 'replaceOne'], function noteStagedUpdate() {
    noteStaged(this.model.db, this.model.collection.collectionName);
  });
  schema.pre('bulkWrite', function noteStagedBulkWrite(this: Model<unknown>, next: () => void) {
    noteStaged(this.db, this.collection.collectionName);
    next();
  });
  schema.pre('insertMany', function noteStagedInsertMany(this: Model<unknown>, next: () => void) {
    noteStaged(this.db, this.collection.collectionName);
    next();
  });
}

/**
 * Collections written with (possibly) newly staged events since their relay's last pass, per
 * connection. Only a hint: a kicked pass scans just these, and a write it misses (one made with
 * the driver's collection directly, which passes no mongoose hook) is found by the timer's next
 * pass over every model.
 */
const stagedCollections = new WeakMap<object, Set<string>>();

function noteStaged(connection: object | undefined, collectionName: string | undefined): void {
  if (!connection || !collectionName) return;
  let noted = stagedCollections.get(connection);
  if (!noted) stagedCollections.set(connection, (noted = new Set()));
  noted.add(collectionName);
}

function takeStaged(connection: object): Set<string> {
  const noted = stagedCollections.get(connection);
  stagedCollections.delete(connection);
  return noted ?? new Set();
}

/** Builds and validates the CloudEvent and turns it into an outbox entry. */
export function outboxEntry<T extends Topic>(
  topic: T,
  subject: string,
  data: EventData<T>,
  context: EventContext,
): { entry: OutboxEntry; event: FoodXchangeEvent<T> } {
  const event = buildEvent(topic, { source: context.source, subject, data, correlationId: context.correlationId });
  const message = toKafkaMessage(event);
  return {
    event,
    entry: {
      id: event.id,
      topic,
      key: message.key,
      value: message.value,
      headers: JSON.stringify(message.headers),
      createdAt: new Date(),
    },
  };
}

/**
 * An entry that re-sends a record exactly as it was first published (replay of a dead letter):
 * same event id, so consumers that already handled it still recognise it.
 */
export function rawOutboxEntry(
  topic: string,
  key: string | Buffer,
  value: string | Buffer,
  headers: Record<string, string>,
): OutboxEntry {
  const id = `raw-${randomUUID()}`;
  const entry: OutboxEntry = { id, topic, key: String(key), value: String(value), headers: JSON.stringify(headers), createdAt: new Date() };
  // Bytes are kept as base64: the database refuses NUL in text, and invalid UTF-8 has no text form.
  if (Buffer.isBuffer(key) || Buffer.isBuffer(value)) {
    entry.key = Buffer.from(key).toString('base64');
    entry.value = Buffer.from(value).toString('base64');
    entry.encoding = 'base64';
  }
  return entry;
}

/** The key and value to hand to Kafka: the bytes again for a base64 entry. */
function wireForm(entry: Pick<OutboxEntry, 'key' | 'value' | 'encoding'>): { key: string | Buffer; value: string | Buffer } {
  if (entry.encoding !== 'base64') return { key: entry.key, value: entry.value };
  return { key: Buffer.from(entry.key, 'base64'), value: Buffer.from(entry.value, 'base64') };
}

/**
 * Stages an event on a loaded (or new) document; the caller's `save()` persists both together.
 */
export function stageEvent<T extends Topic>(
  doc: OutboxFields,
  topic: T,
  subject: string,
  data: EventData<T>,
  context: EventContext,
): FoodXchangeEvent<T> {
  const { entry, event } = outboxEntry(topic, subject, data, context);
  const cutoff = entry.createdAt.getTime() - OUTBOX_ENTRY_RETENTION_MS;
  if (doc.outbox.some((old) => old.createdAt.getTime() < cutoff)) {
    doc.outbox = doc.outbox.filter((old) => old.createdAt.getTime() >= cutoff);
  }
  doc.outbox.push(entry);
  Object.assign(doc, stagedMarks(entry.createdAt));
  return event;
}

/**
 * Update operators that stage events within an `updateOne`/`findOneAndUpdate`, merged with the
 * caller's own `$set`/`$inc`.
 */
export function withStagedEvents(
  update: { $set?: Record<string, unknown>; $inc?: Record<string, number>; [op: string]: unknown },
  entries: OutboxEntry[],
): Record<string, unknown> {
  const stagedAt = entries.reduce((latest, entry) => (entry.createdAt > latest ? entry.createdAt : latest), new Date(0));
  return {
    ...update,
    $push: { ...((update.$push as object) ?? {}), outbox: { $each: entries } },
    $set: { ...(update.$set ?? {}), ...stagedMarks(stagedAt) },
  };
}

type OutboxModel = Model<any>;

interface StagedDoc {
  _id: unknown;
  outbox: OutboxEntry[];
}

interface DeliveredMarker {
  _id: string;
  /** The staging slot of the entry it marks: a pass looks its markers up by the slots it read. */
  bucket?: string;
  deliveredAt: Date;
  expiresAt: Date;
}

interface RelayWatermark {
  _id: string;
  scannedFrom: Date;
  /** When the last range sweep of this collection began (see RelayOptions.sweepIntervalMs). */
  sweptFrom?: Date;
}

/** What one pass found in one collection: its window and the entries in it not sent yet. */
interface ModelScan {
  model: OutboxModel;
  watermarkId: string;
  watermark: RelayWatermark | null;
  passStartedAt: Date;
  sweep: boolean;
  wholeOverlap: boolean;
  pending: { aggregateId: string; entries: OutboxEntry[] }[];
}

/** How soon a pass that failed (broker or database away) is tried again. */
const RETRY_AFTER_FAILURE_MS = 1_000;

/** How old a watermark may get before a pass that found nothing writes it again. */
const WATERMARK_REFRESH_MS = 5_000;

/** Sends of one entry that failed for a reason of its own (not a broker outage). */
interface SendFailure {
  _id: string;
  attempts: number;
  lastError: string;
  lastFailedAt: Date;
}

/** An entry the relay gave up on after its retries: kept whole, listed for operators, replayable. */
export interface QuarantinedEntry {
  _id: string;
  /** Collection of the aggregate that staged it. */
  collectionName: string;
  aggregateId: string;
  topic: string;
  key: string;
  value: string;
  headers: string;
  encoding?: 'base64';
  stagedAt: Date;
  sizeBytes: number;
  error: string;
  errorType: string;
  attempts: number;
  quarantinedAt: Date;
  lastReplayError?: string;
  lastReplayAt?: Date;
}

interface RelayLease {
  _id: string;
  owner: string;
  expiresAt: Date;
}

const DeliveredSchema = new Schema<DeliveredMarker>(
  { _id: String, bucket: { type: String, index: true }, deliveredAt: Date, expiresAt: { type: Date, index: true } },
  { collection: 'outbox_delivered', versionKey: false },
);
const WatermarkSchema = new Schema<RelayWatermark>(
  { _id: String, scannedFrom: Date, sweptFrom: Date },
  { collection: 'outbox_watermarks', versionKey: false },
);
const FailureSchema = new Schema<SendFailure>(
  { _id: String, attempts: Number, lastError: String, lastFailedAt: Date },
  { collection: 'outbox_failures', versionKey: false },
);
const QuarantineSchema = new Schema<QuarantinedEntry>(
  {
    _id: String,
    collectionName: String,
    aggregateId: String,
    topic: String,
    key: String,
    value: String,
    headers: String,
    encoding: String,
    stagedAt: Date,
    sizeBytes: Number,
    error: String,
    errorType: String,
    attempts: Number,
    quarantinedAt: { type: Date, index: true },
    lastReplayError: String,
    lastReplayAt: Date,
  },
  { collection: 'outbox_quarantine', versionKey: false },
);
const LeaseSchema = new Schema<RelayLease>({ _id: String, owner: String, expiresAt: Date }, { collection: 'outbox_relay_lease', versionKey: false });

function model<T>(connection: Connection, name: string, schema: Schema<T>): Model<T> {
  return (connection.models[name] as Model<T>) ?? connection.model<T>(name, schema);
}

/** Delivery markers outlive the entries they guard, so a stale watermark can never re-send old events. */
export const DELIVERED_RETENTION_MS = OUTBOX_ENTRY_RETENTION_MS + 24 * 3600 * 1000;

export interface RelayOptions {
  /** The safety-net poll while the relay is warm (it saw a write, an event to send or a rebalance lately). */
  pollIntervalMs: number;
  /**
   * The safety-net poll once nothing happened for `warmMs` (default 6 × pollIntervalMs): every
   * write still kicks its relay at once, so this only paces how soon a platform at rest notices
   * work no kick announced.
   */
  idlePollIntervalMs?: number;
  /** How long after the last activity the relay keeps polling at `pollIntervalMs` (default 60 s). */
  warmMs?: number;
  batchSize?: number;
  /**
   * How far a pass looks back before the previous one: covers writes committed a while after they
   * staged (a long bulk write) and clock differences between replicas. Every pass looks back
   * `lateMarginMs`; at most every half `overlapMs`, one looks back the whole overlap, so a pass
   * after a burst of writes does not read the whole burst again each time.
   */
  overlapMs?: number;
  lateMarginMs?: number;
  /** How old a watermark may get before a pass that found nothing writes it again (5 s). */
  watermarkRefreshMs?: number;
  /** How long a delivery is remembered; at least as long as entries stay in their aggregate. */
  deliveredRetentionMs?: number;
  /**
   * A pass looks documents up slot by slot since its watermark; behind by more than this
   * (a relay down for hours, a first start), it reads the range at once instead.
   */
  maxBucketSpanMs?: number;
  /**
   * How often a pass reads the range `outboxStagedAt >= since-last-sweep` instead of the slots
   * (and each relay's first pass does): the safety net for documents whose writer set no slot,
   * such as a replica of an older version during a rolling deploy. One scan of the collection.
   */
  sweepIntervalMs?: number;
  /** Failed sends of one entry (for a reason of its own) before it is quarantined. */
  maxAttempts?: number;
  /** How long one relay may hold the publishing lease without renewing it (a dead holder's delay). */
  leaseMs?: number;
  /** Names this relay's lease; defaults to a random id per process. */
  instanceId?: string;
  onPublished?: (count: number) => void;
  onQuarantined?: (entry: QuarantinedEntry) => void;
  /**
   * Runs after a batch reached Kafka and before it is marked delivered. Instrumentation; the
   * crash test kills its process here to prove the resulting duplicate is handled once.
   */
  afterSend?: (entries: readonly OutboxEntry[]) => void | Promise<void>;
}

/** Errors that belong to one entry, so retrying the others is right and retrying it is futile. */
function isEntrySpecific(error: unknown): boolean {
  const err = error as { name?: string; retriable?: boolean };
  // Not from kafkajs at all: the entry itself could not be turned into a record (bad headers …).
  if (!err?.name?.startsWith('KafkaJS')) return true;
  // The broker refused this record for what it is (too large, invalid, corrupt …).
  return err.name === 'KafkaJSProtocolError' && err.retriable === false;
}

function describeSendError(error: unknown): { message: string; type: string } {
  const err = error as { message?: string; type?: string; name?: string };
  return { message: String(err?.message ?? error).slice(0, 2000), type: String(err?.type ?? err?.name ?? 'Error') };
}

/** This relay's lease ran out mid-pass and another relay took it over. */
class RelayLeaseLostError extends Error {
  constructor() {
    super('outbox relay lease was taken over mid-pass');
    this.name = 'RelayLeaseLostError';
  }
}

/** One pass could not hold the lease: another replica's relay is publishing right now. */
const LEASE_BUSY = -1;

/**
 * Publishes staged events. It never writes the aggregates: FerretDB 1.x applies concurrent updates
 * to one document as read-modify-write and silently loses all but one, so a relay clearing an
 * outbox while a request stages another event would lose data. Instead the relay keeps its own
 * books in its own collections: a watermark per aggregate collection (documents that staged
 * since then are scanned), a delivered marker per event id (unique `_id`), send failures and a
 * quarantine. Runs on a timer, so it catches up after a crash or a broker outage, and immediately
 * when a write kicks it.
 *
 * - One relay publishes at a time: each pass holds a lease (unique insert, renewed between
 *   batches, taken over only once expired), so two replicas never send the same entry twice in
 *   normal operation. A replica that finds the lease busy tries again shortly.
 * - An aggregate's events leave in the order they were staged: the document's array order.
 * - An entry the broker refuses for what it is (too large, invalid) is retried `maxAttempts`
 *   times and then quarantined: kept whole, listed by `quarantined()`, replayable by
 *   `replayQuarantined()` once fixed. It never holds back other aggregates or models.
 * - At-least-once: a crash between send and marker re-sends; consumers deduplicate by event id.
 */
export class OutboxRelay {
  private readonly models = new Set<OutboxModel>();
  private readonly delivered: Model<DeliveredMarker>;
  private readonly watermarks: Model<RelayWatermark>;
  private readonly failures: Model<SendFailure>;
  private readonly quarantine: Model<QuarantinedEntry>;
  private readonly leases: Model<RelayLease>;
  private readonly owner: string;
  /** Deliveries before this may carry markers without a staging slot (an older relay wrote them). */
  private readonly createdAt = new Date();
  /** Collections this relay has swept once (its first pass over each reads the range). */
  private readonly swept = new Set<string>();
  /** Per collection, when this relay's last pass that looked back the whole overlap began. */
  private readonly overlapPassAt = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  /** The delay the poll timer was last armed with (tells warm from idle). */
  private timerDelayMs = 0;
  /** When a write, a pass with work, or a rebalance last showed that the platform is busy. */
  private lastActivityAt = 0;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  /** The next pass scans every model (the timer's, a retry's), not only those a write noted. */
  private fullPassDue = true;
  private stopped = true;

  constructor(
    private readonly producer: Producer,
    private readonly connection: Connection,
    private readonly log: FastifyBaseLogger,
    private readonly options: RelayOptions,
    /** Contract topic → topic on the broker (adds the environment's prefix, if any). */
    private readonly brokerTopic: (topic: string) => string = (topic) => topic,
  ) {
    this.delivered = model(connection, 'OutboxDelivered', DeliveredSchema);
    this.watermarks = model(connection, 'OutboxWatermark', WatermarkSchema);
    this.failures = model(connection, 'OutboxFailure', FailureSchema);
    this.quarantine = model(connection, 'OutboxQuarantine', QuarantineSchema);
    this.leases = model(connection, 'OutboxRelayLease', LeaseSchema);
    this.owner = options.instanceId ?? randomUUID();
  }

  register(model: OutboxModel): void {
    this.models.add(model);
  }

  start(): void {
    this.stopped = false;
    this.lastActivityAt = Date.now();
    this.armPoll();
    this.cleanupTimer = setInterval(() => void this.cleanup().catch(() => undefined), 3600_000);
    this.cleanupTimer.unref();
    this.kick(true);
  }

  /**
   * Asks for a pass now; passes never overlap, a kick during one schedules one more. A write's
   * kick (`full` false) scans the collections saves noted since the last pass, or every model
   * when none was noted; the timer's scans every model, catching whatever a hint missed.
   */
  kick(full = false): void {
    if (full) this.fullPassDue = true;
    else this.noteActivity(); // a write staged events: its neighbours may commit late
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  /**
   * Something outside the relay suggests work it was not told about: the consumer group changed
   * (a replica left, maybe with events staged and not sent, or joined). A full pass now, and the
   * warm poll for a while.
   */
  wake(): void {
    this.noteActivity();
    this.kick(true);
  }

  /** The delay the safety-net poll is armed with now: pollIntervalMs while warm, idle otherwise. */
  get pollDelayMs(): number {
    return this.timerDelayMs;
  }

  private get idlePollMs(): number {
    return Math.max(this.options.pollIntervalMs, this.options.idlePollIntervalMs ?? this.options.pollIntervalMs * 6);
  }

  private get warm(): boolean {
    return Date.now() - this.lastActivityAt < (this.options.warmMs ?? 60_000);
  }

  /**
   * The safety-net poll: every pollIntervalMs while warm, every idlePollIntervalMs at rest. An idle
   * pass costs each collection a few reads (the watermark, the recent slots), which is most of what
   * a service costs at rest; a busy platform keeps the short poll, so recovery there is as fast.
   */
  private armPoll(): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timerDelayMs = this.warm ? this.options.pollIntervalMs : this.idlePollMs;
    this.timer = setTimeout(() => {
      this.kick(true);
      this.armPoll();
    }, this.timerDelayMs);
    this.timer.unref();
  }

  private noteActivity(): void {
    this.lastActivityAt = Date.now();
    // Waiting out the long idle poll: come back to the short one from now.
    if (!this.stopped && this.timer && this.timerDelayMs > this.options.pollIntervalMs) this.armPoll();
  }

  /** Publishes everything staged so far; resolves when a pass finds nothing new (tests, shutdown). */
  async flush(): Promise<void> {
    for (;;) {
      await this.running;
      const pass = this.pass();
      const running = pass.then(
        () => undefined,
        () => undefined,
      );
      this.running = running;
      let published: number;
      try {
        published = await pass;
      } finally {
        // Timer kicks wait for `running` to clear: leave none behind once this pass is over.
        if (this.running === running) this.running = undefined;
      }
      if (published === 0) return;
      if (published === LEASE_BUSY) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.cleanupTimer);
    clearTimeout(this.retryTimer);
    await this.running;
  }

  /**
   * Which of these staged entries the relay has not handed to Kafka yet, e.g. to show that a
   * replay is still in flight. Entries older than the delivered-marker retention count as sent.
   */
  async undelivered(entries: readonly Pick<OutboxEntry, 'id' | 'createdAt'>[]): Promise<Set<string>> {
    const retention = this.options.deliveredRetentionMs ?? DELIVERED_RETENTION_MS;
    const recent = entries.filter((entry) => Date.now() - new Date(entry.createdAt).getTime() < retention);
    if (recent.length === 0) return new Set();
    // Any entry not found by its slot is looked up by id: this is an operator's question, not a pass.
    const sent = await this.settledIds(recent, new Date(8.64e15 /* the latest Date there is */));
    return new Set(recent.filter((entry) => !sent.has(entry.id)).map((entry) => entry.id));
  }

  /** Entries given up on, newest first (without their bodies, which may be large). */
  async quarantined(limit = 100): Promise<Omit<QuarantinedEntry, 'value' | 'headers'>[]> {
    return this.quarantine.find().select({ value: 0, headers: 0 }).sort({ quarantinedAt: -1 }).limit(limit).lean();
  }

  /**
   * Sends a quarantined entry again (after the broker's limit or the topic was fixed). Delivered:
   * marked, and removed from the quarantine. Refused again: the quarantine keeps it with the new
   * error, which is thrown. Unknown id: undefined.
   */
  async replayQuarantined(id: string): Promise<'delivered' | undefined> {
    const entry = await this.quarantine.findById(id).lean();
    if (!entry) return undefined;
    const outboxEntry: OutboxEntry = {
      id: entry._id,
      topic: entry.topic,
      key: entry.key,
      value: entry.value,
      headers: entry.headers,
      createdAt: entry.stagedAt,
      ...(entry.encoding ? { encoding: entry.encoding } : {}),
    };
    try {
      await this.send([outboxEntry]);
    } catch (error) {
      const { message } = describeSendError(error);
      await this.quarantine.updateOne({ _id: id }, { $set: { lastReplayError: message, lastReplayAt: new Date() } });
      throw error;
    }
    await this.markDelivered([outboxEntry]);
    await this.quarantine.deleteOne({ _id: id });
    this.log.info({ eventId: id, topic: entry.topic }, 'quarantined outbox entry replayed');
    return 'delivered';
  }

  /** Forgets deliveries older than their retention (a field plus a job: no TTL indexes). */
  async cleanup(now = new Date()): Promise<number> {
    return (await this.delivered.deleteMany({ expiresAt: { $lt: now } })).deletedCount ?? 0;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      const full = this.fullPassDue;
      this.fullPassDue = false;
      const noted = takeStaged(this.connection);
      const hinted = [...this.models].filter((m) => noted.has(m.collection.collectionName));
      const models = full || hinted.length === 0 ? undefined : hinted;
      try {
        if ((await this.pass(models)) === LEASE_BUSY) {
          // Another replica is mid-pass and may have scanned before this one's write: look again soon.
          clearTimeout(this.retryTimer);
          this.retryTimer = setTimeout(() => this.kick(true), Math.min(100, this.options.pollIntervalMs));
          this.retryTimer.unref();
          return;
        }
      } catch (error) {
        // Broker or database away: nothing is marked delivered. A full pass retries within a second
        // (the poll itself may be far apart: it is only the safety net).
        this.log.warn({ err: error }, 'outbox relay pass failed; will retry');
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.kick(true), Math.min(RETRY_AFTER_FAILURE_MS, this.options.pollIntervalMs));
        this.retryTimer.unref();
        return;
      }
    } while (this.again && !this.stopped);
  }

  /**
   * One pass. Finding work only reads, so it runs without the lease: an idle pass (the timer's
   * common case) writes nothing at all. Only a pass that found entries to send takes the lease,
   * and under it checks again which of them another relay has sent meanwhile.
   */
  private async pass(only?: readonly OutboxModel[]): Promise<number> {
    let failed: unknown;
    const scans: ModelScan[] = [];
    // Each model gets its own try: one collection's trouble never holds back another's events.
    for (const model of only ?? this.models) {
      try {
        scans.push(await this.scan(model));
      } catch (error) {
        failed ??= error;
      }
    }
    const idle = scans.filter((scan) => scan.pending.length === 0);
    const busy = scans.filter((scan) => scan.pending.length > 0);
    // Everything these found in their window was settled: their watermarks move on as they are.
    for (const scan of idle) {
      try {
        await this.advance(scan, false);
      } catch (error) {
        failed ??= error;
      }
    }
    let published = 0;
    if (busy.length > 0) {
      // Work no kick announced here (another replica's write, a crashed relay's leftovers): stay warm.
      this.noteActivity();
      if (!(await this.acquireLease())) return LEASE_BUSY;
      try {
        for (const scan of busy) {
          try {
            published += await this.publishScan(scan);
          } catch (error) {
            // Without the lease, nothing more may be sent in this pass: another relay has it.
            if (error instanceof RelayLeaseLostError) throw error;
            failed ??= error;
          }
        }
      } finally {
        await this.releaseLease();
      }
    }
    if (published > 0) this.options.onPublished?.(published);
    if (failed) throw failed;
    return published;
  }

  private leaseExpiry(): Date {
    return new Date(Date.now() + (this.options.leaseMs ?? 30_000));
  }

  /** Takes the publishing lease (a unique insert), or takes over one whose holder stopped renewing. */
  private async acquireLease(): Promise<boolean> {
    for (let round = 0; round < 2; round += 1) {
      try {
        await this.leases.create({ _id: 'relay', owner: this.owner, expiresAt: this.leaseExpiry() });
        return true;
      } catch (error) {
        if ((error as { code?: number }).code !== 11000) throw error;
      }
      const held = await this.leases.findById('relay').lean();
      if (!held) continue;
      if (held.owner === this.owner) return this.renewLease();
      if (held.expiresAt.getTime() >= Date.now()) return false;
      // Its holder died mid-pass: remove exactly that stale lease, then race for it again.
      await this.leases.deleteOne({ _id: 'relay', owner: held.owner, expiresAt: held.expiresAt });
    }
    return false;
  }

  /** Extends the lease between batches; false if another relay has taken it over. */
  private async renewLease(): Promise<boolean> {
    const result = await this.leases.updateOne({ _id: 'relay', owner: this.owner }, { $set: { expiresAt: this.leaseExpiry() } });
    return result.matchedCount === 1;
  }

  private async releaseLease(): Promise<void> {
    await this.leases.deleteOne({ _id: 'relay', owner: this.owner }).catch(() => undefined);
  }

  /**
   * Ids of these entries already delivered or quarantined: both are settled as far as a pass is
   * concerned. Delivered markers are looked up by the entries' staging slots (equality, served
   * by an index on the local server, unlike `$in` on ids, which reads every marker); only entries
   * staged before `unbucketedBefore` that are not found that way are looked up by id, as their
   * markers may predate the slot field. The quarantine is small: by id.
   */
  private async settledIds(entries: readonly Pick<OutboxEntry, 'id' | 'createdAt'>[], unbucketedBefore: Date): Promise<Set<string>> {
    const wanted = new Set(entries.map((entry) => entry.id));
    const settled = new Set<string>();
    const buckets = new Set(entries.map((entry) => outboxBucketOf(new Date(entry.createdAt))));
    for (const bucket of buckets) {
      for (const marker of await this.delivered.find({ bucket }).select({ _id: 1 }).lean()) {
        if (wanted.has(marker._id)) settled.add(marker._id);
      }
    }
    const unfoundOld = entries
      .filter((entry) => !settled.has(entry.id) && new Date(entry.createdAt).getTime() < unbucketedBefore.getTime())
      .map((entry) => entry.id);
    const pendingIds = [...wanted].filter((id) => !settled.has(id));
    const [legacy, quarantined] = await Promise.all([
      unfoundOld.length > 0 ? this.delivered.find({ _id: { $in: unfoundOld } }).select({ _id: 1 }).lean() : [],
      pendingIds.length > 0 ? this.quarantine.find({ _id: { $in: pendingIds } }).select({ _id: 1 }).lean() : [],
    ]);
    for (const doc of [...legacy, ...quarantined]) settled.add(doc._id);
    return settled;
  }

  /** Documents whose staging slot is `since`'s or later, up to now (and a little past, for clocks ahead). */
  private async docsByBucket(model: OutboxModel, since: Date, overlap: number): Promise<StagedDoc[]> {
    const docs = new Map<string, StagedDoc>();
    const first = Math.floor(since.getTime() / BUCKET_MS) * BUCKET_MS;
    // The end is read again after each query: a document re-staged meanwhile moved to a later slot.
    for (let at = first; at <= Date.now() + Math.min(overlap, BUCKET_MS); at += BUCKET_MS) {
      const found = (await model
        .find({ outboxBucket: outboxBucketOf(new Date(at)) })
        .select({ outbox: 1 })
        .lean()) as unknown as StagedDoc[];
      for (const doc of found) docs.set(String(doc._id), doc);
    }
    return [...docs.values()];
  }

  /** Whether this pass over a collection reads the range (see RelayOptions.sweepIntervalMs). */
  private sweepDue(collectionName: string, watermark: RelayWatermark | null, now: Date): boolean {
    if (!watermark || !this.swept.has(collectionName)) return true;
    const sweptFrom = watermark.sweptFrom?.getTime() ?? 0;
    return now.getTime() - sweptFrom >= (this.options.sweepIntervalMs ?? 3600_000);
  }

  /** What one collection has to send since its watermark (reads only; see pass()). */
  private async scan(model: OutboxModel): Promise<ModelScan> {
    const passStartedAt = new Date();
    const watermarkId = model.collection.collectionName;
    const watermark = await this.watermarks.findById(watermarkId).lean();
    const overlap = this.options.overlapMs ?? 60_000;
    const scannedFrom = watermark?.scannedFrom.getTime() ?? 0;
    const sweep = this.sweepDue(watermarkId, watermark, passStartedAt);
    const wholeOverlap = sweep || passStartedAt.getTime() - (this.overlapPassAt.get(watermarkId) ?? 0) >= overlap / 2;
    const lookBack = wholeOverlap ? overlap : Math.min(overlap, this.options.lateMarginMs ?? 5_000);
    // A sweep looks back to the previous sweep, a normal pass to the previous pass.
    const from = sweep ? Math.min(scannedFrom, watermark?.sweptFrom?.getTime() ?? scannedFrom) : scannedFrom;
    const since = new Date(from - lookBack);
    const ranged = sweep || passStartedAt.getTime() - since.getTime() > (this.options.maxBucketSpanMs ?? 6 * 3600_000);

    const docs = ranged
      ? ((await model
          .find({ outboxStagedAt: { $gte: since } })
          .select({ outbox: 1 })
          .lean()) as unknown as StagedDoc[])
      : await this.docsByBucket(model, since, overlap);
    // Per aggregate, in the document's own array order: the order its writes staged them in.
    const byAggregate = docs
      .map((doc) => ({
        aggregateId: String(doc._id),
        entries: doc.outbox.filter((entry) => new Date(entry.createdAt).getTime() >= since.getTime()),
      }))
      .filter((aggregate) => aggregate.entries.length > 0);
    const pending = byAggregate.length > 0 ? await this.withoutSettled(byAggregate) : [];
    return { model, watermarkId, watermark, passStartedAt, sweep, wholeOverlap, pending };
  }

  /** The aggregates' entries not yet delivered or quarantined (aggregates left with none dropped). */
  private async withoutSettled(aggregates: ModelScan['pending']): Promise<ModelScan['pending']> {
    const settled = await this.settledIds(
      aggregates.flatMap((aggregate) => aggregate.entries),
      this.createdAt,
    );
    return aggregates
      .map((aggregate) => ({ ...aggregate, entries: aggregate.entries.filter((entry) => !settled.has(entry.id)) }))
      .filter((aggregate) => aggregate.entries.length > 0);
  }

  /** Sends a scan's pending entries (holding the lease), then moves its watermark on if all got out. */
  private async publishScan(scan: ModelScan): Promise<number> {
    // Another relay may have sent some of them between the scan and this relay's taking the lease.
    const pending = await this.withoutSettled(scan.pending);
    let published = 0;
    let complete = true;
    const batchSize = this.options.batchSize ?? 500;
    let batch: { aggregateId: string; entries: OutboxEntry[] }[] = [];
    let batchEntries = 0;
    const sendBatch = async () => {
      if (batch.length === 0) return;
      const outcome = await this.publishAggregates(scan.model.collection.collectionName, batch);
      published += outcome.published;
      if (!outcome.complete) complete = false;
      batch = [];
      batchEntries = 0;
      if (!(await this.renewLease())) throw new RelayLeaseLostError();
    };
    for (const aggregate of pending) {
      batch.push(aggregate);
      batchEntries += aggregate.entries.length;
      if (batchEntries >= batchSize) await sendBatch();
    }
    await sendBatch();
    // Only a pass that got everything out (or quarantined it) moves the watermark on.
    if (complete) await this.advance(scan, true);
    return published;
  }

  /**
   * Moves a collection's watermark to the start of a pass whose window is all settled. Passes that
   * found nothing rewrite it only once it is `watermarkRefreshMs` old: an older watermark is always
   * safe (the next pass merely looks further back), and an idle relay then polls without writing.
   */
  private async advance(scan: ModelScan, sent: boolean): Promise<void> {
    const { watermarkId, watermark, passStartedAt, sweep, wholeOverlap } = scan;
    const age = passStartedAt.getTime() - (watermark?.scannedFrom.getTime() ?? 0);
    const due = sent || sweep || !watermark || age >= (this.options.watermarkRefreshMs ?? WATERMARK_REFRESH_MS);
    if (due) {
      await this.watermarks.updateOne(
        { _id: watermarkId },
        { $set: { scannedFrom: passStartedAt, ...(sweep ? { sweptFrom: passStartedAt } : {}) } },
        { upsert: true },
      );
    }
    if (sweep) this.swept.add(watermarkId);
    if (wholeOverlap) this.overlapPassAt.set(watermarkId, passStartedAt.getTime());
  }

  /**
   * Sends several aggregates' entries in one request. If the broker refuses it, each aggregate is
   * sent alone, entry by entry in order, so one bad entry costs only its own aggregate's later
   * events (which wait behind it, keeping their order) until it is quarantined.
   */
  private async publishAggregates(
    collectionName: string,
    aggregates: { aggregateId: string; entries: OutboxEntry[] }[],
  ): Promise<{ published: number; complete: boolean }> {
    const all = aggregates.flatMap((aggregate) => aggregate.entries);
    try {
      await this.send(all);
      await this.delivery(all);
      return { published: all.length, complete: true };
    } catch (error) {
      if (!isEntrySpecific(error)) throw error;
      this.log.warn({ err: error, entries: all.length }, 'outbox batch refused: sending entry by entry');
    }
    let published = 0;
    let complete = true;
    for (const aggregate of aggregates) {
      for (const entry of aggregate.entries) {
        try {
          await this.send([entry]);
        } catch (error) {
          if (!isEntrySpecific(error)) throw error;
          const quarantined = await this.recordFailure(collectionName, aggregate.aggregateId, entry, error);
          if (quarantined) continue; // given up on: the aggregate's later events go on
          complete = false;
          break; // its later events wait behind it, in order
        }
        await this.delivery([entry]);
        published += 1;
      }
    }
    return { published, complete };
  }

  private async delivery(entries: OutboxEntry[]): Promise<void> {
    await this.options.afterSend?.(entries);
    await this.markDelivered(entries);
  }

  /** Counts a refused send of one entry; quarantines it on the last attempt (returns true then). */
  private async recordFailure(collectionName: string, aggregateId: string, entry: OutboxEntry, error: unknown): Promise<boolean> {
    const { message, type } = describeSendError(error);
    const previous = await this.failures.findById(entry.id).lean();
    const attempts = (previous?.attempts ?? 0) + 1;
    const maxAttempts = this.options.maxAttempts ?? 5;
    if (attempts < maxAttempts) {
      await this.failures.updateOne(
        { _id: entry.id },
        { $set: { attempts, lastError: message, lastFailedAt: new Date() } },
        { upsert: true },
      );
      this.log.warn({ eventId: entry.id, topic: entry.topic, attempts, err: error }, 'outbox entry refused by the broker; will retry');
      return false;
    }
    const quarantined: QuarantinedEntry = {
      _id: entry.id,
      collectionName,
      aggregateId,
      topic: entry.topic,
      key: entry.key,
      value: entry.value,
      headers: entry.headers,
      ...(entry.encoding ? { encoding: entry.encoding } : {}),
      stagedAt: new Date(entry.createdAt),
      sizeBytes: Buffer.byteLength(entry.value),
      error: message,
      errorType: type,
      attempts,
      quarantinedAt: new Date(),
    };
    try {
      await this.quarantine.create(quarantined);
    } catch (insertError) {
      if ((insertError as { code?: number }).code !== 11000) throw insertError;
    }
    await this.failures.deleteOne({ _id: entry.id });
    this.log.error(
      { eventId: entry.id, topic: entry.topic, aggregateId, sizeBytes: quarantined.sizeBytes, attempts, err: error },
      'outbox entry quarantined: the broker refuses it; replay it once fixed',
    );
    this.options.onQuarantined?.(quarantined);
    return true;
  }

  private async send(entries: OutboxEntry[]): Promise<void> {
    // Map insertion order follows the entries' order, so each topic's messages keep staging order.
    const byTopic = new Map<string, { key: string | Buffer; value: string | Buffer; headers: Record<string, string> }[]>();
    for (const entry of entries) {
      const messages = byTopic.get(entry.topic) ?? [];
      messages.push({ ...wireForm(entry), headers: JSON.parse(entry.headers) });
      byTopic.set(entry.topic, messages);
    }
    await this.producer.sendBatch({
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic: this.brokerTopic(topic), messages })),
    });
  }

  private async markDelivered(entries: OutboxEntry[]): Promise<void> {
    const now = new Date();
    const expiresAt = new Date(now.getTime() + (this.options.deliveredRetentionMs ?? DELIVERED_RETENTION_MS));
    try {
      await this.delivered.insertMany(
        entries.map((entry) => ({ _id: entry.id, bucket: outboxBucketOf(new Date(entry.createdAt)), deliveredAt: now, expiresAt })),
        { ordered: false },
      );
    } catch (error) {
      // A replay or a relay that took over marked some first: duplicates are expected, nothing else.
      const writeErrors = (error as { writeErrors?: { code?: number; err?: { code?: number } }[] }).writeErrors ?? [];
      const onlyDuplicates = writeErrors.length > 0 && writeErrors.every((e) => (e.code ?? e.err?.code) === 11000);
      if (!onlyDuplicates && (error as { code?: number }).code !== 11000) throw error;
    }
  }
}

/** Marks a dead-letter record that announces a quarantined outbox entry rather than carrying it. */
export const QUARANTINE_NOTICE_HEADER = 'x-dlq-outbox-quarantine';

/**
 * The record a quarantine leaves on `<topic>.dlq`, so the admin console lists it with its error
 * beside the consumers' dead letters. It names the entry instead of carrying it (the entry is what
 * the broker refused); the producing service keeps it whole and replays it
 * (`POST /ops/outbox/quarantine/:id/replay`).
 */
export function quarantineNotice(entry: QuarantinedEntry, service: string): { key: string; value: string; headers: Record<string, string> } {
  return {
    key: entry.key,
    value: JSON.stringify({
      notice: 'outbox-quarantine',
      service,
      eventId: entry._id,
      topic: entry.topic,
      subject: entry.key,
      sizeBytes: entry.sizeBytes,
      error: entry.error,
      replay: `POST /ops/outbox/quarantine/${encodeURIComponent(entry._id)}/replay on the ${service} service`,
    }),
    headers: {
      [QUARANTINE_NOTICE_HEADER]: service,
      [DLQ_HEADERS.error]: entry.error,
      [DLQ_HEADERS.errorName]: entry.errorType,
      [DLQ_HEADERS.originalTopic]: entry.topic,
      [DLQ_HEADERS.consumerGroup]: `outbox:${service}`,
      [DLQ_HEADERS.attempts]: String(entry.attempts),
      [DLQ_HEADERS.failedAt]: entry.quarantinedAt.toISOString(),
    },
  };
}
