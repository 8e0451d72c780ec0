/**
 * The AsyncAPI 3.0 document partners read: every topic and its dead-letter topic, the envelope,
 * every data schema, who produces and who consumes, and a complete example per event.
 * Deterministic (no clock, no random ids) so the committed `schemas/asyncapi.json` can be checked.
 */
import type { TSchema } from '@sinclair/typebox';
import { EVENT_CATALOG, eventDataSchemas, type EventDefinition } from './catalog.js';
import {
  CLOUDEVENTS_CONTENT_TYPE,
  CORRELATION_ID_EXTENSION,
  EnvelopeSchema,
} from './envelope.js';
import { largestEventBytes } from './event-size.js';
import { MAX_EVENT_BYTES } from './largest.js';
import { sampleEvent } from './samples.js';
import { ALL_TOPICS, TOPICS, dlqTopic, type Topic } from './topics.js';

/** Version of the contract as a whole (the package version); each event has its own schema version. */
export const CONTRACT_VERSION = '0.2.0';

export const JSON_SCHEMA_DIALECT = 'http://json-schema.org/draft-07/schema#';
export const ENVELOPE_SCHEMA_ID = 'urn:foodxchange:events:envelope:v1';

/**
 * Headers a platform consumer adds when it dead-letters a record (the original key, value and
 * headers are kept as they were).
 */
