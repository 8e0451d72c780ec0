import { topicOfDlq } from '@foodxchange/contracts';
import { DLQ_HEADERS, QUARANTINE_NOTICE_HEADER, type EventHandlerContext, type RawMessage } from '@foodxchange/service-kit';
import { countRecordedDeadLetter } from './metrics.js';
import { deadLetterModel } from './model.js';

/**
 * A dead letter's id: `<dlq topic>:<partition>:<offset>`, its place in Kafka (colons rather than
 * slashes so the id is one URL path segment).
 */
export function deadLetterId(topic: string, partition: number, offset: string): string {
  return `${topic}:${partition}:${offset}`;
}

/** Header a replayed record carries: the dead letter it was replayed from. */
export const REPLAYED_FROM_HEADER = 'x-replayed-from';
export const REPLAYED_AT_HEADER = 'x-replayed-at';

const DLQ_HEADER_SET: ReadonlySet<string> = new Set(Object.values(DLQ_HEADERS));

/** The record's own headers: the consumer's `x-dlq-*` diagnostics removed. */
export function ownHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !DLQ_HEADER_SET.has(name) && !name.startsWith('x-dlq-')));
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The bytes as text when that is lossless and storable: valid UTF-8 without NUL (PostgreSQL, under
 * FerretDB, refuses NUL in text). Otherwise null, and the base64 copy is the only form.
 */
export function textView(bytes: Buffer | null): string | null {
  if (bytes === null) return null;
  if (bytes.includes(0)) return null;
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/** Header-borne text (error messages quote whatever failed) made storable: NUL becomes U+FFFD. */
function storable(text: string): string;
function storable(text: string | undefined): string | undefined;
function storable(text: string | undefined): string | undefined {
  return text === undefined ? undefined : text.replaceAll('\u0000', '\uFFFD');
}

function optionalInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

function optionalDate(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Event id/type/subject/correlation id when the value is a CloudEvent-ish JSON object. */
export function eventFields(value: string | null): { eventId?: string; eventType?: string; subject?: string; correlationId?: string } {
  if (!value) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  const event = parsed as Record<string, unknown>;
  // A JSON escape can still smuggle a NUL into a parsed string: such a field is not indexed.
  const text = (field: unknown) =>
    typeof field === 'string' && field.length > 0 && field.length <= 200 && !field.includes('\u0000') ? field : undefined;
  const out: { eventId?: string; eventType?: string; subject?: string; correlationId?: string } = {};
  // A quarantine notice names the event it stands for as `eventId`.
  const [eventId, eventType, subject, correlationId] = [
    text(event.id) ?? (event.notice === 'outbox-quarantine' ? text(event.eventId) : undefined),
    text(event.type),
    text(event.subject),
    text(event.correlationid),
  ];
  if (eventId) out.eventId = eventId;
  if (eventType) out.eventType = eventType;
  if (subject) out.subject = subject;
  if (correlationId) out.correlationId = correlationId;
  return out;
}

/**
 * The dead-letter consumer (raw: a DLQ holds whatever failed, garbage and binary included).
 * Records the record byte-exact under its Kafka position; a redelivery is a duplicate key =
 * already recorded.
 */
export async function recordDeadLetter(message: RawMessage, { app, log }: EventHandlerContext): Promise<void> {
  // Header values become JSON text, which escapes NUL; the fields taken out of them are cleaned.
  const h = Object.fromEntries(Object.entries(message.headers).map(([name, value]) => [name, storable(value)]));
  const value = textView(message.value);
  const id = deadLetterId(message.topic, message.partition, message.offset);
  const originalTopic = h[DLQ_HEADERS.originalTopic] || topicOfDlq(message.topic) || message.topic;
  try {
    await deadLetterModel(app.mongo).create({
      _id: id,
      dlqTopic: message.topic,
      dlqPartition: message.partition,
      dlqOffset: message.offset,
      originalTopic,
      originalPartition: optionalInt(h[DLQ_HEADERS.originalPartition]),
      originalOffset: h[DLQ_HEADERS.originalOffset] || undefined,
      consumerGroup: h[DLQ_HEADERS.consumerGroup] || undefined,
      attempts: optionalInt(h[DLQ_HEADERS.attempts]),
      failedAt: optionalDate(h[DLQ_HEADERS.failedAt]),
      error: {
        message: h[DLQ_HEADERS.error] ?? '',
        name: h[DLQ_HEADERS.errorName] || 'Error',
        stack: h[DLQ_HEADERS.stack] || undefined,
      },
      keyBase64: message.key?.toString('base64') ?? null,
      key: textView(message.key),
      valueBase64: message.value?.toString('base64') ?? null,
      value,
      headers: JSON.stringify(ownHeaders(message.headers)),
      ...eventFields(value),
      replayOf: h[REPLAYED_FROM_HEADER] || undefined,
      quarantinedBy: h[QUARANTINE_NOTICE_HEADER] || undefined,
      status: 'pending',
      replayCount: 0,
      recordedAt: new Date(),
    });
    // Only the insert that created it counts: a redelivery (11000 below) is the same dead letter.
    countRecordedDeadLetter(app.metrics, originalTopic);
  } catch (error) {
    if ((error as { code?: number }).code !== 11000) throw error;
    log.debug({ id }, 'dead letter already recorded');
  }
}
