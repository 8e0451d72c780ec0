/**
 * API keys at the edge: a key is exchanged at auth for a short-lived token of its permissions
 * (cached, one exchange for many calls), the services get that token and never the key, a revoked
 * key stops on the next request, and each key has its own rate limit. Auth is played by a scripted
 * upstream that mints real tokens with the test issuer; Redis is real.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { UPSTREAMS } from '../src/upstreams.js';
import { answerJson, envelope, fetchBody, startGateway, startScripted, startUpstream, testIssuer, tokenFor, urlOf, type ScriptedUpstream, type Upstream } from './helpers.js';

const keyId = () => randomBytes(12).toString('hex');
const apiKey = (id: string) => `fxk_${id}_${randomBytes(32).toString('base64url')}`;

/** Keys auth knows, with the user they act for. */
const known = new Map<string, { akid: string; sub: string; companyId: string }>();
let exchanges = 0;
let auth: ScriptedUpstream;
let user: Upstream;
let gateway: FastifyInstance;
let limited: FastifyInstance;

beforeAll(async () => {
  const issuer = await testIssuer();
  auth = await startScripted((req, res) => {
    if (req.url === '/health/ready') {
      return answerJson(res, 200, envelope({ data: { status: 'ok', service: 'auth', version: '1.0.0', uptimeSeconds: 1, checks: {} } }));
    }
    req.resume();
    if (req.method === 'POST' && req.url === '/api/v1/auth/api-keys/token') {
      exchanges += 1;
      const key = known.get(String(req.headers['x-api-key']));
      if (!key) return answerJson(res, 401, envelope({ error: { code: 'AUTHENTICATION_ERROR', message: 'The API key is not valid' } }));
      const accessToken = issuer.token({ role: 'supplier', sub: key.sub, companyId: key.companyId, akid: key.akid, permissions: ['company:read', 'order:read'], expiresIn: 300 });
      return answerJson(res, 200, envelope({ data: { accessToken, tokenType: 'Bearer', expiresIn: 300 } }));
    }
    // Any other auth path: what reached the service.
    answerJson(res, 200, envelope({ data: { apiKey: req.headers['x-api-key'] ?? null, authorization: req.headers.authorization ?? null } }));
  });
  user = await startUpstream('user');
  const urls = Object.fromEntries(UPSTREAMS.map((u) => [u.name, u.name === 'user' ? user.url : auth.url]));
  gateway = await startGateway(urls);
  limited = await startGateway(urls, { RATE_LIMIT_WINDOW_MS: 60_000, RATE_LIMIT_API_KEY_MAX: 3 });
});

afterAll(async () => {
  await Promise.all([gateway, limited].map((g) => g?.close()));
  await user?.server.close();
  await auth?.close();
});

const on = (app: FastifyInstance, path: string, headers: Record<string, string>) => fetchBody(`${urlOf(app)}${path}`, { headers });

function newKey() {
  const akid = keyId();
  const key = apiKey(akid);
  const sub = `user-${akid}`;
  known.set(key, { akid, sub, companyId: `company-${akid}` });
  return { key, akid, sub };
}

describe('API keys at the gateway', () => {
  it('a key reaches the service as a verified token of its own (the service never sees the key), exchanged once for many calls', async () => {
    const { key, sub } = newKey();
    const before = exchanges;
    for (let i = 0; i < 5; i += 1) {
      const res = await on(gateway, '/api/v1/users/whoami', { 'x-api-key': key });
      expect(res.status).toBe(200);
      // The stand-in service verified the token against the JWKS itself.
      expect(res.body.data.userId).toBe(sub);
      expect(res.body.data.authorization).toMatch(/^Bearer ey/);
    }
    expect(exchanges - before).toBe(1);
    const seen = await on(gateway, '/api/v1/auth/anything', { 'x-api-key': key });
    expect(seen.body.data.apiKey).toBeNull();
    expect(seen.body.data.authorization).toMatch(/^Bearer /);
  });

  it('refuses unknown keys (401 from auth) and malformed ones without asking auth', async () => {
    const unknown = await on(gateway, '/api/v1/users/whoami', { 'x-api-key': apiKey(keyId()) });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toMatchObject({ success: false, error: { code: 'AUTHENTICATION_ERROR' } });
    const before = exchanges;
    for (const malformed of ['fx_live_something', 'fxk_nothex_abc', `fxk_${keyId()}_short`]) {
      expect((await on(gateway, '/api/v1/users/whoami', { 'x-api-key': malformed })).status).toBe(401);
    }
    expect(exchanges).toBe(before);
  });

  it('a revoked key stops on the next request, though its token is cached', async () => {
    const { key, akid } = newKey();
    expect((await on(gateway, '/api/v1/users/whoami', { 'x-api-key': key })).status).toBe(200);
    // What auth writes on DELETE /auth/api-keys/:id (and for every key of a suspended user).
    await gateway.redis.set(`auth:apikey:revoked:${akid}`, String(Date.now()));
    try {
      const res = await on(gateway, '/api/v1/users/whoami', { 'x-api-key': key });
      expect(res.status).toBe(401);
      expect(res.body.error.message).toMatch(/revoked/);
    } finally {
      await gateway.redis.del(`auth:apikey:revoked:${akid}`);
    }
  });

  it('each key has its own rate limit, apart from its user and from other keys', async () => {
    const first = newKey();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await on(limited, '/api/v1/users/whoami', { 'x-api-key': first.key })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await on(limited, '/api/v1/users/whoami', { 'x-api-key': first.key });
    expect(refused.body.error).toMatchObject({ code: 'RATE_LIMITED', details: { scope: 'api-key' } });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another key, and the key's own user signing in, are still served.
    expect((await on(limited, '/api/v1/users/whoami', { 'x-api-key': newKey().key })).status).toBe(200);
    const token = await tokenFor({ role: 'supplier', sub: first.sub });
    expect((await on(limited, '/api/v1/users/whoami', { authorization: `Bearer ${token}` })).status).toBe(200);
  });
});
