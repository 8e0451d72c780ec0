import { topicOfDlq } from '@foodxchange/contracts';
import { DLQ_HEADERS, type EventHandlerContext, type RawMessage } from '@foodxchange/service-kit';
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
  const text = (field: unknown) => (typeof field === 'string' && field.length > 0 && field.length <= 200 ? field : undefined);
  const out: { eventId?: string; eventType?: string; subject?: string; correlationId?: string } = {};
  const [eventId, eventType, subject, correlationId] = [text(event.id), text(event.type), text(event.subject), text(event.correlationid)];
  if (eventId) out.eventId = eventId;
  if (eventType) out.eventType = eventType;
  if (subject) out.subject = subject;
  if (correlationId) out.correlationId = correlationId;
  return out;
}

/**
 * The dead-letter consumer (raw: a DLQ holds whatever failed, garbage included). Records the
 * record verbatim under its Kafka position; a redelivery is a duplicate key = already recorded.
 */
export async function recordDeadLetter(message: RawMessage, { app, log }: EventHandlerContext): Promise<void> {
  const h = message.headers;
  const id = deadLetterId(message.topic, message.partition, message.offset);
  try {
    await deadLetterModel(app.mongo).create({
      _id: id,
      dlqTopic: message.topic,
      dlqPartition: message.partition,
      dlqOffset: message.offset,
      originalTopic: h[DLQ_HEADERS.originalTopic] || topicOfDlq(message.topic) || message.topic,
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
      key: message.key,
      value: message.value,
      headers: JSON.stringify(ownHeaders(h)),
      ...eventFields(message.value),
      replayOf: h[REPLAYED_FROM_HEADER] || undefined,
      status: 'pending',
      replayCount: 0,
      recordedAt: new Date(),
    });
  } catch (error) {
    if ((error as { code?: number }).code !== 11000) throw error;
    log.debug({ id }, 'dead letter already recorded');
  }
}
