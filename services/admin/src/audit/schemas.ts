import { Type, type Static } from '@sinclair/typebox';
import { ALL_TOPICS } from '@foodxchange/contracts';
import { Envelope, PagedEnvelope, PageQuerySchema } from '@foodxchange/service-kit';

export const TopicSchema = Type.Unsafe<string>({ type: 'string', enum: [...ALL_TOPICS], description: 'A contract topic' });

export const AuditEventSchema = Type.Object({
  id: Type.String({ description: 'CloudEvents id' }),
  type: Type.String(),
  topic: Type.String(),
  source: Type.String(),
  subject: Type.String(),
  correlationId: Type.String(),
  time: Type.String({ format: 'date-time' }),
  dataschema: Type.String(),
  data: Type.Unknown({ description: 'The event data as published' }),
  companyIds: Type.Array(Type.String(), { description: 'The companies the event concerns (what the companyId filter matches)' }),
  partition: Type.Integer(),
  offset: Type.String(),
  recordedAt: Type.String({ format: 'date-time' }),
});
export type AuditEventView = Static<typeof AuditEventSchema>;

export const AuditQuerySchema = Type.Object(
  {
    ...PageQuerySchema.properties,
    // Offset paging is a scan on FerretDB 1.x: keep deep pages bounded.
    page: Type.Integer({ minimum: 1, maximum: 500, default: 1 }),
    topic: Type.Optional(TopicSchema),
    type: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    source: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    correlationId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    companyId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$',
        description: 'Events concerning this company: its own, or as buyer, supplier, matched supplier or rejected bidder',
      }),
    ),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Event time at or after (inclusive)' })),
    to: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'Event time before (exclusive). With `from`, must be later than `from`: an empty range is a 400 on `querystring.to`.',
      }),
    ),
  },
  {
    additionalProperties: false,
    // JSON Schema cannot compare two fields, so the rule the handler enforces is stated here,
    // where generated clients and the OpenAPI document carry it.
    description: 'Filters combine with AND. The time range is [from, to): when both are given, `to` must be later than `from` (equal or earlier is refused).',
  },
);
export type AuditQuery = Static<typeof AuditQuerySchema>;

export const AuditParamsSchema = Type.Object(
  { eventId: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

export const AuditEventEnvelope = Envelope(AuditEventSchema);
export const AuditEventListEnvelope = PagedEnvelope(AuditEventSchema);
