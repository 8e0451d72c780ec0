/**
 * How big events get: the bytes of an event as the Kafka record value, and the largest valid
 * event of each topic (built from the schemas by {@link largestInstance}), which a test keeps
 * within {@link MAX_EVENT_BYTES}.
 */
import { eventDataSchemas, subjectOf, type EventData } from './catalog.js';
import { EnvelopeSchema, buildEvent, toKafkaMessage, type FoodXchangeEvent } from './envelope.js';
import { MAX_EVENT_BYTES, largestInstance } from './largest.js';
import type { Topic } from './topics.js';

/** Bytes of an event as it goes to Kafka: the UTF-8 CloudEvents JSON of the record value. */
export function eventBytes(event: FoodXchangeEvent): number {
  return Buffer.byteLength(toKafkaMessage(event).value, 'utf8');
}

/** Whether an event stays within {@link MAX_EVENT_BYTES}. */
export function fitsInOneMessage(event: FoodXchangeEvent): boolean {
  return eventBytes(event) <= MAX_EVENT_BYTES;
}

/**
 * The largest event of a topic the contract allows: largest data, largest envelope attributes,
 * built with {@link buildEvent} (so it is checked like any event a producer builds). Throws
 * `UnboundedSchemaError` while some part of the topic's data has no bound.
 */
export function largestEvent<T extends Topic>(topic: T): FoodXchangeEvent<T> {
  const data = largestInstance(eventDataSchemas[topic]) as EventData<T>;
  const envelope = EnvelopeSchema.properties;
  return buildEvent(topic, {
    source: largestInstance(envelope.source, '(envelope)/source') as string,
    subject: subjectOf(topic, data),
    data,
    correlationId: largestInstance(envelope.correlationid, '(envelope)/correlationid') as string,
    id: largestInstance(envelope.id, '(envelope)/id') as string,
    // the SDK writes every time as a 24-character ISO 8601 UTC instant, whatever it was given
    time: '2025-12-31T23:59:59.999Z',
  });
}

const largestBytesCache = new Map<Topic, number>();

/** Bytes of {@link largestEvent} of a topic (computed once). */
export function largestEventBytes(topic: Topic): number {
  let bytes = largestBytesCache.get(topic);
  if (bytes === undefined) {
    bytes = eventBytes(largestEvent(topic));
    largestBytesCache.set(topic, bytes);
  }
  return bytes;
}
