import { randomUUID } from 'node:crypto';
import { Schema, type Model } from 'mongoose';
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
  outboxPending: boolean;
  /** Bumped by every write that stages events, so the relay never clears one it has not sent. */
  outboxRevision: number;
}

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
    outboxPending: { type: Boolean, default: false },
    outboxRevision: { type: Number, default: 0 },
  });
  schema.index({ outboxPending: 1 });
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
  doc.outbox.push(entry);
  doc.outboxPending = true;
  doc.outboxRevision = (doc.outboxRevision ?? 0) + 1;
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
  return {
    ...update,
    $push: { ...((update.$push as object) ?? {}), outbox: { $each: entries } },
    $set: { ...(update.$set ?? {}), outboxPending: true },
    $inc: { ...(update.$inc ?? {}), outboxRevision: 1 },
  };
}

type OutboxModel = Model<any>;

interface PendingDoc {
  _id: unknown;
  outbox: OutboxEntry[];
  outboxRevision: number;
}

export interface RelayOptions {
  pollIntervalMs: number;
  batchSize?: number;
  onPublished?: (count: number) => void;
}

/**
 * Publishes staged events and clears them from their documents. Runs on a timer (so it catches
 * up after a crash or a broker outage) and immediately when a write kicks it. At-least-once:
 * a crash between send and clear re-sends, and consumers deduplicate by event id.
 */
export class OutboxRelay {
  private readonly models = new Set<OutboxModel>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(
    private readonly producer: Producer,
    private readonly log: FastifyBaseLogger,
    private readonly options: RelayOptions,
  ) {}

  register(model: OutboxModel): void {
    this.models.add(model);
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), this.options.pollIntervalMs);
    this.timer.unref();
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

  /** Publishes everything pending now; resolves when nothing is left (tests, shutdown). */
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
    await this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.pass();
      } catch (error) {
        // Broker or database away: the entries stay pending and the next tick retries.
        this.log.warn({ err: error }, 'outbox relay pass failed; will retry');
        return;
      }
    } while (this.again && !this.stopped);
  }

  private async pass(): Promise<number> {
    let published = 0;
    for (const model of this.models) {
      const docs = (await model
        .find({ outboxPending: true })
        .select({ outbox: 1, outboxRevision: 1 })
        .limit(this.options.batchSize ?? 100)
        .lean()) as unknown as PendingDoc[];
      for (const doc of docs) {
        if (doc.outbox.length > 0) await this.publish(doc.outbox);
        await this.clear(model, doc, new Set(doc.outbox.map((entry) => entry.id)));
        published += doc.outbox.length;
      }
    }
    if (published > 0) this.options.onPublished?.(published);
    return published;
  }

  private async publish(entries: OutboxEntry[]): Promise<void> {
    const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>();
    for (const entry of entries) {
      const messages = byTopic.get(entry.topic) ?? [];
      messages.push({ key: entry.key, value: entry.value, headers: JSON.parse(entry.headers) });
      byTopic.set(entry.topic, messages);
    }
    await this.producer.sendBatch({
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }

  // Load → modify → $set of the whole array, guarded by the revision (DESIGN.md rule 3: no $pull
  // of sub-documents). A concurrent write that staged more events bumps the revision; then we
  // reload and keep whatever was not in this batch.
  private async clear(model: OutboxModel, doc: PendingDoc, sent: Set<string>): Promise<void> {
    let current: PendingDoc | null = doc;
    for (let attempt = 0; attempt < 10 && current; attempt += 1) {
      const remaining = current.outbox.filter((entry) => !sent.has(entry.id));
      const result = await model.updateOne(
        { _id: current._id, outboxRevision: current.outboxRevision },
        { $set: { outbox: remaining, outboxPending: remaining.length > 0 } },
      );
      if (result.matchedCount === 1) return;
      current = (await model
        .findById(current._id)
        .select({ outbox: 1, outboxRevision: 1 })
        .lean()) as unknown as PendingDoc | null;
    }
  }
}
