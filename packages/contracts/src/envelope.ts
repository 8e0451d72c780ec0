/**
 * The CloudEvents 1.0 envelope (structured JSON mode) every record on a FoodXchange topic carries,
 * built and serialised with the cloudevents SDK, checked with JSON Schema.
 */
import { randomUUID } from 'node:crypto';
import { CloudEvent, Kafka } from 'cloudevents';
import { Type, type Static } from '@sinclair/typebox';
import {
  EVENT_CATALOG,
  SUPPORTED_VERSIONS,
  topicOfEventType,
  versionOfDataSchema,
  type EventData,
} from './catalog.js';
import { isTopic, type Topic } from './topics.js';
import { ContractViolationError, validateAgainst, validateEventData, type ContractError } from './validation.js';

export const CLOUDEVENTS_SPEC_VERSION = '1.0';
export const DATA_CONTENT_TYPE = 'application/json';
/** Kafka `content-type` header of a structured-mode CloudEvent. */
export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';
/** CloudEvents extension attribute carrying the id that ties a request to every event it causes. */
export const CORRELATION_ID_EXTENSION = 'correlationid';

/**
 * JSON Schema of the envelope. Other extension attributes are allowed (names are lower-case
 * letters and digits, as CloudEvents requires); `data` is checked against the topic's schema.
 */
export const EnvelopeSchema = Type.Object(
  {
    specversion: Type.Literal(CLOUDEVENTS_SPEC_VERSION, { description: 'CloudEvents specification version.' }),
    id: Type.String({ minLength: 1, maxLength: 200, description: 'Unique per event: deduplicate on it (delivery is at-least-once).' }),
    type: Type.String({ pattern: '^com\\.foodxchange\\.', description: 'com.foodxchange.<topic>, e.g. com.foodxchange.order.created.' }),
    source: Type.String({ minLength: 1, maxLength: 200, format: 'uri-reference', description: 'Producing service, e.g. /foodxchange/order.' }),
    subject: Type.String({ minLength: 1, maxLength: 200, description: 'Aggregate id; equals the Kafka key.' }),
    time: Type.String({ format: 'date-time', description: 'When the occurrence happened (RFC 3339).' }),
    datacontenttype: Type.Literal(DATA_CONTENT_TYPE),
    dataschema: Type.String({
      pattern: '^urn:foodxchange:events:[a-z0-9.-]+:v[1-9][0-9]*$',
      description: 'urn:foodxchange:events:<topic>:v<N>: the schema and version of data.',
    }),
    correlationid: Type.String({ minLength: 1, maxLength: 200, description: 'Correlation id of the request or saga.' }),
    data: Type.Object({}, { description: 'The event data; its schema is named by dataschema.' }),
  },
  {
    title: 'FoodXchange CloudEvents envelope',
    description: 'CloudEvents 1.0 structured JSON with the required extension correlationid.',
    propertyNames: { pattern: '^[a-z0-9]{1,20}$' },
  },
);
export type Envelope = Static<typeof EnvelopeSchema>;

/** A FoodXchange event: a CloudEvent whose `data` is the contract's data for topic `T`. */
export interface FoodXchangeEvent<T extends Topic = Topic> {
  specversion: '1.0';
  id: string;
  type: string;
  source: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  dataschema: string;
  correlationid: string;
  data: EventData<T>;
}

export interface BuildEventInput<T extends Topic> {
  /** Producing service as a URI reference, e.g. `/foodxchange/order`. */
  source: string;
  /** Aggregate id (becomes the Kafka key). See `subjectOf`. */
  subject: string;
  data: EventData<T>;
  correlationId: string;
  /** Defaults to a random UUID. */
  id?: string;
  /** Defaults to now. */
  time?: string;
}

/** Turns anything the SDK or JSON threw into a contract error. */
function asViolation(message: string, error: unknown): ContractViolationError {
  if (error instanceof ContractViolationError) return error;
  const text = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new ContractViolationError(message, [{ path: '', message: text ?? 'invalid' }]);
}

/** The plain JSON object of an SDK CloudEvent (only the attributes it actually has). */
function plain(event: CloudEvent<unknown>): Record<string, unknown> {
  return JSON.parse(event.toString()) as Record<string, unknown>;
}

/**
 * Builds an event with the cloudevents SDK and checks it against the contract: the data against
 * the topic's schema, the envelope against {@link EnvelopeSchema}. Throws
 * {@link ContractViolationError} when either is broken, so an invalid event is never published.
 */
export function buildEvent<T extends Topic>(topic: T, input: BuildEventInput<T>): FoodXchangeEvent<T> {
  if (!isTopic(topic)) throw new ContractViolationError(`unknown topic ${String(topic)}`);
  const definition = EVENT_CATALOG[topic];
  const dataResult = validateEventData(topic, input.data);
  if (!dataResult.valid) {
    throw new ContractViolationError(
      `invalid ${topic} data`,
      dataResult.errors.map((e) => ({ path: `/data${e.path}`, message: e.message })),
    );
  }
  let event: Record<string, unknown>;
  try {
    const cloudEvent = new CloudEvent<EventData<T>>(
      {
        specversion: CLOUDEVENTS_SPEC_VERSION,
        id: input.id ?? randomUUID(),
        time: input.time ?? new Date().toISOString(),
        type: definition.type,
        source: input.source,
        subject: input.subject,
        datacontenttype: DATA_CONTENT_TYPE,
        dataschema: definition.dataschema,
        [CORRELATION_ID_EXTENSION]: input.correlationId,
        data: input.data,
      },
      true,
    );
    event = plain(cloudEvent);
  } catch (error) {
    throw asViolation(`cannot build ${topic} event`, error);
  }
  const envelopeResult = validateAgainst(EnvelopeSchema, event);
  if (!envelopeResult.valid) throw new ContractViolationError(`invalid ${topic} envelope`, envelopeResult.errors);
  return event as unknown as FoodXchangeEvent<T>;
}

