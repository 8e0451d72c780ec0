import { randomUUID } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import type { Producer } from 'kafkajs';
import type { FastifyBaseLogger } from 'fastify';
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
}

/** Fields the outbox plugin adds to an aggregate. */
export interface OutboxFields {
  outbox: OutboxEntry[];
  /** When this document last staged events: how the relay finds work without writing here. */
  outboxStagedAt?: Date | null;
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
  });
  schema.index({ outboxStagedAt: 1 });
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
export function rawOutboxEntry(topic: string, key: string, value: string, headers: Record<string, string>): OutboxEntry {
  const id = `raw-${randomUUID()}`;
  return { id, topic, key, value, headers: JSON.stringify(headers), createdAt: new Date() };
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
  doc.outboxStagedAt = entry.createdAt;
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
    $set: { ...(update.$set ?? {}), outboxStagedAt: stagedAt },
  };
}

type OutboxModel = Model<any>;

interface StagedDoc {
  _id: unknown;
  outbox: OutboxEntry[];
}

interface DeliveredMarker {
  _id: string;
  deliveredAt: Date;
  expiresAt: Date;
}

interface RelayWatermark {
  _id: string;
  scannedFrom: Date;
}

const DeliveredSchema = new Schema<DeliveredMarker>(
  { _id: String, deliveredAt: Date, expiresAt: { type: Date, index: true } },
  { collection: 'outbox_delivered', versionKey: false },
);
const WatermarkSchema = new Schema<RelayWatermark>(
  { _id: String, scannedFrom: Date },
  { collection: 'outbox_watermarks', versionKey: false },
);

export interface RelayOptions {
  pollIntervalMs: number;
  batchSize?: number;
  /**
   * How far each pass looks back before the previous one: covers writes committed just after a
   * pass began and clock differences between replicas.
   */
  overlapMs?: number;
  /** How long a delivery is remembered; only needs to outlast the overlap. */
  deliveredRetentionMs?: number;
  onPublished?: (count: number) => void;
}

/**
 * Publishes staged events. It never writes the aggregates: FerretDB 1.x applies concurrent updates
 * to one document as read-modify-write and silently loses all but one, so a relay clearing an
 * outbox while a request stages another event would lose data. Instead the relay keeps its own
 * books in its own collections: a watermark per aggregate collection (documents that staged
 * since then are scanned) and a delivered marker per event id (unique `_id`). Runs on a timer, so
 * it catches up after a crash or a broker outage, and immediately when a write kicks it.
 * At-least-once: a crash between send and marker re-sends; consumers deduplicate by event id.
 */
export class OutboxRelay {
  private readonly models = new Set<OutboxModel>();
  private readonly delivered: Model<DeliveredMarker>;
  private readonly watermarks: Model<RelayWatermark>;
  private timer: NodeJS.Timeout | undefined;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(
    private readonly producer: Producer,
    connection: Connection,
    private readonly log: FastifyBaseLogger,
    private readonly options: RelayOptions,
    /** Contract topic → topic on the broker (adds the environment's prefix, if any). */
    private readonly brokerTopic: (topic: string) => string = (topic) => topic,
  ) {
    this.delivered =
      (connection.models.OutboxDelivered as Model<DeliveredMarker>) ??
      connection.model<DeliveredMarker>('OutboxDelivered', DeliveredSchema);
    this.watermarks =
      (connection.models.OutboxWatermark as Model<RelayWatermark>) ??
      connection.model<RelayWatermark>('OutboxWatermark', WatermarkSchema);
  }

