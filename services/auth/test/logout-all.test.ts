import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { bearer, dropDatabase } from '@foodxchange/service-kit/testing';
import { buildAuth, login, refresh, registerUser } from './helpers.js';

// Sign out everywhere (POST /auth/logout-all): every sign-in of the user ends, other users' do not.

let server: FastifyInstance;
beforeAll(async () => {
  server = await buildAuth();
  await server.ready();
});
afterAll(async () => {
  await dropDatabase(server);
  await server.close();
});

const me = (token: string) => server.inject({ url: '/api/v1/auth/me', headers: bearer(token) });
const logoutAll = (token: string, headers: Record<string, string> = {}) =>
  server.inject({ method: 'POST', url: '/api/v1/auth/logout-all', headers: { ...bearer(token), ...headers } });

/** Resolves once the wall clock is in a later whole second than `ms` (token iat has second precision). */
async function nextSecondAfter(ms: number): Promise<void> {
  const target = (Math.floor(ms / 1000) + 1) * 1000;
  while (Date.now() < target) await new Promise((resolve) => setTimeout(resolve, Math.max(1, target - Date.now())));
}

describe('POST /auth/logout-all', () => {
  it('ends every sign-in of the caller: refresh tokens and access tokens of all sessions are refused', async () => {
    const { body, data: first } = await registerUser(server);
    const second = (await login(server, body.email, body.password)).json().data;
    const third = (await login(server, body.email, body.password)).json().data;
    expect((await me(second.accessToken)).statusCode).toBe(200);

    const res = await logoutAll(second.accessToken);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data).toEqual({ loggedOut: true, revokedSessions: 3 });
    const signedOutAt = Date.now();

    for (const session of [first, second, third]) {
      expect((await refresh(server, session.refreshToken)).statusCode).toBe(401);
      const refused = await me(session.accessToken);
      expect(refused.statusCode).toBe(401);
      expect(refused.json()).toMatchObject({ success: false, error: { code: 'AUTHENTICATION_ERROR' } });
    }

    // A sign-in in a later second is a new session and works.
    await nextSecondAfter(signedOutAt);
    const fresh = (await login(server, body.email, body.password)).json().data;
    expect((await me(fresh.accessToken)).statusCode).toBe(200);
    expect((await refresh(server, fresh.refreshToken)).statusCode).toBe(200);
  });

  it("leaves other users' sessions alone", async () => {
    const { data: mine } = await registerUser(server);
    const { data: theirs } = await registerUser(server);
    expect((await logoutAll(mine.accessToken)).json().data.revokedSessions).toBe(1);
    expect((await me(theirs.accessToken)).statusCode).toBe(200);
    expect((await refresh(server, theirs.refreshToken)).statusCode).toBe(200);
  });

  it('clears the refresh cookie with the cookie transport, and refuses anonymous callers', async () => {
    const { data } = await registerUser(server);
    const res = await logoutAll(data.accessToken, { 'x-token-transport': 'cookie' });
    expect(res.statusCode).toBe(200);
    const cookie = (res.cookies as { name: string; value: string; maxAge?: number }[]).find((c) => c.name === 'fx_refresh');
    expect(cookie).toMatchObject({ value: '', maxAge: 0 });

    const anonymous = await server.inject({ method: 'POST', url: '/api/v1/auth/logout-all' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ success: false, error: { code: 'AUTHENTICATION_ERROR' } });
    const wrongMethod = await server.inject({ method: 'GET', url: '/api/v1/auth/logout-all', headers: bearer(data.accessToken) });
    expect(wrongMethod.statusCode).toBeGreaterThanOrEqual(400);
    expect(wrongMethod.statusCode).toBeLessThan(500);
  });
});
