import type { AggregateLocks } from '@foodxchange/service-kit';
import type { CertificationType, CompanyType } from '@foodxchange/contracts';
import type { CompanyCopyDoc, CompanyCopyModel, CopiedCertification, CopyVersions, MemberStatusModel } from './model.js';

export type { CompanyCopyDoc as CompanyCopy, CopiedCertification } from './model.js';
type CompanyCopy = CompanyCopyDoc;

export const companyCopyLockKey = (companyId: string) => `catalog-company:${companyId}`;
export const memberStatusLockKey = (userId: string) => `catalog-member:${userId}`;

export interface CompanyCopyDeps {
  companies: CompanyCopyModel;
  memberStatuses: MemberStatusModel;
  locks: AggregateLocks;
  /**
   * Called after every change of a copy (the search part refreshes the supplier's products in
   * the index); awaited, so a failure makes the event be retried.
   */
  onCompanyChanged: (companyId: string) => Promise<void> | void;
}

/** The catalog's copy of one company, or null when no event about it has been consumed yet. */
export async function findCompanyCopy(deps: Pick<CompanyCopyDeps, 'companies'>, companyId: string): Promise<CompanyCopy | null> {
  return deps.companies.findById(companyId).lean<CompanyCopy>();
}

/** Copies of several companies in one query, by company id (ids without a copy are absent). */
export async function findCompanyCopies(deps: Pick<CompanyCopyDeps, 'companies'>, ids: Iterable<string>): Promise<Map<string, CompanyCopy>> {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) return new Map();
  const found = await deps.companies.find({ _id: { $in: wanted } }).lean<CompanyCopy[]>();
  return new Map(found.map((copy) => [copy._id, copy]));
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 24 * 3600 * 1000;

/**
 * The instant a bound starts (validFrom) or the first instant after it (validUntil): a date-only
 * bound is that whole UTC day, a date-time bound is exact. NaN for text that is not a date.
 */
function boundStart(bound: string): number {
  return DATE_ONLY.test(bound) ? Date.parse(`${bound}T00:00:00.000Z`) : Date.parse(bound);
}
function boundEnd(bound: string): number {
  return DATE_ONLY.test(bound) ? Date.parse(`${bound}T00:00:00.000Z`) + DAY_MS : Date.parse(bound) + 1;
}

/** Whether a certificate counts at `date`: between validFrom and validUntil inclusive. */
export function certificationValidAt(certification: Pick<CopiedCertification, 'validFrom' | 'validUntil'>, date: Date): boolean {
  const at = date.getTime();
  return boundStart(certification.validFrom) <= at && at < boundEnd(certification.validUntil);
}

/**
 * The certification types the company holds a certificate for that is valid at `date` (now for
 * search and product claims, the delivery date for matching), without repeats, in contract order
 * of first appearance.
 */
export function certificationsValidOn(company: Pick<CompanyCopy, 'certifications'> | null | undefined, date: Date): CertificationType[] {
  const types = new Set<CertificationType>();
  for (const certification of company?.certifications ?? []) {
    if (certificationValidAt(certification, date)) types.add(certification.type);
  }
  return [...types];
}

/**
 * Whether the company's products are offered: a company whose every known member is suspended by
 * a platform admin is not (its products leave search and matching until one is unsuspended). A
 * company with no known member yet is active.
 */
export function isCompanyActive(company: Pick<CompanyCopy, 'members'> | null | undefined): boolean {
  const members = company?.members ?? [];
  return members.length === 0 || members.some((member) => !member.suspended);
}

/** What one event says about a company. Absent fields are unknown to it and left as they are. */
export interface CompanyFacts {
  /** Profile fields with the version they come from (0: an event that carries no version). */
  profile?: {
    version: number;
    name?: string;
    country?: string;
    type?: CompanyType;
    marketsServed?: string[];
    categories?: string[];
  };
  certifications?: { version: number; list: CopiedCertification[] };
  verification?: { version: number; verified: boolean };
  /** A member to add or refresh (its suspension state comes from the member statuses). */
  memberUserId?: string;
}

/**
 * Whether an aspect at `incoming` may replace the copy's `current`: strictly newer, or — for an
 * event without a version (0) — only while no versioned event has set the aspect.
 */
function newer(incoming: number, current: number): boolean {
  return incoming > current || (incoming === 0 && current === 0);
}

