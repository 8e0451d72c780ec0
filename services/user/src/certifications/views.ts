import type { CompanyCertification, CompanyDoc } from '../companies/model.js';
import type { CertificationView } from './schemas.js';
import { certificationStatus, isValidOn } from './validity.js';

/** Who reads certificates: the company's members and platform admins see all (and who added them). */
export interface CertificationReader {
  insider: boolean;
}

export function toCertificationView(certificate: CompanyCertification, at: Date, insider: boolean): CertificationView {
  return {
    id: certificate.id,
    type: certificate.type,
    number: certificate.number,
    issuedBy: certificate.issuedBy,
    validFrom: certificate.validFrom,
    validUntil: certificate.validUntil,
    status: certificationStatus(certificate, at),
    ...(insider ? { addedAt: certificate.addedAt.toISOString(), addedBy: certificate.addedBy } : {}),
  };
}

/**
 * The certificates a reader may see: insiders all of them (with their status), everyone else
 * only those valid right now (a buyer checking a supplier sees what counts today).
 */
export function visibleCertifications(doc: Pick<CompanyDoc, 'certifications'>, at: Date, insider: boolean): CertificationView[] {
  return (doc.certifications ?? [])
    .filter((certificate) => insider || isValidOn(certificate, at))
    .map((certificate) => toCertificationView(certificate, at, insider));
}
