/**
 * The typed API client: paths, parameters, bodies and answers all come from schema.d.ts, which
 * is generated from the gateway's merged OpenAPI document (scripts/generate-api.ts).
 */
import createClient from 'openapi-fetch';
import type { paths } from './schema';
import { ApiError } from './errors';
import { session, type SessionStore } from '../auth/session';

/**
 * fetch with the session's bearer token. A 401 gets one transparent refresh and retry; calls to
 * auth's own token routes are sent as they are.
 */
export function authorizedFetch(store: SessionStore, baseFetch: typeof fetch = (...args) => fetch(...args)) {
  return async (input: Request): Promise<Response> => {
    const retry = input.clone();
    const tokenRoute = /\/api\/v1\/auth\/(login|register|refresh|mfa\/verify)$/.test(new URL(input.url, 'http://x').pathname);
    const token = tokenRoute ? undefined : await store.accessToken();
    if (token) input.headers.set('authorization', `Bearer ${token}`);
    let res: Response;
    try {
      res = await baseFetch(input);
    } catch (cause) {
      throw ApiError.network(cause);
    }
    if (res.status !== 401 || tokenRoute || !token) return res;
    if (!(await store.refresh())) return res;
    const fresh = await store.accessToken();
    if (fresh) retry.headers.set('authorization', `Bearer ${fresh}`);
    try {
      return await baseFetch(retry);
    } catch (cause) {
      throw ApiError.network(cause);
    }
  };
}

export const api = createClient<paths>({
  baseUrl: typeof window === 'undefined' ? 'http://localhost' : window.location.origin,
  fetch: authorizedFetch(session),
  credentials: 'same-origin',
});

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * The `data` of a successful envelope, or an ApiError carrying the API's message and field
 * errors. Use as `unwrap(await api.GET(...))`.
 */
export function unwrap<T extends { data: unknown }>(answer: Answer<T>): T['data'] {
  return unwrapPage(answer).data;
}

/** The whole envelope (for lists with `pagination`), or the same ApiError as unwrap. */
export function unwrapPage<T extends { data: unknown }>(answer: Answer<T>): T {
  if (answer.error !== undefined || !answer.response.ok || answer.data === undefined) {
    throw ApiError.fromAnswer(answer.response.status, answer.error, answer.response.headers.get('retry-after'));
  }
  return answer.data;
}
