/**
 * The edge: which calls pass without a token, which tokens are refused before anything is
 * proxied, the Redis denylist, the shared rate limits (and what happens while Redis is down),
 * browser headers. Real Redis, real tokens from a test issuer, upstreams on real ports: a
 * scripted one that counts what reaches it, and a kit service that verifies the token again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { bearer, waitFor } from '@foodxchange/service-kit/testing';
import { UPSTREAMS } from '../src/upstreams.js';
import { answerJson, envelope, fetchBody, startGateway, startScripted, startUpstream, testIssuer, tokenFor, urlOf, type ScriptedUpstream, type Upstream } from './helpers.js';

/**
 * The counting tests need every call inside one window, however loaded the machine (a 4 s window
 * once rolled over mid-count in CI): a minute. Each test gateway counts in its own Redis namespace.
 */
const WINDOW_MS = 60_000;
/** Short enough to wait out: only the test that the window passes uses it. */
const BRIEF_WINDOW_MS = 1000;

let scripted: ScriptedUpstream;
let user: Upstream;
let gateway: FastifyInstance;
let limited: FastifyInstance;
let brief: FastifyInstance;
let redisDown: FastifyInstance;
/** The Redis auth writes the denylist to (here: the test writes it, through a gateway's client). */
let redis: FastifyInstance['redis'];

beforeAll(async () => {
  scripted = await startScripted((req, res) => {
    if (req.url === '/health/ready') {
      return answerJson(res, 200, envelope({ data: { status: 'ok', service: 'scripted', version: '1.0.0', uptimeSeconds: 1, checks: {} } }));
    }
    req.resume();
    answerJson(res, 200, envelope({ data: { path: req.url, userId: req.headers['x-user-id'] ?? null, authorization: req.headers.authorization ?? null } }));
  });
  user = await startUpstream('user');
  const urls = Object.fromEntries(UPSTREAMS.map((u) => [u.name, u.name === 'user' ? user.url : scripted.url]));
  gateway = await startGateway(urls);
  limited = await startGateway(urls, { RATE_LIMIT_WINDOW_MS: WINDOW_MS, RATE_LIMIT_GLOBAL_MAX: 6, RATE_LIMIT_USER_MAX: 3, RATE_LIMIT_AUTH_MAX: 2, RATE_LIMIT_REFRESH_MAX: 4 });
  brief = await startGateway(urls, { RATE_LIMIT_WINDOW_MS: BRIEF_WINDOW_MS, RATE_LIMIT_GLOBAL_MAX: 2 });
  // Nothing listens on port 1: this replica runs without Redis from the start.
  redisDown = await startGateway(urls, { REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_GLOBAL_MAX: 2, RATE_LIMIT_USER_MAX: 2, RATE_LIMIT_AUTH_MAX: 2 });
  redis = gateway.redis;
});

afterAll(async () => {
  await Promise.all([gateway, limited, brief, redisDown].map((g) => g?.close()));
  await user?.server.close();
  await scripted?.close();
});

const on = (app: FastifyInstance, path: string, init: RequestInit = {}) => fetchBody(`${urlOf(app)}${path}`, init);
const from = (address: string, headers: Record<string, string> = {}) => ({ headers: { 'x-forwarded-for': address, ...headers } });
const reached = () => [...scripted.hits.values()].reduce((sum, n) => sum + n, 0);

function expect401(res: { status: number; body: any }) {
  expect(res.status).toBe(401);
  expect(res.body).toMatchObject({ success: false, error: { code: 'AUTHENTICATION_ERROR' }, metadata: { version: 'v1' } });
}

