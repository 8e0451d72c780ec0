import { Schema, type Connection, type Model } from 'mongoose';
import { outboxPlugin, type OutboxFields } from '@foodxchange/service-kit';

export const DEAD_LETTER_STATUSES = ['pending', 'replayed'] as const;
export type DeadLetterStatus = (typeof DEAD_LETTER_STATUSES)[number];

/**
 * One record of a `<topic>.dlq`, kept byte-exact so it can be replayed. `_id` is
 * `<dlq topic>:<partition>:<offset>`: the record's place in Kafka, unique by construction.
 * Key and value are stored as base64 (a DLQ holds whatever failed: NUL bytes, which PostgreSQL
 * under FerretDB refuses in text, or bytes that are not UTF-8 at all), plus a text view when the
 * bytes are UTF-8 without NUL, so the console and the filters read it as text.
 * Headers are JSON text (their names belong to whoever produced the record).
 */
export interface DeadLetterDoc extends OutboxFields {
  _id: string;
  dlqTopic: string;
  dlqPartition: number;
  dlqOffset: string;
  originalTopic: string;
  originalPartition?: number;
  originalOffset?: string;
  consumerGroup?: string;
  attempts?: number;
  failedAt?: Date;
  error: { message: string; name: string; stack?: string };
  /** The key's bytes, base64; null when the record had no key. */
  keyBase64: string | null;
  /** The key as text when its bytes are UTF-8 without NUL, else null (see keyBase64). */
  key: string | null;
  /** The value's bytes, base64; null for a tombstone (no value). */
  valueBase64: string | null;
  /** The value as text when its bytes are UTF-8 without NUL, else null (see valueBase64). */
  value: string | null;
  /** The record's own headers, `x-dlq-*` removed, as JSON text. */
  headers: string;
  eventId?: string;
  eventType?: string;
  subject?: string;
  correlationId?: string;
  /** Dead letter this one came from, when a replayed record failed again. */
  replayOf?: string;
  /**
   * Set when the record is a producer's notice of an outbox entry it quarantined (the broker
   * refused the entry itself): the service that keeps the entry and replays it.
   */
  quarantinedBy?: string;
  status: DeadLetterStatus;
  replayCount: number;
  lastReplayedAt?: Date;
  recordedAt: Date;
}

const ErrorSchema = new Schema(
  { message: { type: String, default: '' }, name: { type: String, default: 'Error' }, stack: String },
  { _id: false },
);

const DeadLetterSchema = new Schema<DeadLetterDoc>(
  {
    _id: { type: String, required: true },
    dlqTopic: { type: String, required: true },
    dlqPartition: { type: Number, required: true },
    dlqOffset: { type: String, required: true },
    originalTopic: { type: String, required: true },
    originalPartition: Number,
    originalOffset: String,
    consumerGroup: String,
    attempts: Number,
    failedAt: Date,
    error: { type: ErrorSchema, required: true },
    keyBase64: { type: String, default: null },
    key: { type: String, default: null },
    valueBase64: { type: String, default: null },
    value: { type: String, default: null },
    headers: { type: String, required: true },
    eventId: String,
    eventType: String,
    subject: String,
    correlationId: String,
    replayOf: String,
    quarantinedBy: String,
    status: { type: String, required: true, enum: DEAD_LETTER_STATUSES },
    replayCount: { type: Number, required: true, default: 0 },
    lastReplayedAt: Date,
    recordedAt: { type: Date, required: true },
  },
  { collection: 'dead_letters', versionKey: false },
);
DeadLetterSchema.plugin(outboxPlugin);
DeadLetterSchema.index({ recordedAt: -1 });
DeadLetterSchema.index({ status: 1, recordedAt: -1 });
DeadLetterSchema.index({ originalTopic: 1, recordedAt: -1 });
DeadLetterSchema.index({ eventId: 1 });

export type DeadLetterModel = Model<DeadLetterDoc>;

export function deadLetterModel(connection: Connection): DeadLetterModel {
  return (connection.models.DeadLetter as DeadLetterModel) ?? connection.model<DeadLetterDoc>('DeadLetter', DeadLetterSchema);
}

/**
 * The exactly-once guard of a replay (DESIGN.md rule 2): a unique `_id` insert per dead letter.
 * A conditional update alone is not enough — on FerretDB 1.x two concurrent
 * `updateOne({ _id, status: 'pending' })` both match (verified by the replay race test).
 */
export interface ReplayClaimDoc {
  _id: string;
  claimedAt: Date;
}

const ReplayClaimSchema = new Schema<ReplayClaimDoc>(
  { _id: { type: String, required: true }, claimedAt: { type: Date, required: true } },
  { collection: 'dead_letter_replay_claims', versionKey: false },
);

export type ReplayClaimModel = Model<ReplayClaimDoc>;

export function replayClaimModel(connection: Connection): ReplayClaimModel {
  return (connection.models.ReplayClaim as ReplayClaimModel) ?? connection.model<ReplayClaimDoc>('ReplayClaim', ReplayClaimSchema);
}
