import { Type, type Static } from '@sinclair/typebox';
import { CompanyTypeSchema, CountryCodeSchema, IdSchema, MarketCodeSchema, RoleSchema } from '@foodxchange/contracts';
import { Envelope, PagedEnvelope, PageQuerySchema } from '@foodxchange/service-kit';
import { Clearable, MultiLine, PhoneSchema, SingleLine, WebsiteSchema } from '../shared/text.js';
import { USER_STATUSES } from '../users/model.js';
import { CertificationViewSchema } from '../certifications/schemas.js';

/** Bounds of a company's lists: a company serves a handful of markets and categories. */
export const COMPANY_LIMITS = { marketsServed: 20, categories: 50, description: 2000 } as const;

export const CompanyNameSchema = SingleLine(200, 'Company name');

export const AddressSchema = Type.Object(
  {
    line1: SingleLine(200),
    line2: Type.Optional(SingleLine(200)),
    city: SingleLine(100),
    postalCode: Type.Optional(SingleLine(20)),
    country: CountryCodeSchema,
  },
  { additionalProperties: false, description: 'Postal address (replaced as a whole)' },
);

const MarketsServedSchema = Type.Array(MarketCodeSchema, {
  maxItems: COMPANY_LIMITS.marketsServed,
  uniqueItems: true,
  description: 'Compliance markets the company sells into or buys for, e.g. EU, UK, US',
});
const CategoriesSchema = Type.Array(SingleLine(64, 'Product category'), {
  maxItems: COMPANY_LIMITS.categories,
  uniqueItems: true,
  description: 'Product categories the company deals in',
});

export const CompanyParamsSchema = Type.Object({ id: IdSchema }, { additionalProperties: false });

export const UpdateCompanyBodySchema = Type.Object(
  {
    name: Type.Optional(CompanyNameSchema),
    description: Type.Optional(Clearable(MultiLine(COMPANY_LIMITS.description, 'What the company does'))),
    address: Type.Optional(Clearable(AddressSchema)),
    website: Type.Optional(Clearable(WebsiteSchema)),
    phone: Type.Optional(Clearable(PhoneSchema)),
    marketsServed: Type.Optional(MarketsServedSchema),
    categories: Type.Optional(CategoriesSchema),
  },
  { additionalProperties: false, minProperties: 1, description: 'The fields to change (at least one); the others stay as they are' },
);
export type UpdateCompanyBody = Static<typeof UpdateCompanyBodySchema>;

/** What every signed-in user may see of any company. */
const PublicFields = {
  id: Type.String(),
  name: Type.String(),
  type: CompanyTypeSchema,
  country: Type.String(),
  verified: Type.Boolean(),
  description: Type.Optional(Type.String()),
  verifiedAt: Type.Optional(Type.String({ format: 'date-time', description: 'When a platform admin verified the company' })),
  marketsServed: Type.Array(Type.String()),
  categories: Type.Array(Type.String()),
  certifications: Type.Array(CertificationViewSchema, {
    description: "Members and admins: every certificate with its status; everyone else: only those valid today",
  }),
};

export const PublicCompanySchema = Type.Object(
  { view: Type.Literal('public', { description: 'The public profile: what any signed-in user sees' }), ...PublicFields },
  { title: 'PublicCompany' },
);
export type PublicCompanyView = Static<typeof PublicCompanySchema>;

export const CompanyMemberSchema = Type.Object({
  userId: Type.String(),
  role: RoleSchema,
  name: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()),
  joinedAt: Type.String({ format: 'date-time' }),
  status: Type.Optional(Type.Union(USER_STATUSES.map((status) => Type.Literal(status)), { description: 'Shown to platform admins' })),
});

export const FullCompanySchema = Type.Object(
  {
    view: Type.Literal('full', { description: "The whole company: for its members and platform admins" }),
    ...PublicFields,
    address: Type.Optional(Type.Object({
      line1: Type.String(),
      line2: Type.Optional(Type.String()),
      city: Type.String(),
      postalCode: Type.Optional(Type.String()),
      country: Type.String(),
    })),
    website: Type.Optional(Type.String()),
    phone: Type.Optional(Type.String()),
    members: Type.Array(CompanyMemberSchema),
    verification: Type.Object({
      verified: Type.Boolean(),
      verifiedAt: Type.Optional(Type.String({ format: 'date-time' })),
      verifiedBy: Type.Optional(Type.String()),
      note: Type.Optional(Type.String()),
    }),
    createdByUserId: Type.Optional(Type.String()),
    version: Type.Integer({ minimum: 1, description: 'Incremented by every accepted edit' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { title: 'Company' },
);
export type FullCompanyView = Static<typeof FullCompanySchema>;

export const VerifyCompanyBodySchema = Type.Object(
  { note: Type.Optional(MultiLine(2000, 'What was checked (registry extract, VAT number …)')) },
  { additionalProperties: false, description: 'Optional; an empty body verifies without a note' },
);
export type VerifyCompanyBody = Static<typeof VerifyCompanyBodySchema>;

/** Summary of the caller's company in GET /users/me. */
export const CompanySummarySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: CompanyTypeSchema,
  country: Type.String(),
  verified: Type.Boolean(),
});
export type CompanySummary = Static<typeof CompanySummarySchema>;

// `view` tells the two apart for clients and for the serializer (which picks the branch that matches).
export const CompanyEnvelope = Envelope(Type.Union([FullCompanySchema, PublicCompanySchema]));
export const FullCompanyEnvelope = Envelope(FullCompanySchema);

/** GET /companies (platform admins): the companies to look after, e.g. those still to verify. */
export const CompanyListQuerySchema = Type.Object(
  {
    ...PageQuerySchema.properties,
    // Offset paging is a scan on FerretDB 1.x: keep deep pages bounded.
    page: Type.Integer({ minimum: 1, maximum: 500, default: 1 }),
    verified: Type.Optional(Type.Boolean({ description: 'true: verified companies only; false: those still to verify' })),
    type: Type.Optional(CompanyTypeSchema),
    q: Type.Optional(SingleLine(200, 'Part of the company name (case-insensitive)')),
  },
  { additionalProperties: false, description: 'Filters combine with AND; newest companies first' },
);
export type CompanyListQuery = Static<typeof CompanyListQuerySchema>;

export const CompanyListItemSchema = Type.Object(
  {
    ...CompanySummarySchema.properties,
    verifiedAt: Type.Optional(Type.String({ format: 'date-time' })),
    verifiedBy: Type.Optional(Type.String()),
    marketsServed: Type.Array(Type.String()),
    memberCount: Type.Integer({ minimum: 0 }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { title: 'CompanyListItem' },
);
export type CompanyListItem = Static<typeof CompanyListItemSchema>;
export const CompanyListEnvelope = PagedEnvelope(CompanyListItemSchema);