describe('anonymous callers', () => {
  it('get a 401 envelope on every protected proxied path, whatever the body, and nothing reaches a service', async () => {
    const before = reached();
    const bodies: RequestInit[] = [
      {},
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' },
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ anything: 'x'.repeat(50_000) }) },
      { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: 'a,b' },
      { method: 'DELETE' },
      // An API key is not accepted yet: alone, it is no credential.
      { headers: { 'x-api-key': 'fx_live_something' } },
    ];
    for (const { prefixes } of UPSTREAMS) {
      for (const prefix of prefixes) {
        for (const init of bodies) expect401(await on(gateway, `${prefix}/some/thing`, init));
      }
    }
    // Look-alikes of the public routes are not public.
    for (const [method, path] of [
      ['GET', '/api/v1/auth/login'],
      ['POST', '/api/v1/auth/login/extra'],
      ['POST', '/api/v1/auth/logout'],
      ['GET', '/api/v1/auth/me'],
      ['POST', '/api/v1/auth/mfa/enroll'],
      ['PUT', '/api/v1/compliance/rules/EU'],
      ['GET', '/api/v1/compliance/checks'],
      ['GET', '/api/v1/compliance/rules/%2e%2e/checks'],
      ['GET', '/api/v1/compliance/rules/../checks'],
      ['POST', '/api/v1/compliance/validate'],
    ] as const) {
      expect401(await on(gateway, path, { method }));
    }
    expect(reached()).toBe(before);
  });

  it('pass without a token on the public routes', async () => {
    for (const [method, path] of [
      ['POST', '/api/v1/auth/register'],
      ['POST', '/api/v1/auth/login'],
      ['POST', '/api/v1/auth/refresh'],
      ['POST', '/api/v1/auth/mfa/verify'],
      ['GET', '/api/v1/auth/.well-known/jwks.json'],
      ['GET', '/api/v1/compliance/rules'],
      ['GET', '/api/v1/compliance/rules/EU'],
      ['GET', '/api/v1/compliance/rules/EU/versions?limit=2'],
      ['GET', '/api/v1/compliance/markets'],
    ] as const) {
      const before = scripted.hitsOf(method, path.split('?')[0]!);
      const res = await on(gateway, path, method === 'POST' ? { method, headers: { 'content-type': 'application/json' }, body: '{}' } : {});
      expect(res.status, `${method} ${path}`).toBe(200);
      expect(scripted.hitsOf(method, path.split('?')[0]!)).toBe(before + 1);
    }
    for (const path of ['/health', '/docs/', '/openapi.json', '/metrics']) expect((await on(gateway, path)).status, path).toBe(200);
  });

  it('with a stale token can still sign in: an invalid token on a public call is ignored', async () => {
    const issuer = await testIssuer();
    const res = await on(gateway, '/api/v1/auth/refresh', { method: 'POST', headers: bearer(issuer.token({ expiresIn: -60 })) });
    expect(res.status).toBe(200);
    expect(res.body.data.userId).toBeNull();
  });
});

describe('tokens', () => {
  it('a valid one passes: the Authorization header goes on unchanged, the service verifies it again, the identity is forwarded for its logs', async () => {
    const token = await tokenFor({ sub: 'user-edge-1', companyId: 'company-edge-1' });
    const res = await on(gateway, '/api/v1/users/whoami', { headers: { ...bearer(token), 'x-user-id': 'someone-else', 'x-user-role': 'super_admin' } });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      userId: 'user-edge-1',
      authorization: `Bearer ${token}`,
      forwardedIdentity: { userId: 'user-edge-1', role: 'buyer', companyId: 'company-edge-1' },
    });
    // An anonymous caller's own x-user-* headers never reach a service.
    const anonymous = await on(gateway, '/api/v1/compliance/markets', { headers: { 'x-user-id': 'forged-user' } });
    expect(anonymous.body.data.userId).toBeNull();
  });

  it('expired, forged, unsigned, HS256 with the public key, unknown kid, wrong iss or aud: 401 at the gateway, never proxied', async () => {
    const issuer = await testIssuer();
    const before = reached();
    const refused = {
      expired: issuer.token({ expiresIn: -60 }),
      forged: issuer.forged(),
      'alg none': issuer.unsigned(),
      'HS256 with the public key': issuer.hs256WithPublicKey(),
      'unknown kid': issuer.token({ kid: 'not-a-known-key' }),
      'wrong iss': issuer.token({ iss: 'someone-else' }),
      'wrong aud': issuer.token({ aud: 'another-api' }),
      'not a JWT': 'not-a-jwt',
    };
    for (const [what, token] of Object.entries(refused)) {
      const res = await on(gateway, '/api/v1/orders/anything', { headers: bearer(token) });
      expect(res.status, what).toBe(401);
      expect(res.body.error.code, what).toBe('AUTHENTICATION_ERROR');
    }
    expect((await on(gateway, '/api/v1/orders/anything', { headers: { authorization: 'Basic dXNlcjpwYXNz' } })).status).toBe(401);
    expect(reached()).toBe(before);
  });

  it('a token denylisted by its jti (logout) is refused on the next request', async () => {
    const jti = crypto.randomUUID();
    const token = await tokenFor({ jti });
    expect((await on(gateway, '/api/v1/orders/mine', { headers: bearer(token) })).status).toBe(200);
    await redis.set(`auth:denylist:jti:${jti}`, '1', 'PX', 60_000);
    const res = await on(gateway, '/api/v1/orders/mine', { headers: bearer(token) });
    expect401(res);
    expect(res.body.error.message).toMatch(/revoked/);
    // On a public call the revoked token is simply not used.
    const open = await on(gateway, '/api/v1/compliance/markets', { headers: bearer(token) });
    expect(open.status).toBe(200);
    expect(open.body.data.userId).toBeNull();
  });

  it('a suspended user’s tokens issued before the mark are refused; one issued after it passes', async () => {
    const issuer = await testIssuer();
    const sub = `user-suspended-${crypto.randomUUID()}`;
    const old = issuer.token({ sub });
    expect((await on(gateway, '/api/v1/orders/mine', { headers: bearer(old) })).status).toBe(200);
    const issuedAtMs = JSON.parse(Buffer.from(old.split('.')[1]!, 'base64url').toString()).iat * 1000;
    // Suspended the very millisecond the old token was issued (iat * 1000 <= mark is refused).
    await redis.set(`auth:denylist:user:${sub}`, String(issuedAtMs), 'PX', 60_000);
    const res = await on(gateway, '/api/v1/orders/mine', { headers: bearer(old) });
    expect401(res);
    expect(res.body.error.message).toMatch(/suspended/);
    // After signing in again (a token issued after the mark: iat has whole seconds).
    const fresh = await waitFor(() => {
      const token = issuer.token({ sub });
      return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).iat * 1000 > issuedAtMs && token;
    }, { what: 'a token issued after the suspension mark' });
    expect((await on(gateway, '/api/v1/orders/mine', { headers: bearer(fresh) })).status).toBe(200);
  });
});