function parseJson(raw: string | Buffer | null | undefined): unknown {
  if (raw === null || raw === undefined) throw new ContractViolationError('empty message', [{ path: '', message: 'no value' }]);
  const text = typeof raw === 'string' ? raw : Buffer.isBuffer(raw) ? raw.toString('utf8') : undefined;
  if (text === undefined) throw new ContractViolationError('not a message', [{ path: '', message: 'must be a string or a Buffer' }]);
  if (text.trim() === '') throw new ContractViolationError('empty message', [{ path: '', message: 'empty value' }]);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw asViolation('not JSON', error);
  }
}

/**
 * Checks a decoded JSON value is a contract event (envelope, known type, dataschema version the
 * topic supports, data against its schema) and returns it typed.
 */
export function checkEvent(value: unknown, expectedTopic?: Topic): FoodXchangeEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ContractViolationError('not a CloudEvent', [{ path: '', message: 'must be a JSON object' }]);
  }
  const envelope = validateAgainst(EnvelopeSchema, value);
  if (!envelope.valid) throw new ContractViolationError('invalid CloudEvents envelope', envelope.errors);
  const event = value as Envelope;

  const topic = topicOfEventType(event.type);
  if (!topic) {
    throw new ContractViolationError('unknown event type', [{ path: '/type', message: `${event.type} is not a FoodXchange event type` }]);
  }
  if (expectedTopic !== undefined && topic !== expectedTopic) {
    throw new ContractViolationError('event on the wrong topic', [
      { path: '/type', message: `${event.type} does not belong on topic ${expectedTopic}` },
    ]);
  }
  const version = versionOfDataSchema(topic, event.dataschema);
  if (version === undefined || !SUPPORTED_VERSIONS[topic].includes(version)) {
    throw new ContractViolationError('unsupported dataschema', [
      {
        path: '/dataschema',
        message: `${event.dataschema} is not a supported schema of ${topic} (supported: ${SUPPORTED_VERSIONS[topic]
          .map((v) => `v${v}`)
          .join(', ')})`,
      },
    ]);
  }
  const data = validateEventData(topic, event.data);
  if (!data.valid) {
    throw new ContractViolationError(
      `invalid ${topic} data`,
      data.errors.map((e): ContractError => ({ path: `/data${e.path}`, message: e.message })),
    );
  }
  // Last word to the SDK: whatever it would refuse is not a CloudEvent either.
  try {
    new CloudEvent(event as unknown as Record<string, unknown>, true);
  } catch (error) {
    throw asViolation('not a valid CloudEvent', error);
  }
  return value as FoodXchangeEvent;
}

/**
 * Parses a Kafka record value into a contract event. Anything else (null, not JSON, not a
 * CloudEvent, an unknown type, another topic's event, data failing its schema) throws
 * {@link ContractViolationError}: a poison message, never worth retrying.
 */
export function parseEvent<T extends Topic>(raw: string | Buffer | null, expectedTopic: T): FoodXchangeEvent<T>;
export function parseEvent(raw: string | Buffer | null, expectedTopic?: Topic): FoodXchangeEvent;
export function parseEvent(raw: string | Buffer | null, expectedTopic?: Topic): FoodXchangeEvent {
  return checkEvent(parseJson(raw), expectedTopic);
}

/** Narrows an event to a topic (e.g. after parsing without an expected topic). */
export function isEventOf<T extends Topic>(event: FoodXchangeEvent, topic: T): event is FoodXchangeEvent<T> {
  return topicOfEventType(event.type) === topic;
}

/** The topic an event belongs on. */
export function topicOf(event: FoodXchangeEvent): Topic {
  const topic = topicOfEventType(event.type);
  if (!topic) throw new ContractViolationError('unknown event type', [{ path: '/type', message: `${event.type} is not a FoodXchange event type` }]);
  return topic;
}

export interface KafkaRecord {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/**
 * A Kafka record in CloudEvents structured mode (serialised by the SDK's Kafka binding): key =
 * subject (the aggregate id), value = the event JSON, header `content-type:
 * application/cloudevents+json`.
 */
export function toKafkaMessage(event: FoodXchangeEvent): KafkaRecord {
  let value: string;
  try {
    const message = Kafka.structured(new CloudEvent(event as unknown as Record<string, unknown>, true));
    value = typeof message.value === 'string' ? message.value : JSON.stringify(message.value);
  } catch (error) {
    throw asViolation('cannot serialise event', error);
  }
  return {
    key: event.subject,
    value,
    headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE },
  };
}
