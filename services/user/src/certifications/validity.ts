/**
 * When a certificate counts (the rule of the contracts README, shared with catalog and
 * compliance): from `validFrom` to `validUntil` inclusive, where a date-only bound
 * (`YYYY-MM-DD`) means that whole UTC day and a date-time bound is exact.
 */
export const CERTIFICATION_STATUSES = ['valid', 'expired', 'not_yet_valid'] as const;
export type CertificationStatus = (typeof CERTIFICATION_STATUSES)[number];

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 24 * 3600 * 1000;

/** The first instant (epoch ms) a bound covers; NaN when it is no date. */
export function validityStart(bound: string): number {
  return DATE_ONLY.test(bound) ? Date.parse(`${bound}T00:00:00.000Z`) : Date.parse(bound);
}

/** The last instant (epoch ms) a bound covers: a whole day ends at its last millisecond. */
export function validityEnd(bound: string): number {
  return DATE_ONLY.test(bound) ? Date.parse(`${bound}T00:00:00.000Z`) + DAY_MS - 1 : Date.parse(bound);
}

export function certificationStatus(certificate: { validFrom: string; validUntil: string }, at: Date): CertificationStatus {
  const now = at.getTime();
  if (now < validityStart(certificate.validFrom)) return 'not_yet_valid';
  if (now > validityEnd(certificate.validUntil)) return 'expired';
  return 'valid';
}

export function isValidOn(certificate: { validFrom: string; validUntil: string }, at: Date): boolean {
  return certificationStatus(certificate, at) === 'valid';
}
