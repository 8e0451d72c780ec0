import { describe, expect, it } from 'vitest';
import { SessionStore } from '@/auth/session';
import { authorizedFetch } from '@/api/client';
import { ApiError, fieldErrors, humanize, messageOf } from '@/api/errors';

const user = { id: 'u1', email: 'a@b.example', role: 'buyer' as const, companyId: 'c1' };

function tokenAnswer(accessToken: string, expiresIn = 900): Response {
  return new Response(JSON.stringify({ success: true, data: { user, accessToken, expiresIn, tokenType: 'Bearer' } }), { status: 200 });
}

/** A scripted network: each call answers the next response and records the request. */
function scripted(answers: Array<(request: Request) => Response>) {
  const seen: Request[] = [];
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(new URL(String(input), 'http://console.test'), init);
    seen.push(request);
    const next = answers.shift();
    if (!next) throw new Error(`unexpected request ${request.method} ${request.url}`);
    return next(request);
  }) as typeof fetch;
  return { fetchImpl, seen };
}

describe('SessionStore', () => {
  it('restores a session from the refresh cookie with one exchange, even for concurrent callers', async () => {
    const net = scripted([() => tokenAnswer('t1')]);
    const store = new SessionStore(net.fetchImpl);
    const [a, b] = await Promise.all([store.accessToken(), store.accessToken()]);
    expect([a, b]).toEqual(['t1', 't1']);
    expect(net.seen).toHaveLength(1);
    expect(net.seen[0]!.headers.get('x-token-transport')).toBe('cookie');
    expect(store.getState()).toMatchObject({ status: 'signedIn', user });
  });

  it('is signed out without a reason when there was no session to restore', async () => {
    const store = new SessionStore(scripted([() => new Response('{}', { status: 401 })]).fetchImpl);
    expect(await store.accessToken()).toBeUndefined();
    expect(store.getState()).toEqual({ status: 'signedOut' });
  });

  it('says the session ended when a refresh is refused while signed in (a reused token ends the sign-in)', async () => {
    const store = new SessionStore(scripted([() => new Response('{}', { status: 401 })]).fetchImpl);
    store.signedIn({ user, accessToken: 't0', expiresIn: 900 });
    expect(await store.refresh()).toBe(false);
    expect(store.getState()).toMatchObject({ status: 'signedOut', reason: expect.stringContaining('session ended') });
  });

  it('refreshes early when the access token is about to expire', async () => {
    const net = scripted([() => tokenAnswer('t2')]);
    const store = new SessionStore(net.fetchImpl);
    store.signedIn({ user, accessToken: 't1', expiresIn: 10 });
    expect(await store.accessToken()).toBe('t2');
  });
});

describe('authorizedFetch', () => {
  it('sends the bearer token, and after a 401 refreshes once and retries with the new token', async () => {
    const net = scripted([
      () => new Response('{}', { status: 401 }),
      () => tokenAnswer('t2'),
      () => new Response('{"success":true}', { status: 200 }),
    ]);
    const store = new SessionStore(net.fetchImpl);
    store.signedIn({ user, accessToken: 't1', expiresIn: 900 });
    const res = await authorizedFetch(store, net.fetchImpl)(new Request('http://console.test/api/v1/rfqs', { method: 'POST', body: '{"a":1}' }));
    expect(res.status).toBe(200);
    expect(net.seen.map((r) => r.headers.get('authorization'))).toEqual(['Bearer t1', null, 'Bearer t2']);
    expect(await net.seen[2]!.text()).toBe('{"a":1}');
  });

  it('does not attach a token to the sign-in routes, nor retry them', async () => {
    const net = scripted([() => new Response('{}', { status: 401 })]);
    const store = new SessionStore(net.fetchImpl);
    store.signedIn({ user, accessToken: 't1', expiresIn: 900 });
    const res = await authorizedFetch(store, net.fetchImpl)(new Request('http://console.test/api/v1/auth/login', { method: 'POST', body: '{}' }));
    expect(res.status).toBe(401);
    expect(net.seen).toHaveLength(1);
    expect(net.seen[0]!.headers.get('authorization')).toBeNull();
  });

  it('turns a network failure into an ApiError in words', async () => {
    const store = new SessionStore(scripted([]).fetchImpl);
    store.signedIn({ user, accessToken: 't1', expiresIn: 900 });
    const failing = (async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    await expect(authorizedFetch(store, failing)(new Request('http://console.test/api/v1/rfqs'))).rejects.toMatchObject({ status: 0, code: 'NETWORK_ERROR' });
  });
});

describe('API errors', () => {
  const envelope = {
    success: false,
    error: {
      code: 'VALIDATION_ERROR',
      message: 'The request is invalid',
      fields: { 'body.items.0.quantity': ['must be >= 1'], 'body.email': ['must match format "email"'], 'query.page': ['must be integer'] },
    },
  };

  it('maps the envelope\'s body fields to form paths, in words, leaving other parts out', () => {
    const error = ApiError.fromAnswer(400, envelope);
    expect(fieldErrors(error)).toEqual({ 'items.0.quantity': ['Must be at least 1'], email: ['Must be an e-mail address'] });
    expect(fieldErrors(error, 'query')).toEqual({ page: ['Must be integer'] });
    expect(fieldErrors(new Error('x'))).toEqual({});
  });

  it('keeps the API\'s message, and words a rate limit with its wait', () => {
    expect(messageOf(ApiError.fromAnswer(400, envelope))).toBe('The request is invalid');
    expect(messageOf(ApiError.fromAnswer(429, { error: { code: 'RATE_LIMITED', message: 'Too many requests.' } }, '30'))).toBe('Too many requests. Try again in 30 s.');
    expect(messageOf(ApiError.fromAnswer(502, '<html>bad gateway</html>'))).toMatch(/could not answer/);
  });

  it('humanizes the validator\'s phrases', () => {
    expect(humanize('must NOT have fewer than 1 characters')).toBe('Is required');
    expect(humanize('must NOT have more than 200 characters')).toBe('Must have at most 200 characters');
  });
});
