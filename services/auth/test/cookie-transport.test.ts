import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { bearer, dropDatabase } from '@foodxchange/service-kit/testing';
import { refreshTokenHash } from '../src/sessions/service.js';
import { buildAuth, login, refresh, registerBody, registerUser, uniqueIp } from './helpers.js';
import { userWithMfa } from './mfa-helpers.js';

// The browser console's cookie token transport: `x-token-transport: cookie` moves the refresh
// token out of the body into the HttpOnly cookie fx_refresh (sessions/transport.ts).

let server: FastifyInstance;
beforeAll(async () => {
  server = await buildAuth();
  await server.ready();
});
afterAll(async () => {
  await dropDatabase(server);
  await server.close();
});

const COOKIE = { 'x-token-transport': 'cookie' };
const SEVEN_DAYS_S = 7 * 24 * 3600;

/** A request of the console: opted in, from its own client address (the login counters are per address). */
function viaCookie(app: FastifyInstance, url: string, options: Omit<InjectOptions, 'url'> = {}) {
  return app.inject({
    method: 'POST',
    remoteAddress: uniqueIp(),
    ...options,
    url: `/api/v1/auth${url}`,
    headers: { ...COOKIE, ...(options.headers as Record<string, string> | undefined) },
  });
}

interface SetCookie {
  name: string;
  value: string;
  path?: string;
  maxAge?: number;
  expires?: Date;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: string;
}

/** The one fx_refresh Set-Cookie of an answer (failing if there is none or more than one). */
function refreshCookieOf(res: LightMyRequestResponse): SetCookie {
  const cookies = (res.cookies as SetCookie[]).filter((cookie) => cookie.name === 'fx_refresh');
  expect(cookies, `fx_refresh Set-Cookie in ${JSON.stringify(res.headers['set-cookie'])}`).toHaveLength(1);
  return cookies[0]!;
}

function rawSetCookie(res: LightMyRequestResponse): string {
  const header = res.headers['set-cookie'];
  return Array.isArray(header) ? header.join('\n') : String(header);
}

function expectIssued(res: LightMyRequestResponse, status = 200): string {
  expect(res.statusCode, res.body).toBe(status);
  const cookie = refreshCookieOf(res);
  expect(cookie).toMatchObject({ path: '/api/v1/auth', maxAge: SEVEN_DAYS_S, httpOnly: true, sameSite: 'Strict' });
  expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(res.json().data).not.toHaveProperty('refreshToken');
  expect(res.json().data).toMatchObject({ accessToken: expect.any(String), tokenType: 'Bearer', refreshExpiresIn: SEVEN_DAYS_S });
  expect(res.headers['cache-control']).toBe('no-store');
  return cookie.value;
}

function expectCleared(res: LightMyRequestResponse): void {
  const cookie = refreshCookieOf(res);
  expect(cookie.value).toBe('');
  expect(cookie).toMatchObject({ path: '/api/v1/auth', maxAge: 0, httpOnly: true, sameSite: 'Strict' });
  expect(cookie.expires!.getTime()).toBe(0);
}

function expect401(res: LightMyRequestResponse, reason?: string): void {
  expect(res.statusCode, res.body).toBe(401);
  expect(res.json()).toMatchObject({ success: false, error: { code: 'AUTHENTICATION_ERROR', ...(reason ? { details: { reason } } : {}) } });
}

const refreshByCookie = (token: string, options: Omit<InjectOptions, 'url'> = {}) => viaCookie(server, '/refresh', { cookies: { fx_refresh: token }, ...options });

async function signedIn() {
  const { body } = await registerUser(server);
  const res = await viaCookie(server, '/login', { payload: { email: body.email, password: body.password } });
  return { res, token: expectIssued(res), accessToken: res.json().data.accessToken as string };
}

