import { Type, type Static } from '@sinclair/typebox';
import { IdSchema } from '@foodxchange/contracts';
import { Envelope, MetadataSchema, PageQuerySchema, PaginationSchema } from '@foodxchange/service-kit';
import { NOTIFICATION_TYPES, SUBJECT_TYPES } from './plan.js';

export const NotificationTypeSchema = Type.Union(
  NOTIFICATION_TYPES.map((type) => Type.Literal(type)),
  { description: 'What happened: welcome, rfq.matched, quote.submitted, rfq.awarded (you won), rfq.lost (another quote won), rfq.cancelled (to the matched suppliers), order.*, company.verified, user.suspended, user.unsuspended' },
);

export const NotificationSchema = Type.Object({
  id: Type.String(),
  type: NotificationTypeSchema,
  title: Type.String(),
  body: Type.String(),
  link: Type.String({ description: 'The resource it is about, as an API path (e.g. /api/v1/orders/<id>)' }),
  subject: Type.Object({ type: Type.Union(SUBJECT_TYPES.map((type) => Type.Literal(type))), id: Type.String() }),
  read: Type.Boolean(),
  readAt: Type.Optional(Type.String({ format: 'date-time' })),
  createdAt: Type.String({ format: 'date-time' }),
});
export type NotificationView = Static<typeof NotificationSchema>;

export const NotificationListQuerySchema = Type.Object(
  {
    ...PageQuerySchema.properties,
    unread: Type.Optional(Type.Boolean({ description: 'true: only unread notifications; false: only read ones' })),
  },
  { additionalProperties: false },
);
export type NotificationListQuery = Static<typeof NotificationListQuerySchema>;

export const NotificationParamsSchema = Type.Object({ id: IdSchema }, { additionalProperties: false });

/** No body is expected; an empty JSON object is accepted too. */
export const EmptyBodySchema = Type.Object({}, { additionalProperties: false, description: 'No body (or an empty JSON object)' });

export const NotificationListEnvelope = Type.Object({
  success: Type.Literal(true),
  data: Type.Array(NotificationSchema),
  metadata: MetadataSchema,
  pagination: PaginationSchema,
  unreadCount: Type.Integer({ minimum: 0, description: "The caller's unread notifications in all (whatever the filter and page)" }),
});

export const NotificationEnvelope = Envelope(NotificationSchema);

export const ReadAllEnvelope = Envelope(
  Type.Object({
    updated: Type.Integer({ minimum: 0, description: 'How many notifications this call marked read' }),
    unreadCount: Type.Integer({ minimum: 0 }),
  }),
);