export const DLQ_HEADER_NAMES = {
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

/** A TypeBox schema as plain JSON (TypeBox's symbol keys dropped). */
export function plainSchema(schema: TSchema | object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}

/** `order.status-changed` → `OrderStatusChanged`. */
export function pascalName(topic: Topic): string {
  return topic
    .split(/[.-]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

const TOPIC_KEYS = Object.fromEntries(Object.entries(TOPICS).map(([key, topic]) => [topic, key])) as Record<Topic, string>;

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function channelDescription(definition: EventDefinition): string {
  return [
    definition.summary,
    '',
    `Produced by the ${definition.producer} service; consumed by ${definition.consumers.join(', ')}.`,
    `Key: the ${definition.key} of the data (also the CloudEvents subject).`,
    `CloudEvents type \`${definition.type}\`, dataschema \`${definition.dataschema}\`.`,
  ].join('\n');
}

export function asyncApiDocument(): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {
    CloudEventEnvelope: { $id: ENVELOPE_SCHEMA_ID, ...plainSchema(EnvelopeSchema) },
  };
  const messages: Record<string, unknown> = {};

  const kafkaHeaders = {
    type: 'object',
    properties: { 'content-type': { type: 'string', const: CLOUDEVENTS_CONTENT_TYPE } },
    required: ['content-type'],
  };

  for (const topic of ALL_TOPICS) {
    const definition = EVENT_CATALOG[topic];
    const name = pascalName(topic);
    const dataName = `${name}Data`;
    const dlq = dlqTopic(topic);
    const topicKey = TOPIC_KEYS[topic];

    schemas[dataName] = { $id: definition.dataschema, ...plainSchema(eventDataSchemas[topic]) };

    messages[name] = {
      name: topic,
      title: `${topic} (v${definition.version})`,
      summary: definition.summary,
      contentType: CLOUDEVENTS_CONTENT_TYPE,
      headers: kafkaHeaders,
      payload: {
        allOf: [
          { $ref: '#/components/schemas/CloudEventEnvelope' },
          {
            type: 'object',
            properties: {
              type: { type: 'string', const: definition.type },
              dataschema: { type: 'string', const: definition.dataschema },
              data: { $ref: `#/components/schemas/${dataName}` },
            },
          },
        ],
      },
      correlationId: { $ref: '#/components/correlationIds/correlationid' },
      bindings: {
        kafka: {
          key: { type: 'string', description: `The ${definition.key} of the data (aggregate id).` },
          bindingVersion: '0.5.0',
        },
      },
      examples: [
        {
          name: `${topicKey}Example`,
          summary: `A valid ${topic} event.`,
          headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE },
          payload: sampleEvent(topic),
        },
      ],
      'x-producer': definition.producer,
      'x-consumers': [...definition.consumers],
      // the record value never exceeds x-max-bytes; x-largest-bytes is this topic's largest valid event
      'x-max-bytes': MAX_EVENT_BYTES,
      'x-largest-bytes': largestEventBytes(topic),
    };

    channels[topic] = {
      address: topic,
      title: topic,
      summary: definition.summary,
      description: channelDescription(definition),
      messages: { [name]: { $ref: `#/components/messages/${name}` } },
      bindings: { kafka: { topic, bindingVersion: '0.5.0' } },
    };
    channels[dlq] = {
      address: dlq,
      title: dlq,
      summary: `Dead letters of ${topic}: records a consumer could not process.`,
      description:
        `Records of ${topic} that were not contract events (poison, dead-lettered at once) or whose handler kept failing ` +
        'after its retries. Key, value and headers are the original ones plus the x-dlq-* headers.',
      messages: { DeadLetter: { $ref: '#/components/messages/DeadLetter' } },
      bindings: { kafka: { topic: dlq, bindingVersion: '0.5.0' } },
    };

    operations[`send${capitalise(topicKey)}`] = {
      action: 'send',
      title: `Publish ${topic}`,
      summary: `The ${definition.producer} service publishes ${topic} (via its outbox; at-least-once).`,
      channel: { $ref: `#/channels/${topic}` },
      messages: [{ $ref: `#/channels/${topic}/messages/${name}` }],
      'x-producer': definition.producer,
      'x-consumers': [...definition.consumers],
    };
    operations[`deadLetter${capitalise(topicKey)}`] = {
      action: 'send',
      title: `Dead-letter ${topic}`,
      summary: `Consumers of ${topic} send records they cannot process to ${dlq}.`,
      channel: { $ref: `#/channels/${dlq}` },
      messages: [{ $ref: `#/channels/${dlq}/messages/DeadLetter` }],
    };
  }

  messages.DeadLetter = {
    name: 'dead-letter',
    title: 'Dead letter',
    summary: 'A record as it arrived on its topic (possibly not JSON at all), with the failure attached.',
    headers: {
      type: 'object',
      properties: {
        [DLQ_HEADER_NAMES.error]: { type: 'string', description: 'Error message (truncated).' },
        [DLQ_HEADER_NAMES.errorName]: { type: 'string', description: 'Error class, e.g. ContractViolationError.' },
        [DLQ_HEADER_NAMES.stack]: { type: 'string', description: 'Stack trace (truncated).' },
        [DLQ_HEADER_NAMES.originalTopic]: { type: 'string' },
        [DLQ_HEADER_NAMES.originalPartition]: { type: 'string' },
        [DLQ_HEADER_NAMES.originalOffset]: { type: 'string' },
        [DLQ_HEADER_NAMES.consumerGroup]: { type: 'string', description: 'The consumer group that gave up.' },
        [DLQ_HEADER_NAMES.attempts]: { type: 'string', description: 'Handler attempts; 0 = poison, never handled.' },
        [DLQ_HEADER_NAMES.failedAt]: { type: 'string', format: 'date-time' },
      },
      required: [DLQ_HEADER_NAMES.originalTopic, DLQ_HEADER_NAMES.error],
    },
    payload: { description: 'The original record value, unchanged.' },
  };

  return {
    asyncapi: '3.0.0',
    id: 'urn:foodxchange:events',
    info: {
      title: 'FoodXchange events',
      version: CONTRACT_VERSION,
      description: [
        'Every state change of the FoodXchange platform that other services or partner systems act on, as Kafka topics.',
        '',
        `- One topic per event type, \`<aggregate>.<past-tense-verb>\`, keyed by the aggregate id (= CloudEvents \`subject\`).`,
        `- Value: CloudEvents 1.0 structured JSON, header \`content-type: ${CLOUDEVENTS_CONTENT_TYPE}\`,`,
        `  with the required extension \`${CORRELATION_ID_EXTENSION}\`.`,
        '- `type` is `com.foodxchange.<topic>`; `dataschema` is `urn:foodxchange:events:<topic>:v<N>` and names the JSON Schema of `data`.',
        '- Money is integer minor units (`...Minor`) with an ISO 4217 `currency`; countries ISO 3166-1 alpha-2; instants RFC 3339.',
        '- Delivery is at-least-once: deduplicate on the event `id`. Tolerate fields you do not know.',
        '- Records a consumer cannot process go to `<topic>.dlq`.',
        `- Size: no record value (the whole CloudEvents JSON) exceeds ${MAX_EVENT_BYTES} bytes (\`x-max-event-bytes\`); every array and string of`,
        '  the data has a bound, lists that can grow without limit (compliance findings) carry the first ones and a count.',
        '  Each message states its largest valid size as `x-largest-bytes`.',
      ].join('\n'),
      'x-max-event-bytes': MAX_EVENT_BYTES,
    },
    defaultContentType: CLOUDEVENTS_CONTENT_TYPE,
    servers: {
      kafka: {
        host: '{brokers}',
        protocol: 'kafka',
        description: 'The platform Kafka cluster (given to each partner at onboarding).',
        variables: { brokers: { default: '127.0.0.1:9092', description: 'Comma-separated bootstrap brokers.' } },
      },
    },
    channels,
    operations,
    components: {
      schemas,
      messages,
      correlationIds: {
        correlationid: {
          description: 'Ties every event caused by one request or saga together.',
          location: `$message.payload#/${CORRELATION_ID_EXTENSION}`,
        },
      },
    },
  };
}