/** Unset name/country/type are filled by any event that knows them (registration, verification). */
function fillUnknown(copy: CompanyCopyDoc, field: 'name' | 'country' | 'type', value: string | undefined): boolean {
  if (value === undefined || copy[field] !== undefined) return false;
  (copy as unknown as Record<string, unknown>)[field] = value;
  return true;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function normaliseCertifications(list: readonly CopiedCertification[]): CopiedCertification[] {
  return list.map((c) => ({
    ...(c.id ? { id: c.id } : {}),
    type: c.type,
    number: c.number,
    issuedBy: c.issuedBy,
    validFrom: c.validFrom,
    validUntil: c.validUntil,
  }));
}

/**
 * Applies what an event says to the company's copy (creating it when absent) under the copy's
 * lock, then tells `onCompanyChanged`. Returns whether the copy changed. `notifyAnyway`: call the
 * listener even when nothing changed (a retry whose first attempt changed the copy but whose
 * listener failed).
 */
export async function applyCompanyFacts(
  deps: CompanyCopyDeps,
  companyId: string,
  facts: CompanyFacts,
  { notifyAnyway = false }: { notifyAnyway?: boolean } = {},
): Promise<boolean> {
  const changed = await deps.locks.withLock(companyCopyLockKey(companyId), async (lock) => {
    const now = new Date();
    const doc =
      (await deps.companies.findById(companyId)) ??
      new deps.companies({
        _id: companyId,
        verified: false,
        marketsServed: [],
        categories: [],
        certifications: [],
        members: [],
        active: true,
        versions: { profile: 0, certifications: 0, verification: 0 },
        createdAt: now,
        updatedAt: now,
      });
    let dirty = doc.isNew;
    const versions: CopyVersions = { profile: doc.versions.profile, certifications: doc.versions.certifications, verification: doc.versions.verification };

    const { profile, certifications, verification } = facts;
    if (profile) {
      if (newer(profile.version, versions.profile)) {
        for (const field of ['name', 'country', 'type'] as const) {
          const value = profile[field];
          if (value !== undefined && doc[field] !== value) {
            doc.set(field, value);
            dirty = true;
          }
        }
        for (const field of ['marketsServed', 'categories'] as const) {
          const value = profile[field];
          if (value !== undefined && !sameJson([...doc[field]], value)) {
            doc.set(field, [...value]);
            dirty = true;
          }
        }
        if (profile.version > versions.profile) {
          versions.profile = profile.version;
          dirty = true;
        }
      } else {
        // Older than the copy: only what the copy does not know at all is taken.
        for (const field of ['name', 'country', 'type'] as const) dirty = fillUnknown(doc, field, profile[field]) || dirty;
      }
    }
    if (certifications && newer(certifications.version, versions.certifications)) {
      const list = normaliseCertifications(certifications.list);
      if (!sameJson(normaliseCertifications(doc.certifications), list)) {
        doc.set('certifications', list);
        dirty = true;
      }
      if (certifications.version > versions.certifications) {
        versions.certifications = certifications.version;
        dirty = true;
      }
    }
    if (verification && newer(verification.version, versions.verification)) {
      if (doc.verified !== verification.verified) {
        doc.verified = verification.verified;
        dirty = true;
      }
      if (verification.version > versions.verification) {
        versions.verification = verification.version;
        dirty = true;
      }
    }
    // Members: re-read the statuses of every known member, so a suspension recorded while the
    // company was unknown (or by another replica meanwhile) lands here.
    const memberIds = new Set(doc.members.map((member) => member.userId));
    if (facts.memberUserId) memberIds.add(facts.memberUserId);
    if (memberIds.size > 0) {
      const statuses = await deps.memberStatuses.find({ _id: { $in: [...memberIds] } }).lean();
      const suspendedById = new Map(statuses.map((status) => [status._id, status.suspended]));
      const members = [...memberIds].sort().map((userId) => ({ userId, suspended: suspendedById.get(userId) ?? false }));
      if (!sameJson(doc.members.map((m) => ({ userId: m.userId, suspended: m.suspended })), members)) {
        doc.set('members', members);
        dirty = true;
      }
    }
    const active = isCompanyActive(doc);
    if (doc.active !== active) {
      doc.active = active;
      dirty = true;
    }
    if (!dirty) return false;
    doc.set('versions', versions);
    doc.updatedAt = now;
    await lock.save(doc);
    return true;
  });
  if (changed || notifyAnyway) await deps.onCompanyChanged(companyId);
  return changed;
}

export interface MemberStatusChange {
  userId: string;
  companyId?: string;
  /** Set for user.suspended / user.unsuspended; absent for a registration (membership only). */
  suspended?: boolean;
  at?: Date;
}

/**
 * Records a member's suspension state (the newest admin action wins: an older event arriving late
 * changes nothing) and, once the company is known, refreshes the company's copy. Returns the
 * company id the member belongs to, if known.
 */
export async function applyMemberStatus(deps: CompanyCopyDeps, change: MemberStatusChange, options: { notifyAnyway?: boolean } = {}): Promise<string | undefined> {
  const companyId = await recordMemberStatus(deps, change);
  if (companyId) await applyCompanyFacts(deps, companyId, { memberUserId: change.userId }, options);
  return companyId;
}

/** The member-status half of applyMemberStatus, for a caller that refreshes the company itself. */
export async function recordMemberStatus(deps: Pick<CompanyCopyDeps, 'memberStatuses' | 'locks'>, change: MemberStatusChange): Promise<string | undefined> {
  return deps.locks.withLock(memberStatusLockKey(change.userId), async (lock) => {
    const now = new Date();
    const doc = (await deps.memberStatuses.findById(change.userId)) ?? new deps.memberStatuses({ _id: change.userId, suspended: false, updatedAt: now });
    let dirty = doc.isNew;
    if (change.companyId && doc.companyId !== change.companyId) {
      doc.companyId = change.companyId;
      dirty = true;
    }
    if (change.suspended !== undefined && change.at) {
      const last = doc.statusChangedAt?.getTime();
      if (last === undefined || last <= change.at.getTime()) {
        if (doc.suspended !== change.suspended || last !== change.at.getTime()) dirty = true;
        doc.suspended = change.suspended;
        doc.statusChangedAt = change.at;
      }
    }
    if (dirty) {
      doc.updatedAt = now;
      await lock.save(doc);
    }
    return doc.companyId;
  });
}
