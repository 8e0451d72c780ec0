import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { buildService, callerOf, Envelope, ok, serviceKit, type ServiceApp } from '../src/index.js';
import { bearer, startTestIssuer, waitFor, type TestIssuer } from '../src/testing.js';

const service = { name: 'kit-access', version: '0.0.1', description: 'access test', defaultPort: 0 };
const Body = Type.Object({ name: Type.String({ minLength: 3 }) }, { additionalProperties: false });
const Caller = Type.Object({ userId: Type.String(), role: Type.String(), companyId: Type.Optional(Type.String()) });

const testApp: ServiceApp = async (app, { config }) => {
  await app.register(serviceKit, { service, config, mongo: false });
  app.get('/open', { config: { access: 'public' }, schema: { response: { 200: Envelope(Type.Object({ open: Type.Boolean() })) } } }, async () =>
    ok({ open: true }),
  );
  app.post(
    '/things',
    { config: { access: 'authenticated' }, schema: { body: Body, response: { 200: Envelope(Caller) } } },
    async (request) => {
      const { userId, role, companyId } = callerOf(request);
      return ok({ userId, role, ...(companyId ? { companyId } : {}) });
    },
  );
  app.put('/rules', { config: { access: 'admin' }, schema: { body: Body } }, async () => ok({ edited: true }));
  app.post('/products', { config: { access: { permission: 'product:create' } }, schema: { body: Body } }, async () => ok({ created: true }));
};

let issuer: TestIssuer;
let app: FastifyInstance;
beforeAll(async () => {
  issuer = await startTestIssuer();
  app = await buildService(service, testApp, { LOG_LEVEL: 'silent', ...issuer.env });
});
afterAll(async () => {
  await app?.close();
  await issuer?.close();
});

const post = (url: string, headers: Record<string, string>, payload: unknown = { name: 'olive oil' }) =>
  app.inject({ method: 'POST', url, headers, payload: payload as object });

describe('every route declares who may call it', () => {
  it('an app with a route that declares no policy does not start', async () => {
    const careless: ServiceApp = async (fastify, { config }) => {
      await fastify.register(serviceKit, { service, config, mongo: false });
      fastify.get('/forgotten', async () => ok({}));
    };
    await expect(buildService(service, careless, { LOG_LEVEL: 'silent', ...issuer.env })).rejects.toThrow(/config\.access.*GET \/forgotten/);
  });

  it('publishes each policy as the OpenAPI security of its operation, with 401 and 403 documented', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    expect(doc.paths['/open'].get.security).toEqual([]);
    expect(doc.paths['/health'].get.security).toEqual([]);
    expect(doc.paths['/things'].post.security).toEqual([{ bearerAuth: [] }, { apiKey: [] }]);
    expect(Object.keys(doc.paths['/things'].post.responses)).toEqual(expect.arrayContaining(['401', '403']));
    expect(Object.keys(doc.paths['/open'].get.responses)).not.toContain('401');
    expect(doc.paths['/rules'].put.description).toMatch(/platform admins/);
    expect(doc.paths['/ops/outbox/quarantine']).toBeUndefined(); // no outbox in this app
  });
});

describe('anonymous callers', () => {
  it('reach public routes', async () => {
    expect((await app.inject({ url: '/open' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
  });

  it('get a 401 envelope on a protected route, before the body is looked at', async () => {
    for (const payload of [{ name: 'olive oil' }, { wrong: true }, 'not json at all']) {
      const res = await app.inject({ method: 'POST', url: '/things', payload, headers: { 'content-type': 'application/json' } });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ success: false, error: { code: 'AUTHENTICATION_ERROR', message: expect.stringMatching(/Bearer/) } });
    }
    expect((await app.inject({ method: 'PUT', url: '/rules', payload: {} })).statusCode).toBe(401);
  });
});

describe('access tokens', () => {
  it('a valid token reaches the handler with its identity, and the body is validated after', async () => {
    const token = issuer.token({ role: 'buyer', sub: 'user-1', companyId: 'company-1' });
    const res = await post('/things', bearer(token));
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual({ userId: 'user-1', role: 'buyer', companyId: 'company-1' });
    expect((await post('/things', bearer(token), { name: 'x' })).statusCode).toBe(400);
  });

  const refused: Array<[string, () => string]> = [
    ['expired', () => issuer.token({ expiresIn: -60 })],
    ['signed with another key', () => issuer.forged()],
    ['alg none', () => issuer.unsigned()],
    ['HS256 with the public key as secret', () => issuer.hs256WithPublicKey()],
    ['an unknown kid', () => issuer.token({ kid: 'no-such-key' })],
    ['a wrong issuer', () => issuer.token({ iss: 'https://evil.example' })],
    ['a wrong audience', () => issuer.token({ aud: 'someone-else' })],
    ['not a JWT', () => 'definitely-not-a-token'],
  ];
  for (const [what, token] of refused) {
    it(`refuses a token with ${what} (401 envelope)`, async () => {
      const res = await post('/things', bearer(token()));
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ success: false, error: { code: 'AUTHENTICATION_ERROR' } });
    });
  }

  it('a token verified before is still refused once it expires (verified tokens are remembered only until their exp)', async () => {
    const token = issuer.token({ expiresIn: 2 });
    expect((await post('/things', bearer(token))).statusCode).toBe(200);
    expect((await post('/things', bearer(token))).statusCode).toBe(200);
    await waitFor(async () => (await post('/things', bearer(token))).statusCode === 401, { timeoutMs: 10_000, what: 'the remembered token to expire' });
  });

  it('refuses claims that are not a FoodXchange token (no role)', async () => {
    const res = await post('/things', bearer(issuer.token({ role: 'root' as never, permissions: [] })));
    expect(res.statusCode).toBe(401);
  });

  it('refetches the JWKS for an unknown kid at most once per cooldown', async () => {
    await post('/things', bearer(issuer.token({ kid: 'rotated-away' })));
    const before = issuer.fetches();
    for (let i = 0; i < 20; i += 1) expect((await post('/things', bearer(issuer.token({ kid: 'rotated-away' })))).statusCode).toBe(401);
    expect(issuer.fetches()).toBe(before);
  });
});

describe('roles and permissions', () => {
  it('admin routes answer 403 to buyers and suppliers, and serve admins', async () => {
    for (const role of ['buyer', 'supplier'] as const) {
      const res = await app.inject({ method: 'PUT', url: '/rules', headers: bearer(issuer.token({ role })), payload: { name: 'EU rules' } });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('AUTHORIZATION_ERROR');
    }
    for (const role of ['admin', 'super_admin'] as const) {
      const res = await app.inject({ method: 'PUT', url: '/rules', headers: bearer(issuer.token({ role, companyId: null })), payload: { name: 'EU rules' } });
      expect(res.statusCode).toBe(200);
    }
  });

  it('permission routes check the token permissions, not the role name', async () => {
    expect((await post('/products', bearer(issuer.token({ role: 'supplier' })))).statusCode).toBe(200);
    const buyer = await post('/products', bearer(issuer.token({ role: 'buyer' })));
    expect(buyer.statusCode).toBe(403);
    expect(buyer.json().error.message).toMatch(/product:create/);
    // An API key's token carries only the subset it was given.
    expect((await post('/products', bearer(issuer.token({ role: 'supplier', permissions: ['order:read'] })))).statusCode).toBe(403);
  });
});
