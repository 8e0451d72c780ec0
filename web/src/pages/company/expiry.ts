/**
 * How close a certificate is to lapsing, for the badge next to it. A certificate "valid until"
 * a date (YYYY-MM-DD) is valid through that whole UTC day, as the company service reads it.
 */
export type ExpiryState = { kind: 'expired'; days: number } | { kind: 'expiring'; days: number } | { kind: 'ok'; days: number };

/** Days of warning before a certificate lapses. */
export const EXPIRY_WARNING_DAYS = 30;

/** The instant a certificate stops being valid (end of its last UTC day for a bare date). */
export function lapseInstant(validUntil: string): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(validUntil)) return Date.parse(`${validUntil}T00:00:00Z`) + 86_400_000;
  return Date.parse(validUntil);
}

export function expiryOf(validUntil: string, now: number = Date.now()): ExpiryState {
  const lapse = lapseInstant(validUntil);
  if (Number.isNaN(lapse)) return { kind: 'ok', days: Number.POSITIVE_INFINITY };
  const remaining = lapse - now;
  if (remaining <= 0) return { kind: 'expired', days: Math.floor(remaining / 86_400_000) };
  const days = Math.ceil(remaining / 86_400_000);
  return days <= EXPIRY_WARNING_DAYS ? { kind: 'expiring', days } : { kind: 'ok', days };
}

/** The badge text, or undefined when no warning is due. */
export function expiryLabel(state: ExpiryState): string | undefined {
  if (state.kind === 'expired') return 'Expired';
  if (state.kind === 'expiring') return state.days === 1 ? 'Expires within a day' : `Expires in ${state.days} days`;
  return undefined;
}

/** The instant a certificate starts being valid (start of its first UTC day for a bare date). */
export function startInstant(validFrom: string): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(validFrom)) return Date.parse(`${validFrom}T00:00:00Z`);
  return Date.parse(validFrom);
}

export type BadgeTone = 'red' | 'amber' | 'green' | 'blue';

/** What the badge next to a certificate says, and in which colour. */
export interface Standing {
  tone: BadgeTone;
  text: string;
  state: ExpiryState | { kind: 'not_yet_valid'; days: number };
}

/**
 * A certificate's standing as of `now`: red when expired, amber with the days left when it lapses
 * within EXPIRY_WARNING_DAYS, blue before its first day, green otherwise.
 */
export function standingOf(certificate: { validFrom: string; validUntil: string }, now: number = Date.now()): Standing {
  const state = expiryOf(certificate.validUntil, now);
  if (state.kind === 'expired') return { tone: 'red', text: 'Expired', state };
  const start = startInstant(certificate.validFrom);
  if (!Number.isNaN(start) && now < start) {
    const days = Math.ceil((start - now) / 86_400_000);
    return { tone: 'blue', text: days === 1 ? 'Valid from tomorrow' : `Valid in ${days} days`, state: { kind: 'not_yet_valid', days } };
  }
  if (state.kind === 'expiring') return { tone: 'amber', text: expiryLabel(state)!, state };
  return { tone: 'green', text: 'Valid', state };
}

/** The certificates that need attention: expired ones and those lapsing within the warning window. */
export function expiryWarnings<T extends { validUntil: string }>(certificates: readonly T[], now: number = Date.now()): { expired: T[]; expiring: T[] } {
  const expired: T[] = [];
  const expiring: T[] = [];
  for (const certificate of certificates) {
    const state = expiryOf(certificate.validUntil, now);
    if (state.kind === 'expired') expired.push(certificate);
    else if (state.kind === 'expiring') expiring.push(certificate);
  }
  return { expired, expiring };
}

/** One sentence for the warning at the top of the page, or undefined when all is well. */
export function warningText(warnings: { expired: readonly unknown[]; expiring: readonly unknown[] }): string | undefined {
  const parts: string[] = [];
  const n = (count: number) => (count === 1 ? '1 certificate has' : `${count} certificates have`);
  if (warnings.expired.length) parts.push(`${n(warnings.expired.length)} expired`);
  if (warnings.expiring.length) {
    parts.push(
      warnings.expiring.length === 1
        ? `1 certificate lapses within ${EXPIRY_WARNING_DAYS} days`
        : `${warnings.expiring.length} certificates lapse within ${EXPIRY_WARNING_DAYS} days`,
    );
  }
  if (!parts.length) return undefined;
  return `${parts.join(' and ')}. Buyers only see certificates valid today: add the renewed certificate before the old one lapses.`;
}