describe('issuing tokens with x-token-transport: cookie', () => {
  it('login sets fx_refresh (HttpOnly, SameSite=Strict, Path=/api/v1/auth, Max-Age 7 days; no Secure over http) and leaves it out of the body', async () => {
    const { res, token } = await signedIn();
    expect(refreshCookieOf(res).secure).toBeUndefined();
    expect(rawSetCookie(res)).toMatch(/^fx_refresh=[A-Za-z0-9_-]{43}; Max-Age=604800; Path=\/api\/v1\/auth; HttpOnly; SameSite=Strict$/);
    // The cookie's token is a live refresh token of that sign-in.
    const stored = await server.auth.sessions.tokens.findById(refreshTokenHash(token)).lean();
    expect(stored).toMatchObject({ userId: res.json().data.user.id, familyId: JSON.parse(Buffer.from(res.json().data.accessToken.split('.')[1], 'base64url').toString()).sid });
    expectIssued(await refreshByCookie(token));
  });

  it('register sets the cookie too', async () => {
    expectIssued(await viaCookie(server, '/register', { payload: registerBody() }), 201);
  });

  it('marks the cookie Secure when the trusted proxy says the request came over https, not when any client says so', async () => {
    const { body } = await registerUser(server);
    const payload = { email: body.email, password: body.password };
    // The gateway is a trusted peer (TRUST_PROXY: loopback, private ranges): its X-Forwarded-Proto counts.
    const viaGateway = await viaCookie(server, '/login', { payload, remoteAddress: '127.0.0.1', headers: { 'x-forwarded-proto': 'https' } });
    expectIssued(viaGateway);
    expect(refreshCookieOf(viaGateway).secure).toBe(true);
    expect(rawSetCookie(viaGateway)).toMatch(/; Secure/);
    // A client on the open internet cannot make its own answer's cookie differ: its header is not believed.
    const direct = await viaCookie(server, '/login', { payload, headers: { 'x-forwarded-proto': 'https' } });
    expectIssued(direct);
    expect(refreshCookieOf(direct).secure).toBeUndefined();
  });

  it('REFRESH_COOKIE_SECURE and REFRESH_COOKIE_PATH configure the cookie', async () => {
    const configured = await buildAuth({ REFRESH_COOKIE_SECURE: true, REFRESH_COOKIE_PATH: '/console/auth' });
    try {
      const res = await viaCookie(configured, '/register', { payload: registerBody() });
      expect(res.statusCode, res.body).toBe(201);
      expect(refreshCookieOf(res)).toMatchObject({ path: '/console/auth', secure: true, httpOnly: true, sameSite: 'Strict' });
    } finally {
      await dropDatabase(configured);
      await configured.close();
    }
  });

  it('the MFA verify step sets the cookie (the password step, a challenge, sets none)', async () => {
    const user = await userWithMfa(server);
    const challenged = await viaCookie(server, '/login', { payload: { email: user.body.email, password: user.body.password }, remoteAddress: user.ip });
    expect(challenged.statusCode, challenged.body).toBe(200);
    expect(challenged.json().data).toMatchObject({ mfaRequired: true });
    expect(challenged.headers['set-cookie']).toBeUndefined();
    const verified = await viaCookie(server, '/mfa/verify', {
      payload: { challengeToken: challenged.json().data.challengeToken, code: user.codes.current },
      remoteAddress: user.ip,
    });
    const token = expectIssued(verified);
    expect(verified.json().data.user.id).toBe(user.data.user.id);
    expectIssued(await refreshByCookie(token));
  });
});

