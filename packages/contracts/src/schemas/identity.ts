/** `user.*` and `company.*` event data (produced by auth, user and admin). */
import { Type, type Static } from '@sinclair/typebox';
import {
  Certification,
  CompanyType,
  CONTRACT_LIMITS,
  CountryCode,
  DateTime,
  Id,
  MarketCode,
  RoleSchema,
  StringEnum,
} from './common.js';

const Email = Type.String({ format: 'email', maxLength: 320 });
const CompanyName = Type.String({ minLength: 1, maxLength: 200 });

/**
 * `user.registered`: a user account exists. Carries the company the user registered with so the
 * user service can create the profile and the company without calling auth back. Platform
 * admins created at start-up have no company.
 */
export const UserRegisteredData = Type.Object(
  {
    userId: Id,
    email: Email,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    role: RoleSchema,
    companyId: Type.Optional(Id),
    company: Type.Optional(
      Type.Object({
        name: CompanyName,
        country: CountryCode,
        type: Type.Optional(CompanyType),
      }),
    ),
    registeredAt: Type.Optional(DateTime),
  },
  {
    title: 'user.registered data',
    description: 'A user registered. Buyers and suppliers always carry companyId and company; platform admins have none.',
    // buyers and suppliers act for a company: require it for them
    if: { properties: { role: { enum: ['buyer', 'supplier'] } }, required: ['role'] },
    then: { required: ['companyId', 'company'] },
  },
);
export type UserRegisteredData = Static<typeof UserRegisteredData>;

export const LOGIN_METHODS = ['password', 'refresh', 'api_key'] as const;

/** `user.logged-in`: a successful login (audit, last-seen, security analytics). */
export const UserLoggedInData = Type.Object(
  {
    userId: Id,
    email: Email,
    role: RoleSchema,
    companyId: Type.Optional(Id),
    method: Type.Optional(StringEnum(LOGIN_METHODS, { description: 'How the user authenticated.' })),
    ip: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Client address (personal data: keep only as long as needed).' })),
    userAgent: Type.Optional(Type.String({ maxLength: 1000 })),
    loggedInAt: Type.Optional(DateTime),
  },
  { title: 'user.logged-in data', description: 'A user logged in.' },
);
export type UserLoggedInData = Static<typeof UserLoggedInData>;

/** `user.suspended`: an admin suspended a user; auth revokes sessions, the user is told. */
export const UserSuspendedData = Type.Object(
  {
    userId: Id,
    email: Type.Optional(Email),
    companyId: Type.Optional(Id),
    reason: Type.String({ minLength: 1, maxLength: 2000 }),
    suspendedBy: Id,
    suspendedAt: DateTime,
    until: Type.Optional(Type.Union([DateTime, Type.Null()], { description: 'End of the suspension; absent or null = until lifted.' })),
  },
  { title: 'user.suspended data', description: 'A user was suspended and may no longer sign in.' },
);
export type UserSuspendedData = Static<typeof UserSuspendedData>;

/** `user.unsuspended`: an admin lifted a suspension; the user may sign in again. */
export const UserUnsuspendedData = Type.Object(
  {
    userId: Id,
    email: Type.Optional(Email),
    companyId: Type.Optional(Id),
    reason: Type.String({ minLength: 1, maxLength: 2000 }),
    unsuspendedBy: Id,
    unsuspendedAt: DateTime,
  },
  { title: 'user.unsuspended data', description: 'A suspension was lifted: the user may sign in again.' },
);
export type UserUnsuspendedData = Static<typeof UserUnsuspendedData>;

/**
 * The user service's company document version after the change an event reports: 1 at creation,
 * +1 per accepted change (profile edit, member joining, certificate, verification). Read copies
 * apply an event only when it is newer than what they hold, so redelivered or reordered events
 * cannot roll a copy back.
 */
const CompanyVersion = Type.Integer({ minimum: 1, description: 'Company document version after this change (1 at creation, +1 per change).' });

/** Bounds of a company's profile lists (the user service's PATCH /companies/:id accepts no more). */
export const COMPANY_PROFILE_LIMITS = { marketsServed: 20, categories: 50, categoryLength: 64 } as const;

