import { createHash, createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createVerifier } from 'fast-jwt';
import { TOPICS, buildEvent, toKafkaMessage } from '@foodxchange/contracts';
import { jwksKeyResolver } from '@foodxchange/service-kit';
import { bearer, dropDatabase, waitFor } from '@foodxchange/service-kit/testing';
import { buildAuth, registerUser } from './helpers.js';

let server: FastifyInstance;
let jwksUrl: string;
beforeAll(async () => {
  server = await buildAuth();
  await server.events.whenConsuming();
  jwksUrl = `${await server.listen({ host: '127.0.0.1', port: 0 })}/api/v1/auth/.well-known/jwks.json`;
});
afterAll(async () => {
  await dropDatabase(server);
  await server.close();
});

const KEY_FORMAT = /^fxk_([0-9a-f]{24})_([A-Za-z0-9_-]{43,})$/;

function call(method: 'GET' | 'POST' | 'DELETE', url: string, token?: string, payload?: unknown) {
  return server.inject({ method, url: `/api/v1/auth${url}`, headers: token ? bearer(token) : {}, ...(payload === undefined ? {} : { payload: payload as object }) });
}

async function createKey(token: string, body: Record<string, unknown> = { name: 'ERP sync' }) {
  const res = await call('POST', '/api-keys', token, body);
  if (res.statusCode !== 201) throw new Error(`create failed: ${res.statusCode} ${res.body}`);
  return res.json().data as { id: string; key: string; name: string; permissions: string[]; graceUntil?: string };
}

function exchange(key: string | undefined) {
  return server.inject({ method: 'POST', url: '/api/v1/auth/api-keys/token', headers: key === undefined ? {} : { 'x-api-key': key } });
}

async function tokenFor(key: string): Promise<{ accessToken: string; expiresIn: number }> {
  const res = await exchange(key);
  if (res.statusCode !== 200) throw new Error(`exchange failed: ${res.statusCode} ${res.body}`);
  return res.json().data;
}

/** Verifies like every other service does: the kid's key from the JWKS over HTTP. */
async function verifiedClaims(token: string) {
  const kid = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid;
  const pem = await jwksKeyResolver(jwksUrl)(kid);
  return createVerifier({ key: pem!, algorithms: ['RS256'], allowedIss: 'foodxchange-auth', allowedAud: 'foodxchange-api' })(token);
}

