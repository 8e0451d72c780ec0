import type { AggregateLocks } from '@foodxchange/service-kit';
import type { CompanyCopyDoc, CompanyCopyModel, CopiedCertification } from './model.js';

export interface CompanyCopyDeps {
  companies: CompanyCopyModel;
  locks: AggregateLocks;
}

/** What one event says about a company; absent aspects are unknown to it and stay as they are. */
export interface CompanyFacts {
  name?: string;
  /** The whole list after the change, with the company version it belongs to (0: none sent). */
  certifications?: { version: number; list: readonly CopiedCertification[] };
  verification?: { version: number; verified: boolean };
}

export const companyCopyLockKey = (companyId: string) => `compliance-company:${companyId}`;

/**
 * Whether an aspect at `incoming` may replace the copy's `current`: strictly newer, or, for an
 * event without a version (0), only while no versioned event has set it.
 */
function newer(incoming: number, current: number): boolean {
  return incoming > current || (incoming === 0 && current === 0);
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function normalise(list: readonly CopiedCertification[]): CopiedCertification[] {
  return list.map((c) => ({
    ...(c.id ? { id: c.id } : {}),
    type: c.type,
    ...(c.number ? { number: c.number } : {}),
    ...(c.issuedBy ? { issuedBy: c.issuedBy } : {}),
    validFrom: c.validFrom,
    validUntil: c.validUntil,
  }));
}

/** Applies what an event says to the company's copy (creating it), under its lock. Returns whether it changed. */
export async function applyCompanyFacts(deps: CompanyCopyDeps, companyId: string, facts: CompanyFacts): Promise<boolean> {
  return deps.locks.withLock(companyCopyLockKey(companyId), async (lock) => {
    const now = new Date();
    const doc =
      (await deps.companies.findById(companyId)) ??
      new deps.companies({
        _id: companyId,
        certificationsKnown: false,
        certifications: [],
        verified: false,
        versions: { certifications: 0, verification: 0 },
        updatedAt: now,
      });
    let dirty = doc.isNew;
    const versions = { certifications: doc.versions.certifications, verification: doc.versions.verification };
    if (facts.name !== undefined && doc.name !== facts.name) {
      doc.name = facts.name;
      dirty = true;
    }
    const { certifications, verification } = facts;
    if (certifications && newer(certifications.version, versions.certifications)) {
      const list = normalise(certifications.list);
      if (!doc.certificationsKnown || !sameJson(normalise(doc.certifications), list)) {
        doc.set('certifications', list);
        doc.certificationsKnown = true;
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
    if (!dirty) return false;
    doc.set('versions', versions);
    doc.updatedAt = now;
    await lock.save(doc);
    return true;
  });
}

export async function findCompanyCopy(deps: Pick<CompanyCopyDeps, 'companies'>, companyId: string): Promise<CompanyCopyDoc | null> {
  return deps.companies.findById(companyId).lean<CompanyCopyDoc>();
}