describe('rate limits (shared in Redis)', () => {
  function expect429(res: { status: number; headers: Headers; body: any }, scope: string) {
    expect(res.status).toBe(429);
    expect(res.body).toMatchObject({ success: false, error: { code: 'RATE_LIMITED', details: { scope } } });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(res.headers.get('ratelimit-remaining')).toBe('0');
    expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(0);
  }

  it('per address: counted with RateLimit-* headers, 429 with Retry-After past the limit, another client unaffected', async () => {
    const address = '198.51.100.1';
    const first = await on(limited, '/api/v1/compliance/markets', from(address));
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-limit')).toBe('6');
    expect(first.headers.get('ratelimit-remaining')).toBe('5');
    expect(first.headers.get('ratelimit-policy')).toBe(`6;w=${WINDOW_MS / 1000}`);
    for (let i = 2; i <= 6; i += 1) expect((await on(limited, '/api/v1/compliance/markets', from(address))).status).toBe(200);
    const before = reached();
    const refused = await on(limited, '/api/v1/compliance/markets', from(address));
    expect429(refused, 'address');
    expect(reached()).toBe(before);
    // Another client is not affected.
    expect((await on(limited, '/api/v1/compliance/markets', from('198.51.100.2'))).status).toBe(200);
  });

  it('per address: served again once the window has passed', async () => {
    const address = '198.51.100.3';
    // Calls until refused: on a loaded machine a window may pass between two of them.
    let refused: Awaited<ReturnType<typeof on>> | undefined;
    for (let i = 0; i < 20 && !refused; i += 1) {
      const res = await on(brief, '/api/v1/compliance/markets', from(address));
      if (res.status === 429) refused = res;
      else expect(res.status).toBe(200);
    }
    expect(refused).toBeDefined();
    expect429(refused!, 'address');
    await waitFor(async () => (await on(brief, '/api/v1/compliance/markets', from(address))).status === 200, {
      timeoutMs: 10 * BRIEF_WINDOW_MS,
      intervalMs: 100,
      what: 'the window to pass',
    });
  });

  it('per user: keyed by the verified user, whatever address the calls come from', async () => {
    const token = await tokenFor();
    for (const address of ['198.51.100.10', '198.51.100.11', '198.51.100.12']) {
      const res = await on(limited, '/api/v1/orders/mine', from(address, bearer(token)));
      expect(res.status).toBe(200);
    }
    expect429(await on(limited, '/api/v1/orders/mine', from('198.51.100.13', bearer(token))), 'user');
    // Another user from the same address still passes.
    expect((await on(limited, '/api/v1/orders/mine', from('198.51.100.13', bearer(await tokenFor())))).status).toBe(200);
  });

  it('sign-in routes: strict per address and route', async () => {
    const address = '198.51.100.20';
    const login = () => on(limited, '/api/v1/auth/login', { method: 'POST', ...from(address, { 'content-type': 'application/json' }), body: '{}' });
    expect((await login()).status).toBe(200);
    expect((await login()).status).toBe(200);
    expect429(await login(), 'sign-in');
    const register = await on(limited, '/api/v1/auth/register', { method: 'POST', ...from(address, { 'content-type': 'application/json' }), body: '{}' });
    expect(register.status).toBe(200);
    expect((await on(limited, '/api/v1/auth/login', { method: 'POST', ...from('198.51.100.21') })).status).toBe(200);
  });

  it('refresh has its own, looser budget per address (a browser refreshes on every page load)', async () => {
    const address = '198.51.100.22';
    const refresh = () => on(limited, '/api/v1/auth/refresh', { method: 'POST', ...from(address, { 'content-type': 'application/json' }), body: '{}' });
    for (let i = 0; i < 4; i++) expect((await refresh()).status).toBe(200);
    expect429(await refresh(), 'sign-in');
    // Its use leaves the sign-in budget of that address untouched.
    expect((await on(limited, '/api/v1/auth/login', { method: 'POST', ...from(address, { 'content-type': 'application/json' }), body: '{}' })).status).toBe(200);
  });
});

