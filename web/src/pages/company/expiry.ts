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
