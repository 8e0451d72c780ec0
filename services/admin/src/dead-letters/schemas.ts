import { Type, type Static } from '@sinclair/typebox';
import { Envelope, PagedEnvelope, PageQuerySchema } from '@foodxchange/service-kit';
import { TopicSchema } from '../audit/schemas.js';
import { DEAD_LETTER_STATUSES } from './model.js';

export const DeadLetterSchema = Type.Object({
  id: Type.String({ description: '<dlq topic>:<partition>:<offset>' }),
  dlqTopic: Type.String(),
  dlqPartition: Type.Integer(),
  dlqOffset: Type.String(),
  originalTopic: Type.String(),
  originalPartition: Type.Optional(Type.Integer()),
  originalOffset: Type.Optional(Type.String()),
  consumerGroup: Type.Optional(Type.String({ description: 'The consumer group that gave up on it' })),
  attempts: Type.Optional(Type.Integer()),
  failedAt: Type.Optional(Type.String({ format: 'date-time' })),
  error: Type.Object({ message: Type.String(), name: Type.String(), stack: Type.Optional(Type.String()) }),
  key: Type.Union([Type.String(), Type.Null()], {
    description: 'The record key as text when it is UTF-8 without NUL bytes; null when absent or binary (see keyBase64)',
  }),
  keyBase64: Type.Union([Type.String({ contentEncoding: 'base64' }), Type.Null()], {
    description: 'The record key byte-exact, base64; null when the record had no key',
  }),
  value: Type.Union([Type.String(), Type.Null()], {
    description: 'The record value as text when it is UTF-8 without NUL bytes; null when absent or binary (see valueBase64)',
  }),
  valueBase64: Type.Union([Type.String({ contentEncoding: 'base64' }), Type.Null()], {
    description: 'The record value byte-exact, base64 (what a replay sends); null for a record without a value',
  }),
  headers: Type.Record(Type.String(), Type.String(), { description: 'The record headers without x-dlq-*' }),
  eventId: Type.Optional(Type.String()),
  eventType: Type.Optional(Type.String()),
  subject: Type.Optional(Type.String()),
  correlationId: Type.Optional(Type.String()),
  replayOf: Type.Optional(Type.String({ description: 'The dead letter whose replay failed again into this one' })),
  quarantinedBy: Type.Optional(
    Type.String({
      description:
        'A notice, not the record: this service\'s outbox relay quarantined the event (the broker refused it) and keeps it; replay it there with POST /ops/outbox/quarantine/{eventId}/replay',
    }),
  ),
  status: Type.Union(DEAD_LETTER_STATUSES.map((status) => Type.Literal(status))),
  replayCount: Type.Integer({ minimum: 0 }),
  lastReplayedAt: Type.Optional(Type.String({ format: 'date-time' })),
  replayInFlight: Type.Boolean({ description: 'The replay is staged but not yet handed to Kafka' }),
  recordedAt: Type.String({ format: 'date-time' }),
});
export type DeadLetterView = Static<typeof DeadLetterSchema>;

export const DeadLetterQuerySchema = Type.Object(
  {
    ...PageQuerySchema.properties,
    page: Type.Integer({ minimum: 1, maximum: 500, default: 1 }),
    topic: Type.Optional(TopicSchema),
    status: Type.Optional(Type.Union(DEAD_LETTER_STATUSES.map((status) => Type.Literal(status)))),
    eventId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type DeadLetterQuery = Static<typeof DeadLetterQuerySchema>;

export const DeadLetterParamsSchema = Type.Object(
  {
    id: Type.String({
      pattern: '^[A-Za-z0-9._-]{1,249}:[0-9]{1,9}:[0-9]{1,20}$',
      description: '<dlq topic>:<partition>:<offset>, e.g. order.created.dlq:0:42',
    }),
  },
  { additionalProperties: false },
);

export const DeadLetterEnvelope = Envelope(DeadLetterSchema);
export const DeadLetterListEnvelope = PagedEnvelope(DeadLetterSchema);

export const TopicReplayBodySchema = Type.Object(
  {
    topic: TopicSchema,
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 250,
        default: 100,
        description:
          'At most this many letters per call (about 20 ms each on the local server: 100 take 2 s, well inside the gateway timeout); call again while `remaining` > 0',
      }),
    ),
  },
  { additionalProperties: false },
);
export type TopicReplayBody = Static<typeof TopicReplayBodySchema>;

export const TopicReplaySchema = Type.Object({
  topic: Type.String(),
  replayed: Type.Array(Type.String(), { description: 'Dead letters this call replayed (staged in their outbox), oldest first' }),
  skipped: Type.Array(Type.Object({ id: Type.String(), reason: Type.String() }), {
    description: 'Pending letters not replayed: quarantine notices, records without a value, letters another request is replaying',
  }),
  remaining: Type.Integer({ minimum: 0, description: 'Replayable letters left beyond the limit: call again' }),
});

export const TopicReplayEnvelope = Envelope(TopicReplaySchema);
