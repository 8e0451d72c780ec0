import { Type, type Static } from '@sinclair/typebox';
import { Envelope } from '@foodxchange/service-kit';
import { USER_STATUSES } from './model.js';

export const UserParamsSchema = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' }) },
  { additionalProperties: false },
);

export const StatusChangeBodySchema = Type.Object(
  { reason: Type.String({ minLength: 3, maxLength: 2000, description: 'Why: kept with the user and sent in the event' }) },
  { additionalProperties: false },
);
export type StatusChangeBody = Static<typeof StatusChangeBodySchema>;

export const AdminUserSchema = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: Type.String(),
  companyId: Type.Optional(Type.String()),
  registeredAt: Type.String({ format: 'date-time' }),
  status: Type.Union(USER_STATUSES.map((status) => Type.Literal(status))),
  statusChange: Type.Optional(Type.Object({ reason: Type.String(), by: Type.String(), at: Type.String({ format: 'date-time' }) })),
  version: Type.Integer({ minimum: 1 }),
});

export const AdminUserEnvelope = Envelope(AdminUserSchema);
