/**
 * The gateway's own access policy for the proxied API: which calls pass the edge without a
 * token. Everything not listed needs a valid access token before it is proxied. The services
 * enforce their own route policies as well (zero trust); this table only decides what reaches
 * them anonymously.
 *
 * Paths are matched exactly, segment by segment: an encoded slash, a dot segment or a trailing
 * extra segment does not match, so `/api/v1/auth/login/../../users/me` is not public.
 */
export interface PublicRoute {
  method: 'GET' | 'POST';
  /** Anchored pattern over the path (no query string). */
  path: RegExp;
  why: string;
}

const SEGMENT = '[A-Za-z0-9_-]+';

export const PUBLIC_ROUTES: readonly PublicRoute[] = [
  { method: 'POST', path: /^\/api\/v1\/auth\/(register|login|refresh)$/, why: 'how a caller gets a token' },
  { method: 'POST', path: /^\/api\/v1\/auth\/mfa\/verify$/, why: 'second step of a login: the MFA challenge is its credential' },
  { method: 'GET', path: /^\/api\/v1\/auth\/\.well-known\/jwks\.json$/, why: 'public keys, for anyone verifying tokens' },
  { method: 'GET', path: new RegExp(`^/api/v1/compliance/rules(/${SEGMENT})*$`), why: 'market rules are public reading' },
  { method: 'GET', path: /^\/api\/v1\/compliance\/markets$/, why: 'reference data' },
];

/**
 * The routes whose calls count against the strict per-address limit (credential guessing and
 * account creation): each has its own bucket per client.
 */
export const AUTH_LIMITED = /^\/api\/v1\/auth\/(login|register|refresh)$/;

/** The path of a request URL, without its query string. */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** Whether a proxied call may pass the edge without credentials. HEAD is a GET without its body. */
export function isPublicCall(method: string, path: string): boolean {
  const asMethod = method === 'HEAD' ? 'GET' : method;
  for (const route of PUBLIC_ROUTES) if (route.method === asMethod && route.path.test(path)) return true;
  return false;
}