describe('API keys', () => {
  it('create answers the key once (fxk_<id>_<secret>); only the SHA-256 of the secret is stored; list shows no secret', async () => {
    const { data } = await registerUser(server, { role: 'supplier' });
    const created = await createKey(data.accessToken, { name: 'ERP sync', permissions: ['product:create', 'order:read'] });
    const [, id, secret] = KEY_FORMAT.exec(created.key)!;
    expect(created).toMatchObject({ id, name: 'ERP sync', prefix: `fxk_${id}`, permissions: ['product:create', 'order:read'], createdBy: data.user.id });
    expect(Buffer.from(secret!, 'base64url').length).toBeGreaterThanOrEqual(32);

    const raw = await server.mongo.db!.collection('api_keys').findOne({ _id: id as never });
    expect(raw).toMatchObject({ companyId: data.user.companyId, createdBy: data.user.id, secretHash: createHash('sha256').update(secret!).digest('hex') });
    expect(JSON.stringify(raw)).not.toContain(secret);

    const list = await call('GET', '/api-keys', data.accessToken);
    expect(list.statusCode).toBe(200);
    expect(list.json().data).toEqual([
      { id, name: 'ERP sync', prefix: `fxk_${id}`, permissions: ['product:create', 'order:read'], createdBy: data.user.id, createdAt: expect.any(String) },
    ]);
    expect(list.body).not.toContain(secret);

    // Default: every permission of the caller but managing keys.
    const all = await createKey(data.accessToken, { name: 'everything' });
    expect(all.permissions).not.toContain('api-key:manage');
    expect(all.permissions).toContain('product:create');
  });

  it('permissions must be a subset of the caller token permissions (400 field error); expiresAt in the past is 400', async () => {
    const { data } = await registerUser(server, { role: 'buyer' });
    for (const permissions of [['product:create'], ['order:read', 'user:manage'], ['no-such-permission']]) {
      const res = await call('POST', '/api-keys', data.accessToken, { name: 'too much', permissions });
      expect(res.statusCode, JSON.stringify(permissions)).toBe(400);
      expect(res.json()).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR', fields: { 'body.permissions': [expect.any(String)] } } });
    }
    const past = await call('POST', '/api-keys', data.accessToken, { name: 'old', expiresAt: new Date(Date.now() - 1000).toISOString() });
    expect(past.statusCode).toBe(400);
    expect(past.json().error.fields).toHaveProperty(['body.expiresAt']);
    expect((await call('GET', '/api-keys', data.accessToken)).json().data).toEqual([]);
  });

  it('exchange answers an RS256 token (verified via the JWKS) acting as the creator with the key subset and akid, 5 minutes; lastUsedAt written', async () => {
    const { data } = await registerUser(server, { role: 'buyer' });
    const created = await createKey(data.accessToken, { name: 'orders', permissions: ['order:read', 'rfq:read'] });
    const { accessToken, expiresIn } = await tokenFor(created.key);
    expect(expiresIn).toBe(300);
    const claims = await verifiedClaims(accessToken);
    expect(claims).toMatchObject({ sub: data.user.id, role: 'buyer', companyId: data.user.companyId, akid: created.id, jti: expect.any(String) });
    expect(claims.permissions).toEqual(['order:read', 'rfq:read']);
    expect(claims.exp - claims.iat).toBe(300);
    const me = await call('GET', '/me', accessToken);
    expect(me.statusCode).toBe(200);
    expect(me.json().data.permissions).toEqual(['order:read', 'rfq:read']);

    const listed = await waitFor(async () => (await call('GET', '/api-keys', data.accessToken)).json().data[0]?.lastUsedAt as string | undefined, {
      what: 'lastUsedAt',
    });
    await tokenFor(created.key);
    // Not written again within the minute.
    expect((await call('GET', '/api-keys', data.accessToken)).json().data[0].lastUsedAt).toBe(listed);

    for (const bad of [undefined, '', 'fxk_nope', created.key.slice(0, -2) + 'xx', `fxk_${'0'.repeat(24)}_${'A'.repeat(43)}`]) {
      const res = await exchange(bad);
      expect(res.statusCode, String(bad)).toBe(401);
      expect(res.json()).toMatchObject({ success: false, error: { code: 'AUTHENTICATION_ERROR' } });
    }
  });

  it('a token minted for an API key cannot create, list, rotate or delete keys (403), even with api-key:manage', async () => {
    const { data } = await registerUser(server);
    const created = await createKey(data.accessToken, { name: 'manager', permissions: ['api-key:manage', 'order:read'] });
    const { accessToken } = await tokenFor(created.key);
    for (const [method, url, payload] of [
      ['POST', '/api-keys', { name: 'child' }],
      ['GET', '/api-keys', undefined],
      ['DELETE', `/api-keys/${created.id}`, undefined],
      ['POST', `/api-keys/${created.id}/rotate`, {}],
      ['POST', '/mfa/enroll', {}],
    ] as const) {
      const res = await call(method, url, accessToken, payload);
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.json().error.code).toBe('AUTHORIZATION_ERROR');
    }
    // The key is untouched.
    expect((await exchange(created.key)).statusCode).toBe(200);
  });

  it('revoke: the exchange refuses the key at once, Redis auth:apikey:revoked:<id> is set, live tokens of it are refused', async () => {
    const { data } = await registerUser(server);
    const created = await createKey(data.accessToken);
    const { accessToken } = await tokenFor(created.key);
    const before = Date.now();
    const revoked = await call('DELETE', `/api-keys/${created.id}`, data.accessToken);
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().data).toMatchObject({ id: created.id, revokedAt: expect.any(String) });
    const mark = await server.redis.get(`auth:apikey:revoked:${created.id}`);
    expect(Number(mark)).toBeGreaterThanOrEqual(before - 1000);
    expect(await server.redis.pttl(`auth:apikey:revoked:${created.id}`)).toBe(-1);
    expect((await exchange(created.key)).statusCode).toBe(401);
    expect((await call('GET', '/me', accessToken)).statusCode).toBe(401);
    expect((await call('POST', `/api-keys/${created.id}/rotate`, data.accessToken, {})).statusCode).toBe(409);
  });

  it('rotate: a new key (new id, same name and permissions); both work during the grace, the old one is refused after it', async () => {
    const { data } = await registerUser(server);
    const old = await createKey(data.accessToken, { name: 'warehouse', permissions: ['order:read'] });
    const rotated = await call('POST', `/api-keys/${old.id}/rotate`, data.accessToken, { graceSeconds: 3 });
    expect(rotated.statusCode).toBe(200);
    const next = rotated.json().data;
    expect(next).toMatchObject({ name: 'warehouse', permissions: ['order:read'], rotatedFrom: old.id, key: expect.stringMatching(KEY_FORMAT) });
    expect(next.id).not.toBe(old.id);
    expect(Date.parse(next.previous.graceUntil)).toBeGreaterThan(Date.now());
    // During the grace both work; the old key's tokens end with the grace.
    const oldToken = await exchange(old.key);
    expect(oldToken.statusCode).toBe(200);
    expect(oldToken.json().data.expiresIn).toBeLessThanOrEqual(3);
    expect((await verifiedClaims(oldToken.json().data.accessToken)).exp * 1000).toBeLessThanOrEqual(Date.parse(next.previous.graceUntil));
    expect((await tokenFor(next.key)).expiresIn).toBe(300);
    // Rotated once only.
    expect((await call('POST', `/api-keys/${old.id}/rotate`, data.accessToken, {})).statusCode).toBe(409);
    await waitFor(async () => (await exchange(old.key)).statusCode === 401, { what: 'the old key to be refused after its grace' });
    expect((await exchange(next.key)).statusCode).toBe(200);
    // Grace bounds: at most 7 days.
    expect((await call('POST', `/api-keys/${next.id}/rotate`, data.accessToken, { graceSeconds: 8 * 24 * 3600 })).statusCode).toBe(400);
  });

  it('an expiring key: its tokens end with it, then the exchange refuses it', async () => {
    const { data } = await registerUser(server);
    const expiresAt = new Date(Date.now() + 4000).toISOString();
    const created = await createKey(data.accessToken, { name: 'temporary', expiresAt });
    const { expiresIn } = await tokenFor(created.key);
    expect(expiresIn).toBeLessThanOrEqual(4);
    await waitFor(async () => (await exchange(created.key)).statusCode === 401, { what: 'the key to expire' });
  });

  it("another company's key ids are 404 (delete, rotate) and are not listed", async () => {
    const owner = await registerUser(server);
    const other = await registerUser(server);
    const created = await createKey(owner.data.accessToken);
    expect((await call('DELETE', `/api-keys/${created.id}`, other.data.accessToken)).statusCode).toBe(404);
    expect((await call('POST', `/api-keys/${created.id}/rotate`, other.data.accessToken, {})).statusCode).toBe(404);
    expect((await call('DELETE', '/api-keys/no-such-key', other.data.accessToken)).statusCode).toBe(404);
    expect((await call('GET', '/api-keys', other.data.accessToken)).json().data).toEqual([]);
    expect((await exchange(created.key)).statusCode).toBe(200);
  });

  it('anonymous callers get 401 on every key route, whatever the body', async () => {
    for (const [method, url] of [
      ['POST', '/api-keys'],
      ['GET', '/api-keys'],
      ['DELETE', '/api-keys/abc'],
      ['POST', '/api-keys/abc/rotate'],
    ] as const) {
      for (const payload of [undefined, { name: 'x' }, { junk: [1], graceSeconds: 'never' }]) {
        const res = await call(method, url, undefined, method === 'GET' || method === 'DELETE' ? undefined : payload);
        expect(res.statusCode, `${method} ${url}`).toBe(401);
        expect(res.json()).toMatchObject({ success: false, error: { code: 'AUTHENTICATION_ERROR' } });
      }
    }
  });

  it("user.suspended revokes every API key of that user (database and Redis); the exchange refuses them", async () => {
    const { body, data } = await registerUser(server);
    const first = await createKey(data.accessToken, { name: 'one' });
    const second = await createKey(data.accessToken, { name: 'two' });
    const colleagueKey = await createKey((await registerUser(server)).data.accessToken, { name: 'unrelated' });
    const event = buildEvent(TOPICS.userSuspended, {
      source: '/foodxchange/admin',
      subject: data.user.id,
      data: { userId: data.user.id, email: body.email, companyId: data.user.companyId!, reason: 'Fraud', suspendedBy: 'admin-1', suspendedAt: new Date().toISOString() },
      correlationId: `test-${data.user.id}`,
    });
    await server.events.producer.send({ topic: server.events.brokerTopic(TOPICS.userSuspended), messages: [toKafkaMessage(event)] });
    for (const key of [first, second]) {
      await waitFor(() => server.redis.get(`auth:apikey:revoked:${key.id}`), { what: `the revoked mark of ${key.name}` });
      expect((await exchange(key.key)).statusCode).toBe(401);
    }
    expect(await server.auth.apiKeys.keys.countDocuments({ createdBy: data.user.id, revokedAt: null })).toBe(0);
    expect((await exchange(colleagueKey.key)).statusCode).toBe(200);
  });
});
