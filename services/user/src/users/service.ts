import { NotFoundError, isDuplicateKeyError, type AggregateLocks } from '@foodxchange/service-kit';
import type { Role } from '@foodxchange/contracts';
import type { CompanyModel } from '../companies/model.js';
import { findCompanySummary, toSummary } from '../companies/service.js';
import { userLockKey, type UserProfileDoc, type UserProfileModel, type UserStatus } from './model.js';
import type { CompanyDoc } from '../companies/model.js';
import { containsFilter } from '../shared/search.js';
import type { AdminUserView, UpdateMeBody, UserListQuery, UserProfileView } from './schemas.js';

export interface UserDeps {
  profiles: UserProfileModel;
  companies: CompanyModel;
  locks: AggregateLocks;
}

/** The profile of a registered user as the API shows it (a placeholder has none yet). */
export function toProfileView(doc: UserProfileDoc): UserProfileView {
  return {
    id: doc._id,
    email: doc.email ?? '',
    name: doc.name ?? '',
    role: doc.role ?? 'buyer',
    ...(doc.companyId ? { companyId: doc.companyId } : {}),
    ...(doc.phone ? { phone: doc.phone } : {}),
    ...(doc.jobTitle ? { jobTitle: doc.jobTitle } : {}),
    ...(doc.locale ? { locale: doc.locale } : {}),
    status: doc.status,
    ...(doc.statusChangedAt ? { statusChangedAt: doc.statusChangedAt.toISOString() } : {}),
    ...(doc.registeredAt ? { registeredAt: doc.registeredAt.toISOString() } : {}),
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  };
}

/**
 * Not there yet: auth has registered the user, but the `user.registered` event has not been
 * consumed here yet (moments after sign-up). Clients retry shortly.
 */
class ProfileNotReadyError extends NotFoundError {
  constructor() {
    super('Profile');
    this.message = 'Your profile is not ready yet: it is created moments after registration, try again shortly';
  }
}

async function withCompany(deps: Pick<UserDeps, 'companies'>, view: UserProfileView): Promise<UserProfileView> {
  if (!view.companyId) return view;
  const company = await findCompanySummary(deps.companies, view.companyId);
  return company ? { ...view, company } : view;
}

/** The caller's own profile with their company's summary. */
export async function getMe(deps: Pick<UserDeps, 'profiles' | 'companies'>, userId: string): Promise<UserProfileView> {
  const doc = await deps.profiles.findById(userId).lean<UserProfileDoc>();
  if (!doc?.registered) throw new ProfileNotReadyError();
  return withCompany(deps, toProfileView(doc));
}

function withSuspension(view: AdminUserView, doc: UserProfileDoc): AdminUserView {
  if (doc.status === 'suspended' && doc.suspension) {
    view.suspension = {
      reason: doc.suspension.reason,
      suspendedBy: doc.suspension.by,
      suspendedAt: doc.suspension.at.toISOString(),
      ...(doc.suspension.until ? { until: doc.suspension.until.toISOString() } : {}),
    };
  }
  return view;
}

/** A user as platform admins see it: with the suspension's reason and author. */
export async function getUserForAdmin(deps: Pick<UserDeps, 'profiles' | 'companies'>, userId: string): Promise<AdminUserView> {
  const doc = await deps.profiles.findById(userId).lean<UserProfileDoc>();
  if (!doc?.registered) throw new NotFoundError(`User ${userId}`);
  return withSuspension(await withCompany(deps, toProfileView(doc)), doc);
}

/**
 * Registered users as platform admins see them, newest first. Their companies' summaries come
 * from one second query for the page's company ids (no joins).
 */
export async function listUsersForAdmin(deps: Pick<UserDeps, 'profiles' | 'companies'>, query: UserListQuery): Promise<{ items: AdminUserView[]; total: number }> {
  const filter: Record<string, unknown> = { registered: true };
  if (query.role) filter.role = query.role;
  if (query.companyId) filter.companyId = query.companyId;
  if (query.status) filter.status = query.status;
  if (query.q) filter.$or = [{ email: containsFilter(query.q) }, { name: containsFilter(query.q) }];
  const [docs, total] = await Promise.all([
    deps.profiles
      .find(filter)
      .sort({ createdAt: -1, _id: -1 })
      .skip((query.page - 1) * query.limit)
      .limit(query.limit)
      .lean<UserProfileDoc[]>(),
    deps.profiles.countDocuments(filter),
  ]);
  const companyIds = [...new Set(docs.flatMap((doc) => (doc.companyId ? [doc.companyId] : [])))];
  const companies = companyIds.length
    ? await deps.companies.find({ _id: { $in: companyIds } }).select({ name: 1, type: 1, country: 1, verified: 1 }).lean<CompanyDoc[]>()
    : [];
  const byId = new Map(companies.map((company) => [company._id, toSummary(company)]));
  const items = docs.map((doc) => {
    const view: AdminUserView = toProfileView(doc);
    const company = doc.companyId ? byId.get(doc.companyId) : undefined;
    return withSuspension(company ? { ...view, company } : view, doc);
  });
  return { items, total };
}

