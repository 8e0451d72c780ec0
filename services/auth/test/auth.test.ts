import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createVerifier } from 'fast-jwt';
import { createPublicKey } from 'node:crypto';
import { permissionsOf } from '@foodxchange/contracts';
import { jwksKeyResolver } from '@foodxchange/service-kit';
import { bearer, dropDatabase } from '@foodxchange/service-kit/testing';
import { removeExpiredSessions } from '../src/sessions/service.js';
import { buildAuth, login, refresh, registerBody, registerUser, uniqueEmail, uniqueIp } from './helpers.js';

let server: FastifyInstance;
beforeAll(async () => {
  server = await buildAuth();
});
afterAll(async () => {
  await dropDatabase(server);
  await server.close();
});

const me = (token: string) => server.inject({ url: '/api/v1/auth/me', headers: bearer(token) });

describe('register, login, me', () => {
  it('registers a buyer with its company, answers tokens, and the user can sign in and read itself', async () => {
    const body = registerBody({ email: uniqueEmail('Anna.Lindqvist') });
    const res = await server.inject({ method: 'POST', url: '/api/v1/auth/register', payload: body });
    expect(res.statusCode).toBe(201);
    const data = res.json().data;
    expect(data.user).toEqual({ id: expect.any(String), email: body.email.toLowerCase(), role: 'buyer', companyId: expect.any(String) });
    expect(data).toMatchObject({ accessToken: expect.any(String), refreshToken: expect.any(String), expiresIn: 900 });

    const signedIn = await login(server, body.email.toUpperCase(), body.password);
    expect(signedIn.statusCode).toBe(200);
    expect(signedIn.json().data.user).toEqual(data.user);

    const self = await me(signedIn.json().data.accessToken);
    expect(self.statusCode).toBe(200);
    expect(self.json().data).toMatchObject({ id: data.user.id, email: data.user.email, name: 'Anna Lindqvist', role: 'buyer', status: 'active' });
    expect(self.json().data.permissions.sort()).toEqual(permissionsOf('buyer').sort());
  });

  it('stores only an argon2id hash of the password', async () => {
    const { body, data } = await registerUser(server);
    const stored = await server.auth.credentials.findById(data.user.id).lean();
    expect(stored!.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(JSON.stringify(stored)).not.toContain(body.password);
  });

  it('refuses admin and super_admin as a registration role with a field error', async () => {
    for (const role of ['admin', 'super_admin']) {
      const res = await server.inject({ method: 'POST', url: '/api/v1/auth/register', payload: registerBody({ role }) });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'VALIDATION_ERROR', fields: { 'body.role': expect.any(Array) } });
    }
  });

  it('enforces the password policy with field errors', async () => {
    const email = uniqueEmail('marguerite');
    const cases: [string, RegExp][] = [
      ['Short-1', /fewer than 12|at least 12/],
      ['x'.repeat(129), /more than 128|at most 128/],
      [`${email.split('@')[0]}-Secret!`, /e-mail/],
      ['qwerty123456', /common/],
    ];
    for (const [password, message] of cases) {
      const res = await server.inject({ method: 'POST', url: '/api/v1/auth/register', payload: registerBody({ email, password }) });
      expect(res.statusCode, password).toBe(400);
      expect(res.json().error.fields['body.password'].join(' ')).toMatch(message);
    }
  });

  it('refuses a second account for the same e-mail in any case with 409', async () => {
    const email = uniqueEmail('dup');
    await registerUser(server, { email });
    const res = await server.inject({ method: 'POST', url: '/api/v1/auth/register', payload: registerBody({ email: email.toUpperCase() }) });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ success: false, error: { code: 'CONFLICT' } });
  });

  it('refuses 20 concurrent registrations of one address except one (the unique index decides)', async () => {
    const email = uniqueEmail('race');
    const results = await Promise.all(
      Array.from({ length: 20 }, () => server.inject({ method: 'POST', url: '/api/v1/auth/register', payload: registerBody({ email }) })),
    );
    expect(results.map((res) => res.statusCode).sort()).toEqual([201, ...Array(19).fill(409)]);
    expect(await server.auth.credentials.countDocuments({ email })).toBe(1);
  });
});

