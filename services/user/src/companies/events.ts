import type { EventData, HeldCertification } from '@foodxchange/contracts';
import type { CompanyCertification, CompanyDoc } from './model.js';

/** A certificate as the company events carry it (the fields of the contract, no bookkeeping). */
export function heldCertification(certificate: CompanyCertification): HeldCertification {
  return {
    id: certificate.id,
    type: certificate.type,
    number: certificate.number,
    issuedBy: certificate.issuedBy,
    validFrom: certificate.validFrom,
    validUntil: certificate.validUntil,
  };
}

const heldCertifications = (doc: Pick<CompanyDoc, 'certifications'>) => (doc.certifications ?? []).map(heldCertification);

/** `company.created` data: the read copy other services keep of a new company. */
export function companyCreatedData(
  company: Pick<CompanyDoc, '_id' | 'name' | 'country' | 'type' | 'verified' | 'createdByUserId' | 'createdAt' | 'marketsServed' | 'categories' | 'certifications' | 'version'>,
): EventData<'company.created'> {
  return {
    companyId: company._id,
    name: company.name,
    country: company.country,
    type: company.type,
    verified: company.verified,
    ...(company.createdByUserId ? { createdByUserId: company.createdByUserId } : {}),
    marketsServed: [...(company.marketsServed ?? [])],
    categories: [...(company.categories ?? [])],
    certifications: heldCertifications(company),
    version: company.version,
    createdAt: company.createdAt.toISOString(),
  };
}

/** `company.updated` data: the profile after an accepted edit (the version is the one being saved). */
export function companyUpdatedData(company: CompanyDoc): EventData<'company.updated'> {
  return {
    companyId: company._id,
    name: company.name,
    country: company.country,
    type: company.type,
    marketsServed: [...(company.marketsServed ?? [])],
    categories: [...(company.categories ?? [])],
    version: company.version,
    updatedAt: company.updatedAt.toISOString(),
  };
}

/** `company.verified` data, from a company just marked verified. */
export function companyVerifiedData(company: CompanyDoc): EventData<'company.verified'> {
  return {
    companyId: company._id,
    name: company.name,
    type: company.type,
    country: company.country,
    verified: true,
    verifiedBy: company.verifiedBy!,
    verifiedAt: company.verifiedAt!.toISOString(),
    ...(company.verificationNote ? { note: company.verificationNote } : {}),
    version: company.version,
  };
}

export function certificationAddedData(company: CompanyDoc, added: CompanyCertification): EventData<'company.certification-added'> {
  return {
    companyId: company._id,
    companyName: company.name,
    certification: heldCertification(added),
    certifications: heldCertifications(company),
    addedBy: added.addedBy,
    addedAt: added.addedAt.toISOString(),
    version: company.version,
  };
}

export function certificationWithdrawnData(
  company: CompanyDoc,
  withdrawn: CompanyCertification,
  by: { userId: string; at: Date },
): EventData<'company.certification-withdrawn'> {
  return {
    companyId: company._id,
    companyName: company.name,
    certificationId: withdrawn.id,
    certification: heldCertification(withdrawn),
    certifications: heldCertifications(company),
    withdrawnBy: by.userId,
    withdrawnAt: by.at.toISOString(),
    version: company.version,
  };
}
