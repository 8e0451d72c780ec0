import { Type, type Static } from '@sinclair/typebox';
import { IdSchema, RoleSchema } from '@foodxchange/contracts';
import { Envelope, PagedEnvelope, PageQuerySchema } from '@foodxchange/service-kit';
import { Clearable, PhoneSchema, SingleLine } from '../shared/text.js';
import { CompanySummarySchema } from '../companies/schemas.js';
import { USER_STATUSES } from './model.js';

export const LocaleSchema = Type.String({
  maxLength: 35,
  pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$',
  description: 'BCP 47 language tag, e.g. en, de-DE, pt-BR',
});

export const UpdateMeBodySchema = Type.Object(
  {
    name: Type.Optional(SingleLine(200, 'Full name')),
    phone: Type.Optional(Clearable(PhoneSchema)),
    jobTitle: Type.Optional(Clearable(SingleLine(100, 'Job title'))),
    locale: Type.Optional(Clearable(LocaleSchema)),
  },
  { additionalProperties: false, minProperties: 1, description: 'The fields to change (at least one); the others stay as they are' },
);
export type UpdateMeBody = Static<typeof UpdateMeBodySchema>;

export const UserParamsSchema = Type.Object({ id: IdSchema }, { additionalProperties: false });

const StatusSchema = Type.Union(
  USER_STATUSES.map((status) => Type.Literal(status)),
  { description: 'suspended: an admin suspended the account (user.suspended); active otherwise' },
);

export const UserProfileSchema = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  companyId: Type.Optional(Type.String()),
  phone: Type.Optional(Type.String()),
  jobTitle: Type.Optional(Type.String()),
  locale: Type.Optional(Type.String()),
  status: StatusSchema,
  statusChangedAt: Type.Optional(Type.String({ format: 'date-time' })),
  registeredAt: Type.Optional(Type.String({ format: 'date-time' })),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  company: Type.Optional(CompanySummarySchema),
});
export type UserProfileView = Static<typeof UserProfileSchema>;

/** What platform admins see of a user: the profile plus the suspension's details. */
export const AdminUserSchema = Type.Object({
  ...UserProfileSchema.properties,
  suspension: Type.Optional(
    Type.Object({
      reason: Type.String(),
      suspendedBy: Type.String(),
      suspendedAt: Type.String({ format: 'date-time' }),
      until: Type.Optional(Type.String({ format: 'date-time' })),
    }),
  ),
});
export type AdminUserView = Static<typeof AdminUserSchema>;

export const UserProfileEnvelope = Envelope(UserProfileSchema);
export const AdminUserEnvelope = Envelope(AdminUserSchema);

/** GET /users (platform admins): find people by e-mail or name, role, company and status. */
export const UserListQuerySchema = Type.Object(
  {
    ...PageQuerySchema.properties,
    // Offset paging is a scan on FerretDB 1.x: keep deep pages bounded.
    page: Type.Integer({ minimum: 1, maximum: 500, default: 1 }),
    q: Type.Optional(SingleLine(200, 'Part of the e-mail address or name (case-insensitive)')),
    role: Type.Optional(RoleSchema),
    companyId: Type.Optional(IdSchema),
    status: Type.Optional(StatusSchema),
  },
  { additionalProperties: false, description: 'Filters combine with AND; newest users first' },
);
export type UserListQuery = Static<typeof UserListQuerySchema>;
export const AdminUserListEnvelope = PagedEnvelope(AdminUserSchema);
