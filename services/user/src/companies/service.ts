import { NotFoundError, isDuplicateKeyError, stageEvent, type AggregateLocks, type EventContext } from '@foodxchange/service-kit';
import { TOPICS, type CompanyType, type Role } from '@foodxchange/contracts';
import type { UserProfileDoc, UserProfileModel } from '../users/model.js';
import { visibleCertifications } from '../certifications/views.js';
import { companyCreatedData, companyUpdatedData, companyVerifiedData } from './events.js';
import type { CompanyDoc, CompanyModel } from './model.js';
import { containsFilter } from '../shared/search.js';
import type { CompanyListItem, CompanyListQuery, CompanySummary, FullCompanyView, PublicCompanyView, UpdateCompanyBody, VerifyCompanyBody } from './schemas.js';

export const companyLockKey = (companyId: string) => `company:${companyId}`;

export interface CompanyDeps {
  companies: CompanyModel;
  profiles: UserProfileModel;
  locks: AggregateLocks;
}

/**
 * The profile every signed-in user may see. `insider` (members, admins): every certificate with
 * its status; anyone else only the certificates valid now.
 */
export function toPublicView(doc: CompanyDoc, insider = false, at = new Date()): PublicCompanyView {
  return {
    view: 'public',
    id: doc._id,
    name: doc.name,
    type: doc.type,
    country: doc.country,
    verified: doc.verified,
    ...(doc.verified && doc.verifiedAt ? { verifiedAt: doc.verifiedAt.toISOString() } : {}),
    ...(doc.description ? { description: doc.description } : {}),
    marketsServed: [...(doc.marketsServed ?? [])],
    categories: [...(doc.categories ?? [])],
    certifications: visibleCertifications(doc, at, insider),
  };
}

export function toSummary(doc: CompanyDoc): CompanySummary {
  return { id: doc._id, name: doc.name, type: doc.type, country: doc.country, verified: doc.verified };
}

/**
 * The whole company. Members' names and e-mails come from their profiles (a separate query: no
 * joins); their account status only for platform admins.
 */
async function toFullView(doc: CompanyDoc, profiles: UserProfileModel, withStatus: boolean): Promise<FullCompanyView> {
  const memberIds = doc.members.map((member) => member.userId);
  const found = memberIds.length
    ? await profiles.find({ _id: { $in: memberIds } }).select({ name: 1, email: 1, status: 1, registered: 1 }).lean<UserProfileDoc[]>()
    : [];
  const byId = new Map(found.map((profile) => [profile._id, profile]));
  const { view: _public, ...publicFields } = toPublicView(doc, true);
  const address = doc.address
    ? {
        line1: doc.address.line1,
        ...(doc.address.line2 ? { line2: doc.address.line2 } : {}),
        city: doc.address.city,
        ...(doc.address.postalCode ? { postalCode: doc.address.postalCode } : {}),
        country: doc.address.country,
      }
    : undefined;
  return {
    view: 'full',
    ...publicFields,
    ...(address ? { address } : {}),
    ...(doc.website ? { website: doc.website } : {}),
    ...(doc.phone ? { phone: doc.phone } : {}),
    members: doc.members.map((member) => {
      const profile = byId.get(member.userId);
      return {
        userId: member.userId,
        role: member.role,
        ...(profile?.name ? { name: profile.name } : {}),
        ...(profile?.email ? { email: profile.email } : {}),
        joinedAt: member.joinedAt.toISOString(),
        ...(withStatus && profile ? { status: profile.status } : {}),
      };
    }),
    verification: {
      verified: doc.verified,
      ...(doc.verifiedAt ? { verifiedAt: doc.verifiedAt.toISOString() } : {}),
      ...(doc.verifiedBy ? { verifiedBy: doc.verifiedBy } : {}),
      ...(doc.verificationNote ? { note: doc.verificationNote } : {}),
    },
    ...(doc.createdByUserId ? { createdByUserId: doc.createdByUserId } : {}),
    version: doc.version,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  };
}

/** Who reads a company: its members and platform admins see everything, others the public profile. */
export interface CompanyReader {
  full: boolean;
  admin: boolean;
}

export async function getCompany(deps: Pick<CompanyDeps, 'companies' | 'profiles'>, id: string, reader: CompanyReader): Promise<FullCompanyView | PublicCompanyView> {
  const doc = await deps.companies.findById(id).select({ outbox: 0 }).lean<CompanyDoc>();
  if (!doc) throw new NotFoundError(`Company ${id}`);
  return reader.full ? toFullView(doc, deps.profiles, reader.admin) : toPublicView(doc);
}

export async function findCompanySummary(companies: CompanyModel, id: string): Promise<CompanySummary | undefined> {
  const doc = await companies.findById(id).select({ name: 1, type: 1, country: 1, verified: 1 }).lean<CompanyDoc>();
  return doc ? toSummary(doc) : undefined;
}

/** Company type of a registration: the one the event names, else the registering user's role. */
export function companyTypeFor(role: Role, stated: CompanyType | undefined): CompanyType {
  if (stated) return stated;
  return role === 'supplier' ? 'supplier' : 'buyer';
}

export interface NewCompany {
  companyId: string;
  name: string;
  country: string;
  type: CompanyType;
  founder: { userId: string; role: Role };
  at: Date;
}

/**
 * Creates the company of a registration with its `company.created` event in one insert (the
 * outbox lives in the document). The insert keyed by the company id is the exactly-once guard:
 * a redelivery or a second replica gets 11000, publishes nothing and only makes sure the user
 * is a member. Returns whether this call created it (and so staged the event).
 */