/** The owner's edit of their profile: load → modify → save under the profile's lock. */
export async function updateMe(deps: UserDeps, userId: string, body: UpdateMeBody): Promise<UserProfileView> {
  const saved = await deps.locks.withLock(userLockKey(userId), async (lock) => {
    const doc = await deps.profiles.findById(userId);
    if (!doc?.registered) throw new ProfileNotReadyError();
    if (body.name !== undefined) doc.name = body.name;
    for (const field of ['phone', 'jobTitle', 'locale'] as const) {
      const value = body[field];
      if (value !== undefined) doc.set(field, value ?? undefined);
    }
    doc.updatedAt = new Date();
    await lock.save(doc);
    return doc.toObject() as UserProfileDoc;
  });
  return withCompany(deps, toProfileView(saved));
}

export interface Registration {
  userId: string;
  email: string;
  name: string;
  role: Role;
  companyId?: string;
  registeredAt: Date;
}

/**
 * Creates the profile of a registered user. The insert keyed by the user id is the exactly-once
 * guard (a redelivery or a second replica gets 11000: done). A placeholder left by a suspension
 * event that arrived first is filled in under the profile's lock, keeping its status.
 */
export async function createProfile(deps: UserDeps, registration: Registration): Promise<void> {
  const now = new Date();
  const fields = {
    registered: true,
    email: registration.email,
    name: registration.name,
    role: registration.role,
    ...(registration.companyId ? { companyId: registration.companyId } : {}),
    registeredAt: registration.registeredAt,
  };
  try {
    await deps.profiles.create({ _id: registration.userId, ...fields, status: 'active', createdAt: now, updatedAt: now });
    return;
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
  const existing = await deps.profiles.findById(registration.userId).select({ registered: 1 }).lean<UserProfileDoc>();
  if (existing?.registered) return;
  await deps.locks.withLock(userLockKey(registration.userId), async (lock) => {
    const doc = await deps.profiles.findById(registration.userId);
    if (!doc || doc.registered) return;
    doc.set(fields);
    doc.updatedAt = new Date();
    await lock.save(doc);
  });
}

/** The placeholder was inserted by someone else meanwhile: the next attempt updates it instead. */
class ProfileRaceError extends Error {
  readonly retryable = true;
  constructor(userId: string) {
    super(`profile ${userId} was created concurrently; retrying`);
    this.name = 'ProfileRaceError';
  }
}

export interface StatusChange {
  userId: string;
  status: UserStatus;
  at: Date;
  suspension?: { reason: string; by: string; until?: Date };
}

/**
 * Applies `user.suspended` / `user.unsuspended`. The two travel on different topics, so they
 * can be consumed out of order: a change older than the one applied last is ignored (the newest
 * action of an admin wins). Under the profile's lock, like every edit of an existing profile.
 */
export async function applyStatus(deps: UserDeps, change: StatusChange): Promise<void> {
  await deps.locks.withLock(userLockKey(change.userId), async (lock) => {
    const doc = await deps.profiles.findById(change.userId);
    const suspension = change.suspension ? { ...change.suspension, at: change.at } : undefined;
    if (!doc) {
      const now = new Date();
      try {
        await deps.profiles.create({
          _id: change.userId,
          registered: false,
          status: change.status,
          statusChangedAt: change.at,
          ...(suspension ? { suspension } : {}),
          createdAt: now,
          updatedAt: now,
        });
      } catch (error) {
        if (isDuplicateKeyError(error)) throw new ProfileRaceError(change.userId);
        throw error;
      }
      return;
    }
    if (doc.statusChangedAt && doc.statusChangedAt.getTime() > change.at.getTime()) return;
    doc.status = change.status;
    doc.statusChangedAt = change.at;
    doc.set('suspension', suspension);
    doc.updatedAt = new Date();
    await lock.save(doc);
  });
}