describe('access tokens', () => {
  it('verify against the served JWKS: RS256, kid, iss, aud, 15 minutes, the contract claims', async () => {
    const { data } = await registerUser(server, { role: 'supplier' });
    const jwksRes = await server.inject({ url: '/api/v1/auth/.well-known/jwks.json' });
    expect(jwksRes.statusCode).toBe(200);
    expect(jwksRes.headers['cache-control']).toMatch(/public, max-age=\d+/);
    const { keys } = jwksRes.json();
    const [headerPart] = data.accessToken.split('.');
    const header = JSON.parse(Buffer.from(headerPart!, 'base64url').toString());
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: expect.any(String) });
    const jwk = keys.find((key: { kid: string }) => key.kid === header.kid);
    expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
    const claims = createVerifier({ key: pem, algorithms: ['RS256'], allowedIss: 'foodxchange-auth', allowedAud: 'foodxchange-api' })(
      data.accessToken,
    );
    expect(claims).toMatchObject({ sub: data.user.id, role: 'supplier', companyId: data.user.companyId, jti: expect.any(String) });
    expect(claims.permissions.sort()).toEqual(permissionsOf('supplier').sort());
    expect(claims.exp - claims.iat).toBe(900);
  });

  it("are accepted by the kit's JWKS resolver the other services use (fetched over HTTP)", async () => {
    const { data } = await registerUser(server);
    const address = await server.listen({ host: '127.0.0.1', port: 0 });
    const resolve = jwksKeyResolver(`${address}/api/v1/auth/.well-known/jwks.json`);
    const kid = JSON.parse(Buffer.from(data.accessToken.split('.')[0]!, 'base64url').toString()).kid;
    const pem = await resolve(kid);
    expect(pem).toEqual(expect.stringContaining('PUBLIC KEY'));
    const claims = createVerifier({ key: pem!, algorithms: ['RS256'] })(data.accessToken);
    expect(claims.sub).toBe(data.user.id);
    expect(await resolve('no-such-kid')).toBeUndefined();
  });

  it('answers anonymous and bad-token callers of protected routes 401, whatever the body', async () => {
    for (const request of [
      { method: 'GET' as const, url: '/api/v1/auth/me' },
      { method: 'POST' as const, url: '/api/v1/auth/logout', payload: { junk: ['x'] } },
      { method: 'POST' as const, url: '/api/v1/auth/logout', payload: 'not json', headers: { 'content-type': 'application/json' } },
    ]) {
      const res = await server.inject(request);
      expect(res.statusCode, request.url).toBe(401);
      expect(res.json()).toMatchObject({ success: false, error: { code: 'AUTHENTICATION_ERROR' } });
      const forged = await server.inject({ ...request, headers: { ...request.headers, authorization: 'Bearer abc.def.ghi' } });
      expect(forged.statusCode).toBe(401);
    }
  });
});

describe('refresh rotation', () => {
  it('rotates on every use; reusing a rotated token revokes the family, the newest token too', async () => {
    const { data } = await registerUser(server);
    const first = await refresh(server, data.refreshToken);
    expect(first.statusCode).toBe(200);
    const second = first.json().data;
    expect(second.refreshToken).not.toBe(data.refreshToken);
    expect(second.user).toEqual(data.user);
    expect((await me(second.accessToken)).statusCode).toBe(200);

    const third = (await refresh(server, second.refreshToken)).json().data;
    const reuse = await refresh(server, data.refreshToken);
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json().error).toMatchObject({ code: 'AUTHENTICATION_ERROR', details: { reason: 'REFRESH_TOKEN_REUSED' } });
    // The whole family is gone: the newest token of it no longer works.
    expect((await refresh(server, third.refreshToken)).statusCode).toBe(401);
  });

  it('lets exactly one of concurrent uses of one token win, and the race revokes the family', async () => {
    const { data } = await registerUser(server);
    const results = await Promise.all(Array.from({ length: 8 }, () => refresh(server, data.refreshToken)));
    const winners = results.filter((res) => res.statusCode === 200);
    expect(winners).toHaveLength(1);
    expect(results.filter((res) => res.statusCode === 401)).toHaveLength(7);
    expect((await refresh(server, winners[0]!.json().data.refreshToken)).statusCode).toBe(401);
  });

  it('forgets expired tokens and ended sign-ins in the cleanup job', async () => {
    const { data } = await registerUser(server);
    const familyId = (await server.auth.sessions.tokens.findOne({ userId: data.user.id }).lean())!.familyId;
    await removeExpiredSessions(server.auth, new Date(Date.now() + 40 * 24 * 3600 * 1000));
    expect(await server.auth.sessions.tokens.countDocuments({ userId: data.user.id })).toBe(0);
    expect(await server.auth.sessions.families.countDocuments({ _id: familyId })).toBe(0);
    expect((await refresh(server, data.refreshToken)).statusCode).toBe(401);
  });

  it('refuses unknown refresh tokens with 401', async () => {
    expect((await refresh(server, 'no-such-token')).statusCode).toBe(401);
  });

  it('stores refresh tokens only as SHA-256 hashes', async () => {
    const { data } = await registerUser(server);
    const tokens = await server.auth.sessions.tokens.find({ userId: data.user.id }).lean();
    expect(tokens).toHaveLength(1);
    expect(tokens[0]!._id).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(tokens)).not.toContain(data.refreshToken);
  });
});