describe('while Redis is down', () => {
  it('serves: address and user limits open, the denylist skipped, sign-in limits per replica, /health degraded', async () => {
    const token = await tokenFor();
    for (let i = 0; i < 5; i += 1) {
      expect((await on(redisDown, '/api/v1/compliance/markets')).status).toBe(200);
      expect((await on(redisDown, '/api/v1/orders/mine', { headers: bearer(token) })).status).toBe(200);
    }
    // Still no way in without a token.
    expect401(await on(redisDown, '/api/v1/orders/mine'));
    const login = () => on(redisDown, '/api/v1/auth/login', { method: 'POST', ...from('198.51.100.30') });
    expect((await login()).status).toBe(200);
    expect((await login()).status).toBe(200);
    expect((await login()).status).toBe(429);

    const health = await on(redisDown, '/health');
    expect(health.status).toBe(200);
    expect(health.body.data.status).toBe('degraded');
    expect(health.body.data.gateway.status).toBe('degraded');
    expect(health.body.data.gateway.checks['rate-limit']).toMatchObject({ status: 'down', critical: false });
    expect(health.body.data.gateway.checks.redis).toMatchObject({ status: 'down', critical: false });
    // The replica with Redis is fine.
    const healthy = await on(gateway, '/health');
    expect(healthy.body.data.gateway.checks['rate-limit'].status).toBe('up');
  });

  it('refuses signed-in calls with a 503 instead when configured to (DENYLIST_UNAVAILABLE=refuse)', async () => {
    const strict = await startGateway({ compliance: scripted.url, order: scripted.url }, { REDIS_URL: 'redis://127.0.0.1:1', DENYLIST_UNAVAILABLE: 'refuse' });
    try {
      const res = await on(strict, '/api/v1/orders/mine', { headers: bearer(await tokenFor()) });
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { dependency: 'redis' } });
      // Public calls do not depend on it.
      expect((await on(strict, '/api/v1/compliance/markets')).status).toBe(200);
    } finally {
      await strict.close();
    }
  });
});

describe('browser headers', () => {
  it('sets helmet’s headers: an allow-nothing CSP for the API, one that lets Swagger UI run on /docs', async () => {
    const api = await on(gateway, '/api/v1/compliance/markets');
    expect(api.headers.get('x-content-type-options')).toBe('nosniff');
    expect(api.headers.get('x-frame-options')).toBe('DENY');
    expect(api.headers.get('referrer-policy')).toBe('no-referrer');
    expect(api.headers.get('content-security-policy')).toContain("default-src 'none'");
    const refused = await on(gateway, '/api/v1/orders/mine');
    expect(refused.headers.get('x-content-type-options')).toBe('nosniff');
    const docs = await on(gateway, '/docs/');
    expect(docs.status).toBe(200);
    const csp = docs.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain("default-src 'none'");
  });

  it('answers CORS only for the configured origins', async () => {
    const withCors = await startGateway({ compliance: scripted.url }, { CORS_ORIGINS: 'https://app.example.com, https://partner.example.org' });
    try {
      const preflight = await on(withCors, '/api/v1/orders/mine', {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
      const allowed = await on(withCors, '/api/v1/compliance/markets', { headers: { origin: 'https://partner.example.org' } });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://partner.example.org');
      const other = await on(withCors, '/api/v1/compliance/markets', { headers: { origin: 'https://evil.example.net' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await withCors.close();
    }
    // Not configured: no CORS at all.
    const none = await on(gateway, '/api/v1/compliance/markets', { headers: { origin: 'https://app.example.com' } });
    expect(none.headers.get('access-control-allow-origin')).toBeNull();
  });
});