const MarketsServed = Type.Array(MarketCode, {
  maxItems: COMPANY_PROFILE_LIMITS.marketsServed,
  uniqueItems: true,
  description: 'Markets (EU, UK, US, INTL) or countries the company sells into or buys for.',
});
const CompanyCategories = Type.Array(Type.String({ minLength: 1, maxLength: COMPANY_PROFILE_LIMITS.categoryLength }), {
  maxItems: COMPANY_PROFILE_LIMITS.categories,
  uniqueItems: true,
  description: 'Product categories the company deals in.',
});

/** A certificate as the company events carry it: always with its id (the user service's uuid). */
export const HeldCertification = Type.Object({ ...Certification.properties, id: Id }, {
  description: 'A certificate a company holds, with its id. It counts only from validFrom to validUntil inclusive (a date means that whole UTC day).',
});
export type HeldCertification = Static<typeof HeldCertification>;

const CertificationList = Type.Array(HeldCertification, {
  maxItems: CONTRACT_LIMITS.certificates,
  description: 'All certificates the company holds after this change (expired and not yet valid ones included: check the dates).',
});

/** `company.created`: a company exists (read copies in catalog, rfq, order, compliance, admin). */
export const CompanyCreatedData = Type.Object(
  {
    companyId: Id,
    name: CompanyName,
    country: CountryCode,
    type: CompanyType,
    verified: Type.Boolean(),
    createdByUserId: Type.Optional(Id),
    marketsServed: Type.Optional(MarketsServed),
    categories: Type.Optional(CompanyCategories),
    certifications: Type.Optional(CertificationList),
    version: Type.Optional(CompanyVersion),
    createdAt: Type.Optional(DateTime),
  },
  { title: 'company.created data', description: 'A buyer or supplier company was created.' },
);
export type CompanyCreatedData = Static<typeof CompanyCreatedData>;

/**
 * `company.updated`: a member or an admin edited the company's profile. Carries the profile after
 * the change (replace your copy when `version` is newer than yours).
 */
export const CompanyUpdatedData = Type.Object(
  {
    companyId: Id,
    name: CompanyName,
    country: CountryCode,
    type: CompanyType,
    marketsServed: MarketsServed,
    categories: CompanyCategories,
    version: CompanyVersion,
    updatedAt: DateTime,
  },
  { title: 'company.updated data', description: "A company's profile was edited (the profile after the change)." },
);
export type CompanyUpdatedData = Static<typeof CompanyUpdatedData>;

/** `company.verified`: an admin verified a company (matching ranks verified suppliers higher). */
export const CompanyVerifiedData = Type.Object(
  {
    companyId: Id,
    name: CompanyName,
    type: Type.Optional(CompanyType),
    country: Type.Optional(CountryCode),
    verified: Type.Optional(Type.Literal(true)),
    verifiedBy: Id,
    verifiedAt: DateTime,
    note: Type.Optional(Type.String({ maxLength: 2000 })),
    version: Type.Optional(CompanyVersion),
  },
  { title: 'company.verified data', description: 'A company was verified by a platform admin.' },
);
export type CompanyVerifiedData = Static<typeof CompanyVerifiedData>;

/**
 * `company.certification-added`: a certificate was added. `certifications` is the company's
 * whole list after the change, so a read copy can be replaced rather than patched.
 */
export const CompanyCertificationAddedData = Type.Object(
  {
    companyId: Id,
    companyName: Type.Optional(CompanyName),
    certification: HeldCertification,
    certifications: CertificationList,
    addedBy: Type.Optional(Id),
    addedAt: Type.Optional(DateTime),
    version: Type.Optional(CompanyVersion),
  },
  { title: 'company.certification-added data', description: 'A certificate was added to a company.' },
);
export type CompanyCertificationAddedData = Static<typeof CompanyCertificationAddedData>;

/**
 * `company.certification-withdrawn`: a certificate was withdrawn by the company (or an admin).
 * `certifications` is the company's whole list after the change, as for `certification-added`.
 */
export const CompanyCertificationWithdrawnData = Type.Object(
  {
    companyId: Id,
    companyName: Type.Optional(CompanyName),
    certificationId: Id,
    certification: Type.Optional(HeldCertification),
    certifications: CertificationList,
    withdrawnBy: Type.Optional(Id),
    withdrawnAt: Type.Optional(DateTime),
    version: Type.Optional(CompanyVersion),
  },
  { title: 'company.certification-withdrawn data', description: 'A certificate was withdrawn from a company.' },
);
export type CompanyCertificationWithdrawnData = Static<typeof CompanyCertificationWithdrawnData>;