describe('logout', () => {
  it('denylists the access token in Redis until it expires and revokes the family', async () => {
    const { data } = await registerUser(server);
    const claims = JSON.parse(Buffer.from(data.accessToken.split('.')[1]!, 'base64url').toString());
    const res = await server.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: bearer(data.accessToken),
      payload: { refreshToken: data.refreshToken },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual({ loggedOut: true, revokedSession: true });
    expect(await server.redis.get(`auth:denylist:jti:${claims.jti}`)).toBe('1');
    const ttl = await server.redis.pttl(`auth:denylist:jti:${claims.jti}`);
    expect(ttl).toBeGreaterThan(800_000);
    expect(ttl).toBeLessThanOrEqual(900_000);
    expect((await refresh(server, data.refreshToken)).statusCode).toBe(401);
    expect((await me(data.accessToken)).statusCode).toBe(401);
  });

  it('without a body revokes the family of the access token used', async () => {
    const { body } = await registerUser(server);
    const session = (await login(server, body.email, body.password)).json().data;
    const res = await server.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(session.accessToken) });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.revokedSession).toBe(true);
    expect((await refresh(server, session.refreshToken)).statusCode).toBe(401);
  });

  it("does not revoke another user's session", async () => {
    const mallory = await registerUser(server);
    const victim = await registerUser(server);
    await server.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: bearer(mallory.data.accessToken),
      payload: { refreshToken: victim.data.refreshToken },
    });
    expect((await refresh(server, victim.data.refreshToken)).statusCode).toBe(200);
  });
});

describe('login failures', () => {
  it('answers an unknown e-mail and a wrong password alike, both after a real hash', async () => {
    const { body } = await registerUser(server);
    const ip = uniqueIp();
    const verify = server.auth.hasher.verify.bind(server.auth.hasher);
    let verifications = 0;
    server.auth.hasher.verify = async (hash, password) => {
      verifications += 1;
      return verify(hash, password);
    };
    try {
      const unknown = await login(server, uniqueEmail('nobody'), body.password, ip);
      const wrong = await login(server, body.email, 'Wrong-Password-123', ip);
      expect(verifications).toBe(2);
      expect(unknown.statusCode).toBe(401);
      expect(wrong.statusCode).toBe(401);
      expect(unknown.json().error).toEqual(wrong.json().error);
    } finally {
      server.auth.hasher.verify = verify;
    }
  });

  it('locks an account after N failures (429 with Retry-After), and a success after the lock resets the count', async () => {
    const { body } = await registerUser(server);
    const ip = uniqueIp();
    for (let attempt = 0; attempt < 3; attempt += 1) expect((await login(server, body.email, 'Wrong-Password-123', ip)).statusCode).toBe(401);
    const locked = await login(server, body.email, body.password, ip);
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({ success: false, error: { code: 'RATE_LIMITED' } });
    expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Locked for every address, not just the attacker's.
    expect((await login(server, body.email, body.password, uniqueIp())).statusCode).toBe(429);

    // The lock (1.5 s in this app) ends; the right password works and clears the count.
    const after = await waitForStatus(() => login(server, body.email, body.password, ip), 200);
    expect(after.json().data.user.email).toBe(body.email);
    for (let attempt = 0; attempt < 2; attempt += 1) expect((await login(server, body.email, 'Wrong-Password-123', ip)).statusCode).toBe(401);
    expect((await login(server, body.email, body.password, ip)).statusCode).toBe(200);
  });

  it('doubles the lock each time it is hit again', async () => {
    const { body } = await registerUser(server);
    const ip = uniqueIp();
    for (let attempt = 0; attempt < 3; attempt += 1) await login(server, body.email, 'Wrong-Password-123', ip);
    await waitForStatus(() => login(server, body.email, 'Wrong-Password-123', ip), 401);
    for (let attempt = 0; attempt < 2; attempt += 1) await login(server, body.email, 'Wrong-Password-123', ip);
    const locked = await login(server, body.email, body.password, ip);
    expect(locked.statusCode).toBe(429);
    // Second lock: 3 s instead of 1.5 s.
    expect(Number(locked.headers['retry-after'])).toBe(3);
  });

  it('refuses an address with too many failures over many accounts', async () => {
    const spray = await buildAuth({ LOGIN_IP_MAX_FAILURES: 4, LOGIN_MAX_FAILURES: 10 });
    try {
      const ip = uniqueIp();
      for (let attempt = 0; attempt < 4; attempt += 1) expect((await login(spray, uniqueEmail('spray'), 'Wrong-Password-123', ip)).statusCode).toBe(401);
      const refused = await login(spray, uniqueEmail('spray'), 'Wrong-Password-123', ip);
      expect(refused.statusCode).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      // Another address is not affected.
      expect((await login(spray, uniqueEmail('spray'), 'Wrong-Password-123', uniqueIp())).statusCode).toBe(401);
    } finally {
      await dropDatabase(spray);
      await spray.close();
    }
  });
});

async function waitForStatus(call: () => Promise<{ statusCode: number; json(): any; headers: Record<string, unknown> }>, status: number) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await call();
    if (res.statusCode === status) return res;
    if (Date.now() > deadline) throw new Error(`still ${res.statusCode}, wanted ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