describe('refresh by cookie', () => {
  it('rotates: a new cookie each time; the used one again → 401, cleared, and the family is revoked so the newest fails too', async () => {
    const { token: first } = await signedIn();
    // No body, `{}`, `null` and an empty JSON body: all are "take it from the cookie".
    const second = expectIssued(await refreshByCookie(first));
    expect(second).not.toBe(first);
    const rotated = await refreshByCookie(second, { payload: {} });
    const third = expectIssued(rotated);
    expect((await server.inject({ url: '/api/v1/auth/me', headers: bearer(rotated.json().data.accessToken) })).statusCode).toBe(200);
    const fourth = expectIssued(await refreshByCookie(third, { payload: 'null', headers: { 'content-type': 'application/json' } }));
    // As a browser sends it: Content-Length: 0.
    const fifth = expectIssued(await refreshByCookie(fourth, { payload: '', headers: { 'content-type': 'application/json', 'content-length': '0' } }));

    const reuse = await refreshByCookie(second);
    expect401(reuse, 'REFRESH_TOKEN_REUSED');
    expectCleared(reuse);
    const newest = await refreshByCookie(fifth);
    expect401(newest);
    expectCleared(newest);
  });

  it('a token in the body wins over the cookie and the answer still uses the cookie', async () => {
    const { token } = await signedIn();
    const res = await refreshByCookie('not-the-one', { payload: { refreshToken: token } });
    expectIssued(res);
  });

  it('no cookie and no body token → 401 in the envelope (any of: no body, {}, null, an empty cookie)', async () => {
    const json = { 'content-type': 'application/json' };
    for (const options of [{}, { payload: {} }, { payload: 'null', headers: json }, { payload: '', headers: json }, { cookies: { fx_refresh: '' } }]) {
      const res = await viaCookie(server, '/refresh', options);
      expect401(res, 'REFRESH_TOKEN_MISSING');
    }
  });

  it('an unknown or malformed cookie → 401 and the cookie is cleared', async () => {
    for (const junk of ['no-such-token', 'x'.repeat(2000), '%E0%A4%A']) {
      const res = await refreshByCookie(junk);
      expect401(res);
      expectCleared(res);
    }
  });

  it('refuses an x-token-transport value it does not know with 400 on that header', async () => {
    const res = await server.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { 'x-token-transport': 'jar' }, payload: {} });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'VALIDATION_ERROR' });
  });
});

describe('logout by cookie', () => {
  it("revokes the cookie's sign-in and clears the cookie", async () => {
    const { token, accessToken } = await signedIn();
    const res = await viaCookie(server, '/logout', { headers: bearer(accessToken), cookies: { fx_refresh: token } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data).toEqual({ loggedOut: true, revokedSession: true });
    expectCleared(res);
    expect401(await refreshByCookie(token));
    expect((await server.inject({ url: '/api/v1/auth/me', headers: bearer(accessToken) })).statusCode).toBe(401);
  });

  it("without a cookie (and an empty JSON body) revokes the access token's sign-in and still clears", async () => {
    const { token, accessToken } = await signedIn();
    const res = await viaCookie(server, '/logout', { headers: { ...bearer(accessToken), 'content-type': 'application/json' }, payload: '' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data).toEqual({ loggedOut: true, revokedSession: true });
    expectCleared(res);
    expect401(await refreshByCookie(token));
  });

  it("does not revoke another user's sign-in from a planted cookie", async () => {
    const mallory = await signedIn();
    const victim = await signedIn();
    const res = await viaCookie(server, '/logout', { headers: bearer(mallory.accessToken), cookies: { fx_refresh: victim.token } });
    expect(res.json().data).toEqual({ loggedOut: true, revokedSession: false });
    expectIssued(await refreshByCookie(victim.token));
  });
});

describe('without the header nothing changes', () => {
  it('tokens stay in the body, no cookie is set, and a cookie is not read', async () => {
    const { body, data } = await registerUser(server);
    expect(data.refreshToken).toEqual(expect.any(String));
    const signedInRes = await login(server, body.email, body.password);
    expect(signedInRes.json().data.refreshToken).toEqual(expect.any(String));
    expect(signedInRes.headers['set-cookie']).toBeUndefined();

    const rotated = await refresh(server, signedInRes.json().data.refreshToken);
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json().data.refreshToken).toEqual(expect.any(String));
    expect(rotated.headers['set-cookie']).toBeUndefined();

    // The cookie alone, without the opt-in: still the body's required field.
    const cookieOnly = await server.inject({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { fx_refresh: rotated.json().data.refreshToken }, payload: {} });
    expect(cookieOnly.statusCode).toBe(400);
    expect(cookieOnly.json().error).toMatchObject({ code: 'VALIDATION_ERROR', fields: { 'body.refreshToken': expect.any(Array) } });
    const noBody = await server.inject({ method: 'POST', url: '/api/v1/auth/refresh' });
    expect(noBody.statusCode).toBe(400);
    const emptyJson = await server.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { 'content-type': 'application/json' }, payload: '' });
    expect(emptyJson.statusCode).toBe(400);

    const loggedOut = await server.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(rotated.json().data.accessToken) });
    expect(loggedOut.statusCode).toBe(200);
    expect(loggedOut.headers['set-cookie']).toBeUndefined();
  });
});