export async function createCompany(deps: CompanyDeps, input: NewCompany, context: EventContext): Promise<boolean> {
  const doc = new deps.companies({
    _id: input.companyId,
    name: input.name,
    type: input.type,
    country: input.country,
    verified: false,
    marketsServed: [],
    categories: [],
    members: [{ userId: input.founder.userId, role: input.founder.role, joinedAt: input.at }],
    certifications: [],
    createdByUserId: input.founder.userId,
    version: 1,
    createdAt: input.at,
    updatedAt: input.at,
  });
  stageEvent(doc, TOPICS.companyCreated, doc._id, companyCreatedData(doc), context);
  try {
    await doc.save();
    return true;
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
  await ensureMember(deps, input.companyId, input.founder, input.at);
  return false;
}

/** Adds the user to the company's members unless already there (load → modify → save under the lock). */
async function ensureMember(deps: CompanyDeps, companyId: string, member: { userId: string; role: Role }, at: Date): Promise<void> {
  const present = await deps.companies.exists({ _id: companyId, 'members.userId': member.userId });
  if (present) return;
  await deps.locks.withLock(companyLockKey(companyId), async (lock) => {
    const doc = await deps.companies.findById(companyId);
    if (!doc || doc.members.some((existing) => existing.userId === member.userId)) return;
    doc.members = [...doc.members, { userId: member.userId, role: member.role, joinedAt: at }];
    doc.version += 1;
    doc.updatedAt = new Date();
    await lock.save(doc);
  });
}

/**
 * Applies a member's (or an admin's) edit. Load → modify → save under the company's lock, so
 * concurrent edits of different fields all land (FerretDB keeps only one of two concurrent
 * updates of a document); `null` removes an optional field. The profile after the change leaves
 * as `company.updated` through the document's outbox, in the same save.
 */
export async function updateCompany(
  deps: CompanyDeps,
  id: string,
  body: UpdateCompanyBody,
  reader: CompanyReader,
  context: EventContext,
): Promise<FullCompanyView> {
  const saved = await deps.locks.withLock(companyLockKey(id), async (lock) => {
    const doc = await deps.companies.findById(id);
    if (!doc) throw new NotFoundError(`Company ${id}`);
    if (body.name !== undefined) doc.name = body.name;
    if (body.marketsServed !== undefined) doc.marketsServed = body.marketsServed;
    if (body.categories !== undefined) doc.categories = body.categories;
    for (const field of ['description', 'website', 'phone'] as const) {
      const value = body[field];
      if (value === undefined) continue;
      doc.set(field, value === null || value === '' ? undefined : value);
    }
    if (body.address !== undefined) doc.set('address', body.address ?? undefined);
    doc.version += 1;
    doc.updatedAt = new Date();
    stageEvent(doc, TOPICS.companyUpdated, doc._id, companyUpdatedData(doc.toObject() as CompanyDoc), context);
    await lock.save(doc);
    return doc.toObject() as CompanyDoc;
  });
  return toFullView(saved, deps.profiles, reader.admin);
}

/**
 * An admin verifies a company: marks it verified with who, when and the note, and stages
 * `company.verified` in the same save. Idempotent: verifying a verified company changes nothing
 * and publishes nothing (the first verification stands). Returns whether this call verified it.
 */
export async function verifyCompany(
  deps: CompanyDeps,
  id: string,
  body: VerifyCompanyBody,
  admin: { userId: string },
  context: EventContext,
): Promise<{ company: FullCompanyView; verifiedNow: boolean }> {
  const { saved, verifiedNow } = await deps.locks.withLock(companyLockKey(id), async (lock) => {
    const doc = await deps.companies.findById(id);
    if (!doc) throw new NotFoundError(`Company ${id}`);
    if (doc.verified) return { saved: doc.toObject() as CompanyDoc, verifiedNow: false };
    const now = new Date();
    doc.verified = true;
    doc.verifiedAt = now;
    doc.verifiedBy = admin.userId;
    const note = body.note?.trim();
    doc.set('verificationNote', note ? note : undefined);
    doc.version += 1;
    doc.updatedAt = now;
    stageEvent(doc, TOPICS.companyVerified, doc._id, companyVerifiedData(doc.toObject() as CompanyDoc), context);
    await lock.save(doc);
    return { saved: doc.toObject() as CompanyDoc, verifiedNow: true };
  });
  return { company: await toFullView(saved, deps.profiles, true), verifiedNow };
}

function toListItem(doc: CompanyDoc): CompanyListItem {
  return {
    ...toSummary(doc),
    ...(doc.verifiedAt ? { verifiedAt: doc.verifiedAt.toISOString() } : {}),
    ...(doc.verifiedBy ? { verifiedBy: doc.verifiedBy } : {}),
    marketsServed: [...(doc.marketsServed ?? [])],
    memberCount: doc.members?.length ?? 0,
    createdAt: doc.createdAt.toISOString(),
  };
}

/** The companies platform admins look after, newest first, filtered by verification, type and name. */
export async function listCompanies(companies: CompanyModel, query: CompanyListQuery): Promise<{ items: CompanyListItem[]; total: number }> {
  const filter: Record<string, unknown> = {};
  if (query.verified !== undefined) filter.verified = query.verified;
  if (query.type) filter.type = query.type;
  if (query.q) filter.name = containsFilter(query.q);
  const [docs, total] = await Promise.all([
    companies
      .find(filter)
      .select({ outbox: 0, certifications: 0 })
      .sort({ createdAt: -1, _id: -1 })
      .skip((query.page - 1) * query.limit)
      .limit(query.limit)
      .lean<CompanyDoc[]>(),
    companies.countDocuments(filter),
  ]);
  return { items: docs.map(toListItem), total };
}
