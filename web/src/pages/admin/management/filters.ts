/**
 * The admin lists keep their filters in the address bar (bookmarkable, Back restores them).
 * These functions turn URLSearchParams into each list API's query, dropping anything the API
 * would refuse (unknown enum values, malformed ids, out-of-range pages), and back.
 */

export const PAGE_SIZE = 20;

export const COMPANY_TYPES = ['buyer', 'supplier', 'both'] as const;
export const ROLES = ['buyer', 'supplier', 'admin', 'super_admin'] as const;
export const USER_STATUSES = ['active', 'suspended'] as const;
export const DEAD_LETTER_STATUSES = ['pending', 'replayed'] as const;
export const TOPICS = [
  'user.registered',
  'user.logged-in',
  'user.suspended',
  'user.unsuspended',
  'company.created',
  'company.updated',
  'company.verified',
  'company.certification-added',
  'company.certification-withdrawn',
  'product.created',
  'product.updated',
  'product.deleted',
  'rfq.created',
  'rfq.matched',
  'rfq.awarded',
  'rfq.cancelled',
  'quote.submitted',
  'compliance.checked',
  'order.created',
  'order.confirmed',
  'order.rejected',
  'order.status-changed',
  'notification.sent',
] as const;
export type Topic = (typeof TOPICS)[number];

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const PRINTABLE = /^(?!\s*$)[^\x00-\x1F\x7F]+$/;

function oneOf<T extends string>(values: readonly T[], value: string | null): T | undefined {
  return value !== null && (values as readonly string[]).includes(value) ? (value as T) : undefined;
}

/** Free text the API accepts (1–200 printable characters), trimmed; undefined otherwise. */
export function text(value: string | null, max = 200): string | undefined {
  const trimmed = value?.trim() ?? '';
  return trimmed && trimmed.length <= max && PRINTABLE.test(trimmed) ? trimmed : undefined;
}

function id(value: string | null): string | undefined {
  const trimmed = value?.trim() ?? '';
  return trimmed && trimmed.length <= 128 && ID.test(trimmed) ? trimmed : undefined;
}

export function pageOf(params: URLSearchParams): number {
  const n = Number(params.get('page'));
  return Number.isInteger(n) && n >= 1 && n <= 500 ? n : 1;
}

/**
 * New search params from the current ones with `changes` applied: empty values are removed, and
 * any change other than the page itself goes back to page 1.
 */
export function withChanges(params: URLSearchParams, changes: Record<string, string | number | undefined>): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const [key, value] of Object.entries(changes)) {
    const s = value === undefined ? '' : String(value).trim();
    if (s === '' || (key === 'page' && s === '1')) next.delete(key);
    else next.set(key, s);
  }
  if (!('page' in changes)) next.delete('page');
  return next;
}

// ---- companies -------------------------------------------------------------------------------

export interface CompanyQuery {
  page: number;
  limit: number;
  q?: string;
  verified?: boolean;
  type?: (typeof COMPANY_TYPES)[number];
}

export function companyQuery(params: URLSearchParams): CompanyQuery {
  const q = text(params.get('q'));
  const verified = params.get('verified');
  const type = oneOf(COMPANY_TYPES, params.get('type'));
  return {
    page: pageOf(params),
    limit: PAGE_SIZE,
    ...(q ? { q } : {}),
    ...(verified === 'true' || verified === 'false' ? { verified: verified === 'true' } : {}),
    ...(type ? { type } : {}),
  };
}

// ---- users -----------------------------------------------------------------------------------

export interface UserQuery {
  page: number;
  limit: number;
  q?: string;
  role?: (typeof ROLES)[number];
  companyId?: string;
  status?: (typeof USER_STATUSES)[number];
}

export function userQuery(params: URLSearchParams): UserQuery {
  const q = text(params.get('q'));
  const role = oneOf(ROLES, params.get('role'));
  const companyId = id(params.get('companyId'));
  const status = oneOf(USER_STATUSES, params.get('status'));
  return {
    page: pageOf(params),
    limit: PAGE_SIZE,
    ...(q ? { q } : {}),
    ...(role ? { role } : {}),
    ...(companyId ? { companyId } : {}),
    ...(status ? { status } : {}),
  };
}

/** The suspend/unsuspend reason as the API requires it (3–2000 characters), or a message. */
export function reasonProblem(reason: string): string | undefined {
  const length = reason.trim().length;
  if (length < 3) return 'Give a reason of at least 3 characters.';
  if (length > 2000) return 'Keep the reason to at most 2000 characters.';
  return undefined;
}

// ---- audit log -------------------------------------------------------------------------------

export interface AuditQuery {
  page: number;
  limit: number;
  topic?: Topic;
  type?: string;
  source?: string;
  subject?: string;
  correlationId?: string;
  companyId?: string;
  from?: string;
  to?: string;
}

/**
 * A `<input type="datetime-local">` value (local time, "2026-12-02T17:05") or an ISO instant as an
 * ISO instant in UTC; undefined when it is not a date.
 */
export function instant(value: string | null): string | undefined {
  if (!value) return undefined;
  const local = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value);
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value);
  if (!local && !iso) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function auditQuery(params: URLSearchParams): AuditQuery {
  const topic = oneOf(TOPICS, params.get('topic'));
  const query: AuditQuery = { page: pageOf(params), limit: PAGE_SIZE, ...(topic ? { topic } : {}) };
  for (const key of ['type', 'source', 'subject', 'correlationId'] as const) {
    const value = text(params.get(key));
    if (value) query[key] = value;
  }
  const companyId = id(params.get('companyId'));
  if (companyId) query.companyId = companyId;
  const from = instant(params.get('from'));
  const to = instant(params.get('to'));
  if (from) query.from = from;
  if (to) query.to = to;
  return query;
}

/** Words for a time range that cannot match anything (from after to); undefined when fine. */
export function rangeProblem(from: string | undefined, to: string | undefined): string | undefined {
  if (from && to && new Date(from).getTime() > new Date(to).getTime()) return '"From" is after "To": nothing can match.';
  return undefined;
}

// ---- dead letters ----------------------------------------------------------------------------

export interface DeadLetterQuery {
  page: number;
  limit: number;
  topic?: Topic;
  status?: (typeof DEAD_LETTER_STATUSES)[number];
  eventId?: string;
}

export function deadLetterQuery(params: URLSearchParams): DeadLetterQuery {
  const topic = oneOf(TOPICS, params.get('topic'));
  const status = oneOf(DEAD_LETTER_STATUSES, params.get('status'));
  const eventId = text(params.get('eventId'));
  return {
    page: pageOf(params),
    limit: PAGE_SIZE,
    ...(topic ? { topic } : {}),
    ...(status ? { status } : {}),
    ...(eventId ? { eventId } : {}),
  };
}

/** Whether a topic string is one the platform publishes (for the replay-all form). */
export function isTopic(value: string): value is Topic {
  return (TOPICS as readonly string[]).includes(value);
}