  register(model: OutboxModel): void {
    this.models.add(model);
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), this.options.pollIntervalMs);
    this.timer.unref();
    this.cleanupTimer = setInterval(() => void this.cleanup().catch(() => undefined), 3600_000);
    this.cleanupTimer.unref();
    this.kick();
  }

  /** Asks for a pass now; passes never overlap, a kick during one schedules one more. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  /** Publishes everything staged so far; resolves when a pass finds nothing new (tests, shutdown). */
  async flush(): Promise<void> {
    for (;;) {
      await this.running;
      const pass = this.pass();
      this.running = pass.then(
        () => undefined,
        () => undefined,
      );
      if ((await pass) === 0) return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearInterval(this.cleanupTimer);
    await this.running;
  }

  /**
   * Which of these staged entries the relay has not handed to Kafka yet, e.g. to show that a
   * replay is still in flight. Entries older than the delivered-marker retention count as sent.
   */
  async undelivered(entries: readonly Pick<OutboxEntry, 'id' | 'createdAt'>[]): Promise<Set<string>> {
    const retention = this.options.deliveredRetentionMs ?? 24 * 3600 * 1000;
    const recent = entries.filter((entry) => Date.now() - new Date(entry.createdAt).getTime() < retention);
    if (recent.length === 0) return new Set();
    const delivered = await this.delivered.find({ _id: { $in: recent.map((entry) => entry.id) } }).select({ _id: 1 }).lean();
    const sent = new Set(delivered.map((marker) => marker._id));
    return new Set(recent.filter((entry) => !sent.has(entry.id)).map((entry) => entry.id));
  }

  /** Forgets deliveries older than their retention (a field plus a job: no TTL indexes). */
  async cleanup(now = new Date()): Promise<number> {
    return (await this.delivered.deleteMany({ expiresAt: { $lt: now } })).deletedCount ?? 0;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.pass();
      } catch (error) {
        // Broker or database away: nothing is marked delivered, the next tick retries.
        this.log.warn({ err: error }, 'outbox relay pass failed; will retry');
        return;
      }
    } while (this.again && !this.stopped);
  }

  private async pass(): Promise<number> {
    let published = 0;
    for (const model of this.models) published += await this.passOver(model);
    if (published > 0) this.options.onPublished?.(published);
    return published;
  }

  private async passOver(model: OutboxModel): Promise<number> {
    const passStartedAt = new Date();
    const watermarkId = model.collection.collectionName;
    const watermark = await this.watermarks.findById(watermarkId).lean();
    const overlap = this.options.overlapMs ?? 60_000;
    const since = new Date((watermark?.scannedFrom.getTime() ?? 0) - overlap);

    const docs = (await model
      .find({ outboxStagedAt: { $gte: since } })
      .select({ outbox: 1 })
      .lean()) as unknown as StagedDoc[];
    const candidates = docs.flatMap((doc) =>
      doc.outbox.filter((entry) => new Date(entry.createdAt).getTime() >= since.getTime()),
    );
    let published = 0;
    if (candidates.length > 0) {
      const done = new Set(
        (await this.delivered.find({ _id: { $in: candidates.map((entry) => entry.id) } }).select({ _id: 1 }).lean()).map(
          (marker) => marker._id,
        ),
      );
      const pending = candidates.filter((entry) => !done.has(entry.id));
      const batchSize = this.options.batchSize ?? 500;
      for (let start = 0; start < pending.length; start += batchSize) {
        const batch = pending.slice(start, start + batchSize);
        await this.publish(batch);
        await this.markDelivered(batch);
        published += batch.length;
      }
    }
    // Only a pass that got everything out moves the watermark on.
    await this.watermarks.updateOne({ _id: watermarkId }, { $set: { scannedFrom: passStartedAt } }, { upsert: true });
    return published;
  }

  private async publish(entries: OutboxEntry[]): Promise<void> {
    // Order within a topic follows staging order (createdAt), so one aggregate's events arrive in order.
    const ordered = [...entries].sort((a, b) => new Date(a.createdAt).getTime() - new Date(b.createdAt).getTime());
    const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>();
    for (const entry of ordered) {
      const messages = byTopic.get(entry.topic) ?? [];
      messages.push({ key: entry.key, value: entry.value, headers: JSON.parse(entry.headers) });
      byTopic.set(entry.topic, messages);
    }
    await this.producer.sendBatch({
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic: this.brokerTopic(topic), messages })),
    });
  }

  private async markDelivered(entries: OutboxEntry[]): Promise<void> {
    const now = new Date();
    const expiresAt = new Date(now.getTime() + (this.options.deliveredRetentionMs ?? 24 * 3600 * 1000));
    try {
      await this.delivered.insertMany(
        entries.map((entry) => ({ _id: entry.id, deliveredAt: now, expiresAt })),
        { ordered: false },
      );
    } catch (error) {
      // Another replica's relay marked some first: duplicates are expected, anything else is not.
      const writeErrors = (error as { writeErrors?: { code?: number; err?: { code?: number } }[] }).writeErrors ?? [];
      const onlyDuplicates = writeErrors.length > 0 && writeErrors.every((e) => (e.code ?? e.err?.code) === 11000);
      if (!onlyDuplicates && (error as { code?: number }).code !== 11000) throw error;
    }
  }
}
