import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError, stageEvent, type EventContext } from '@foodxchange/service-kit';
import { TOPICS } from '@foodxchange/contracts';
import { certificationAddedData, certificationWithdrawnData } from '../companies/events.js';
import type { CompanyCertification, CompanyDoc } from '../companies/model.js';
import { companyLockKey, type CompanyDeps } from '../companies/service.js';
import { CERTIFICATE_LIMITS, type AddCertificationBody, type CertificationView, type WithdrawnCertificationView } from './schemas.js';
import { validityEnd, validityStart } from './validity.js';
import { toCertificationView, visibleCertifications, type CertificationReader } from './views.js';

/** Certificate numbers compared as people write them: case and surrounding blanks don't matter. */
const numberKey = (number: string) => number.trim().toUpperCase();

/** The semantic checks the schema cannot express, as field errors. */
function checkValidity(body: AddCertificationBody): void {
  const from = validityStart(body.validFrom);
  const until = validityEnd(body.validUntil);
  const fields: Record<string, string[]> = {};
  // The format check accepts a few strings Date cannot place (a leap second): refuse them here.
  if (Number.isNaN(from)) fields['body.validFrom'] = ['is not a date this service can place in time'];
  if (Number.isNaN(until)) fields['body.validUntil'] = ['is not a date this service can place in time'];
  if (!Number.isNaN(from) && !Number.isNaN(until) && from > until) fields['body.validUntil'] = ['must not be before validFrom'];
  if (Object.keys(fields).length) throw new ValidationError('Invalid certificate validity', fields);
}

/**
 * Adds a certificate: load → modify → save of the whole array under the company's lock, with its
 * `company.certification-added` event (carrying the whole list after the change) in the same save.
 * The same type and number twice is a 409.
 */
export async function addCertification(
  deps: CompanyDeps,
  companyId: string,
  body: AddCertificationBody,
  actor: { userId: string },
  context: EventContext,
): Promise<{ view: CertificationView; version: number }> {
  checkValidity(body);
  return deps.locks.withLock(companyLockKey(companyId), async (lock) => {
    const doc = await deps.companies.findById(companyId);
    if (!doc) throw new NotFoundError(`Company ${companyId}`);
    // Plain copies: the array is replaced as a whole (DESIGN.md rule 3), never patched in place.
    const held = (doc.toObject() as CompanyDoc).certifications ?? [];
    const duplicate = held.find((existing) => existing.type === body.type && numberKey(existing.number) === numberKey(body.number));
    if (duplicate) {
      throw new ConflictError(`The company already holds ${body.type} certificate ${body.number.trim()}`, { certificationId: duplicate.id });
    }
    if (held.length >= CERTIFICATE_LIMITS.perCompany) {
      throw new ConflictError(`A company holds at most ${CERTIFICATE_LIMITS.perCompany} certificates: withdraw one first`);
    }
    const now = new Date();
    const added: CompanyCertification = {
      id: randomUUID(),
      type: body.type,
      number: body.number.trim(),
      issuedBy: body.issuedBy.trim(),
      validFrom: body.validFrom,
      validUntil: body.validUntil,
      addedBy: actor.userId,
      addedAt: now,
    };
    doc.certifications = [...held, added];
    doc.version += 1;
    doc.updatedAt = now;
    const saved = doc.toObject() as CompanyDoc;
    stageEvent(doc, TOPICS.companyCertificationAdded, doc._id, certificationAddedData(saved, added), context);
    await lock.save(doc);
    return { view: toCertificationView(added, now, true), version: doc.version };
  });
}

/** Withdraws a certificate (removes it from the list) with its `company.certification-withdrawn` event. */
export async function withdrawCertification(
  deps: CompanyDeps,
  companyId: string,
  certificationId: string,
  actor: { userId: string },
  context: EventContext,
): Promise<WithdrawnCertificationView> {
  return deps.locks.withLock(companyLockKey(companyId), async (lock) => {
    const doc = await deps.companies.findById(companyId);
    if (!doc) throw new NotFoundError(`Company ${companyId}`);
    const held = (doc.toObject() as CompanyDoc).certifications ?? [];
    const withdrawn = held.find((certificate) => certificate.id === certificationId);
    if (!withdrawn) throw new NotFoundError(`Certification ${certificationId}`);
    const now = new Date();
    doc.certifications = held.filter((certificate) => certificate.id !== certificationId);
    doc.version += 1;
    doc.updatedAt = now;
    const saved = doc.toObject() as CompanyDoc;
    stageEvent(doc, TOPICS.companyCertificationWithdrawn, doc._id, certificationWithdrawnData(saved, withdrawn, { userId: actor.userId, at: now }), context);
    await lock.save(doc);
    return {
      withdrawn: toCertificationView(withdrawn, now, true),
      certifications: visibleCertifications(saved, now, true),
      version: saved.version,
    };
  });
}

export async function listCertifications(deps: Pick<CompanyDeps, 'companies'>, companyId: string, reader: CertificationReader): Promise<CertificationView[]> {
  const doc = await deps.companies.findById(companyId).select({ certifications: 1 }).lean<Pick<CompanyDoc, 'certifications'>>();
  if (!doc) throw new NotFoundError(`Company ${companyId}`);
  return visibleCertifications(doc, new Date(), reader.insider);
}
