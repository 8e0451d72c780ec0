import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CookieSerializeOptions } from '@fastify/cookie';
import { Type } from '@sinclair/typebox';
import type { AuthConfig } from '../config.js';
import type { TokenAnswer } from './service.js';

/**
 * Cookie token transport, for the browser console: a request that sends `x-token-transport: cookie`
 * gets its refresh token as an HttpOnly cookie instead of in the body, so page script (and anything
 * injected into it) never holds the long-lived token; refresh and logout then read it from there.
 *
 * Why a cookie the browser sends by itself is not a CSRF hole here:
 * - The cookie is SameSite=Strict: the browser leaves it off every request another site starts.
 * - The cookie is only read when the request carries the custom `x-token-transport` header. A
 *   cross-site HTML form cannot set headers, and a cross-origin fetch/XHR with a custom header
 *   needs a CORS preflight, which fails: no CORS is configured for other origins (the console is
 *   served from the gateway's own origin). So only same-origin script can make a request that
 *   uses the cookie, and a cross-origin page could not read the answer anyway.
 * Without the header nothing changes: tokens travel in the body, a cookie is ignored.
 */
export const TOKEN_TRANSPORT_HEADER = 'x-token-transport';
export const REFRESH_COOKIE = 'fx_refresh';

export const TokenTransportHeadersSchema = Type.Object({
  [TOKEN_TRANSPORT_HEADER]: Type.Optional(
    Type.Union([Type.Literal('cookie'), Type.Literal('body')], {
      description: `\`cookie\`: the refresh token travels in the HttpOnly cookie \`${REFRESH_COOKIE}\` (set on answers, read by /refresh and /logout) and is left out of the body. \`body\` or absent: in the body, as before`,
    }),
  ),
});

/** What a token-issuing route answers: the refresh token is absent when it went into the cookie. */
export type TokenBody = Omit<TokenAnswer, 'refreshToken'> & { refreshToken?: string };

export function usesCookie(request: FastifyRequest): boolean {
  return request.headers[TOKEN_TRANSPORT_HEADER] === 'cookie';
}

/** The refresh token the cookie holds, if the request opted in and has a non-empty one. */
export function refreshCookieOf(request: FastifyRequest): string | undefined {
  if (!usesCookie(request)) return undefined;
  const value = request.cookies[REFRESH_COOKIE];
  return value ? value : undefined;
}

function cookieOptions(config: AuthConfig, request: FastifyRequest): CookieSerializeOptions {
  return {
    httpOnly: true,
    sameSite: 'strict',
    path: config.REFRESH_COOKIE_PATH,
    // request.protocol believes X-Forwarded-Proto only from a trusted proxy (TRUST_PROXY): the gateway.
    secure: config.REFRESH_COOKIE_SECURE || request.protocol === 'https',
  };
}

/**
 * The body of a token answer. With the cookie transport the refresh token goes into the cookie
 * (Max-Age: the refresh token's lifetime) and out of the body; `no-store` keeps the answer that
 * carries it out of any cache.
 */
export function deliverTokens(config: AuthConfig, request: FastifyRequest, reply: FastifyReply, answer: TokenAnswer): TokenBody {
  if (!usesCookie(request)) return answer;
  const { refreshToken, ...rest } = answer;
  reply.setCookie(REFRESH_COOKIE, refreshToken, { ...cookieOptions(config, request), maxAge: answer.refreshExpiresIn });
  reply.header('cache-control', 'no-store');
  return rest;
}

/** Tells the browser to drop the cookie (same path and attributes, or it would not match). */
export function clearRefreshCookie(config: AuthConfig, request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(REFRESH_COOKIE, cookieOptions(config, request));
}

/**
 * Route onRequest hook of /refresh and /logout: with the cookie transport "no body" is their normal
 * call, and browser fetch wrappers often still send `Content-Type: application/json` with it, which
 * the JSON parser refuses (an empty body is no JSON). Such a request is read as having no body.
 */
export async function emptyJsonBodyIsNoBody(request: FastifyRequest): Promise<void> {
  const headers = request.raw.headers;
  // No body by HTTP framing: neither chunked nor a length other than 0 (browsers send Content-Length: 0).
  const bodyless = headers['transfer-encoding'] === undefined && (headers['content-length'] === undefined || headers['content-length'] === '0');
  if (usesCookie(request) && bodyless) delete headers['content-type'];
}
