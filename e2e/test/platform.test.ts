/**
 * The whole platform for real: the eight services and the gateway as separate processes (the way
 * `npm start` runs them) on the launcher's servers, driven only through the gateway's HTTP API.
 * Runs beside a developer's `npm start` on offset ports, with its own databases and groups.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { TOPICS } from '@foodxchange/contracts';
import { Secret, TOTP } from 'otpauth';
import { GATEWAY, LOCAL_ADMIN, SERVICES, launch, stopProcesses, waitForPlatform, type RunningProcess } from '../../scripts/platform.js';

const PORT_OFFSET = 10_000;
const TOPIC_PREFIX = 'e2e.';
const suffix = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const infra = {
  mongoUrl: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017/?directConnection=true',
  kafkaBrokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
  elasticsearchUrl: process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
};
export const gateway = `http://127.0.0.1:${GATEWAY.port + PORT_OFFSET}`;
const searchAlias = `e2e-products-${suffix}`;

let processes: RunningProcess[] = [];

beforeAll(async () => {
  processes = launch({
    infra,
    portOffset: PORT_OFFSET,
    logDir: mkdtempSync(join(tmpdir(), 'foodxchange-e2e-')),
    envFor: (name) => ({
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      MONGO_DB: `e2e_${name}_${suffix}`,
      KAFKA_GROUP_ID: `e2e.${name}.${suffix}`,
      // Fresh groups start at the end of each topic: earlier runs' events stay out of this one.
      KAFKA_FROM_BEGINNING: 'false',
      // Its own namespace on the shared broker: nothing it publishes reaches a running platform.
      KAFKA_TOPIC_PREFIX: TOPIC_PREFIX,
      OUTBOX_POLL_MS: '200',
      // The sign-in limit (5/min per client by default) would stop this file's own sign-ins; the
      // limit itself is exercised below with a client address of its own.
      ...(name === 'gateway' ? { RATE_LIMIT_AUTH_MAX: '40', RATE_LIMIT_API_KEY_MAX: '20', RATE_LIMIT_NAMESPACE: `e2e:${suffix}:gateway:` } : {}),
      // Sign-in failure counters of its own: other runs' failures from 127.0.0.1 are not this run's.
      ...(name === 'auth' ? { LOGIN_THROTTLE_NAMESPACE: `e2e:${suffix}:login:` } : {}),
      // Its own product index (alias) on the shared Elasticsearch, removed afterwards.
      ...(name === 'catalog' ? { SEARCH_INDEX_ALIAS: searchAlias } : {}),
    }),
  });
  await waitForPlatform(processes, { timeoutMs: 150_000 });
  const login = await call('/api/v1/auth/login', json({ email: LOCAL_ADMIN.email, password: LOCAL_ADMIN.password }));
  expect(login.status).toBe(200);
  adminToken = login.body.data.accessToken;
});

/** The platform's first super_admin, signed in through the gateway. */
let adminToken = '';
const asAdmin = () => ({ authorization: `Bearer ${adminToken}` });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function json(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

afterAll(async () => {
  await tap?.disconnect();
  await stopProcesses(processes);
  const client = new MongoClient(infra.mongoUrl);
  await client.connect();
  for (const { name } of [...SERVICES, GATEWAY]) await client.db(`e2e_${name}_${suffix}`).dropDatabase().catch(() => undefined);
  await client.close();
  await fetch(`${infra.elasticsearchUrl}/${searchAlias}-*`, { method: 'DELETE' }).catch(() => undefined);
});

async function call(path: string, init: RequestInit = {}) {
  const res = await fetch(`${gateway}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body };
}

describe('the platform behind the gateway', () => {
  it('reports all eight services ready', async () => {
    const { status, body } = await call('/health');
    expect(status).toBe(200);
    expect(body.success).toBe(true);
    expect(Object.keys(body.data.services).sort()).toEqual(SERVICES.map((s) => s.name).sort());
    for (const service of Object.values<any>(body.data.services)) expect(service.status).toBe('up');
  });

  it('serves the merged API document and Swagger UI', async () => {
    const doc = await call('/openapi.json');
    expect(doc.status).toBe(200);
    const paths = Object.keys(doc.body.paths);
    expect(paths.some((p) => p.startsWith('/api/v1/compliance'))).toBe(true);
    expect(paths.some((p) => p.startsWith('/api/v1/admin'))).toBe(true);
    const docs = await fetch(`${gateway}/docs`, { redirect: 'follow' });
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger/i);
    // Anonymous, like the rest of the documentation: partners read the event contract here.
    const asyncApi = await call('/asyncapi.json');
    expect(asyncApi.status).toBe(200);
    expect(Object.keys(asyncApi.body.channels ?? {}).length).toBeGreaterThan(20);
  });

  it('answers unknown routes with a 404 envelope at the gateway and at every service', async () => {
    const prefixes = ['auth', 'users', 'companies', 'products', 'categories', 'suppliers', 'rfqs', 'compliance', 'orders', 'notifications', 'admin'];
    for (const prefix of ['/api/v1/no-such-area', ...prefixes.map((p) => `/api/v1/${p}/no/such/route`)]) {
      // Signed in: an anonymous caller is stopped at the edge (401) before any routing.
      const { status, body } = await call(prefix, { headers: asAdmin() });
      expect({ prefix, status }).toEqual({ prefix, status: 404 });
      expect(body).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
      expect(body.metadata.requestId).toBeTruthy();
    }
  });

  it('exposes Prometheus metrics', async () => {
    const res = await fetch(`${gateway}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('http_request_duration_seconds');
  });
});

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Calendar dates relative to today, so the certificates never lapse under the test. */
const daysFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

function validation(orderId: string) {
  return {
    market: 'EU',
    deliveryCountry: 'DE',
    orderId,
    supplier: {
      companyId: `supplier-${suffix}`,
      name: 'Olivar Hermanos',
      certifications: [
        { type: 'HACCP', number: 'H-1', issuedBy: 'SGS', validFrom: daysFromNow(-365), validUntil: daysFromNow(730) },
        { type: 'ISO22000', number: 'I-1', issuedBy: 'SGS', validFrom: daysFromNow(-365), validUntil: daysFromNow(730) },
      ],
    },
    products: [{ name: 'Extra virgin olive oil', allergens: [], labelledAllergens: [], originCountry: 'ES' }],
  };
}

let tap: Consumer | undefined;

describe('one event end to end: compliance → outbox → Kafka → admin', () => {
  it('is recorded once by the admin audit log even when delivered twice', async () => {
    // A partner-style reader on the topic, to capture the exact record that was published.
    const kafka = new Kafka({ clientId: 'e2e-tap', brokers: infra.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
    tap = kafka.consumer({ groupId: `e2e.tap.${suffix}` });
    const seen: KafkaMessage[] = [];
    let joined!: () => void;
    const ready = new Promise<void>((resolve) => (joined = resolve));
    tap.on(tap.events.GROUP_JOIN, () => joined());
    await tap.connect();
    await tap.subscribe({ topic: TOPIC_PREFIX + TOPICS.complianceChecked, fromBeginning: false });
    await tap.run({ eachMessage: async ({ message }) => void seen.push(message) });
    await ready;

    const correlationId = `e2e-smoke-${suffix}`;
    const orderId = `order-${suffix}`;
    const res = await call('/api/v1/compliance/validate', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': correlationId, ...asAdmin() },
      body: JSON.stringify(validation(orderId)),
    });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ passed: true, orderId });
    expect(res.headers.get('x-correlation-id')).toBe(correlationId);

    const audited = await waitFor(async () => {
      const { body } = await call(`/api/v1/admin/audit?correlationId=${correlationId}`, { headers: asAdmin() });
      return body.data?.length ? body.data : undefined;
    }, 'the audit entry');
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ topic: TOPICS.complianceChecked, correlationId, subject: res.body.data.id });

    // Deliver the very same record again, as a relay crash between send and clear would.
    const original = await waitFor(async () => seen.find((m) => String(m.value).includes(correlationId)), 'the record on Kafka');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: TOPIC_PREFIX + TOPICS.complianceChecked,
      messages: [{ key: original.key, value: original.value, headers: original.headers }],
    });
    await producer.disconnect();

    const adminMetrics = `http://127.0.0.1:${SERVICES.find((s) => s.name === 'admin')!.port + PORT_OFFSET}/metrics`;
    await waitFor(async () => {
      const text = await (await fetch(adminMetrics)).text();
      return /events_consumed_total\{[^}]*topic="compliance\.checked"[^}]*outcome="duplicate"[^}]*\} [1-9]/.test(text) || undefined;
    }, 'the duplicate to be seen and skipped');
    const again = await call(`/api/v1/admin/audit?correlationId=${correlationId}`, { headers: asAdmin() });
    expect(again.body.data).toHaveLength(1);
    expect(again.body.pagination.total).toBe(1);
  });
});

describe('a very large valid request', () => {
  it('is answered in proportion, and its event and the next ones reach the audit log', async () => {
    // 500 products, each containing every EU allergen with none labelled and no origin: once a
    // 3.96 MB answer and an event over Kafka's limit that stopped compliance's event stream.
    const allergens = ['gluten', 'crustaceans', 'eggs', 'fish', 'peanuts', 'soybeans', 'milk', 'nuts', 'celery', 'mustard', 'sesame', 'sulphites', 'lupin', 'molluscs'];
    const big = {
      ...validation(`order-big-${suffix}`),
      products: Array.from({ length: 500 }, (_, n) => ({ productId: `p-${n}`, sku: `SKU-${n}`, name: `Antipasti tray ${n}`, allergens, labelledAllergens: [] })),
    };
    const body = JSON.stringify(big);
    const bigCorrelation = `e2e-big-${suffix}`;
    const res = await call('/api/v1/compliance/validate', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': bigCorrelation, ...asAdmin() },
      body,
    });
    expect(res.status).toBe(201);
    expect(res.body.data.summary.violationCount).toBe(1000);
    expect(JSON.stringify(res.body).length).toBeLessThan(body.length * 4);

    const laterCorrelation = `e2e-after-big-${suffix}`;
    const later = await call('/api/v1/compliance/validate', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': laterCorrelation, ...asAdmin() },
      body: JSON.stringify(validation(`order-after-big-${suffix}`)),
    });
    expect(later.status).toBe(201);
    for (const correlationId of [bigCorrelation, laterCorrelation]) {
      await waitFor(async () => {
        const { body: audit } = await call(`/api/v1/admin/audit?correlationId=${correlationId}`, { headers: asAdmin() });
        return audit.data?.length === 1 ? audit.data : undefined;
      }, `the audit entry of ${correlationId}`, 30_000);
    }
  });
});

describe('bad input through the gateway', () => {
  const post = (body: string, contentType = 'application/json') =>
    call('/api/v1/compliance/validate', { method: 'POST', headers: { 'content-type': contentType, ...asAdmin() }, body });

  it('malformed JSON → 400 envelope', async () => {
    const res = await post('{"market": "EU",');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
  });

  it('wrong types, unknown and missing fields → 400 with field errors', async () => {
    const res = await post(JSON.stringify({ market: 42, colour: 'red' }));
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.error.fields)).toEqual(expect.arrayContaining(['body.supplier', 'body.products', 'body.colour']));
  });

  it('oversized body → 413, wrong content type → 415', async () => {
    const big = await post(JSON.stringify({ ...validation('x'), padding: 'x'.repeat(2_000_000) }));
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const csv = await post('market,EU', 'text/csv');
    expect(csv.status).toBe(415);
    expect(csv.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});

interface Account {
  userId: string;
  companyId: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

async function registerAccount(role: 'buyer' | 'supplier', company: { name: string; country: string }): Promise<Account> {
  const email = `${role}-${suffix}-${randomBytes(2).toString('hex')}@example.com`;
  const password = `Lemon-Grove-${randomBytes(4).toString('hex')}`;
  const res = await call('/api/v1/auth/register', json({ email, password, name: `E2E ${role}`, role, company }));
  expect(res.status).toBe(201);
  const { user, accessToken, refreshToken, expiresIn } = res.body.data;
  expect(user).toMatchObject({ email, role, id: expect.any(String), companyId: expect.any(String) });
  expect(expiresIn).toBe(900);
  return { userId: user.id, companyId: user.companyId, email, password, accessToken, refreshToken };
}

describe('identity and access through the gateway', () => {
  let buyer: Account;
  let supplier: Account;

  it('registers a buyer and a supplier; choosing admin is refused', async () => {
    buyer = await registerAccount('buyer', { name: 'Nordic Fresh AB', country: 'SE' });
    supplier = await registerAccount('supplier', { name: 'Olivar Hermanos SL', country: 'ES' });
    const escalation = await call(
      '/api/v1/auth/register',
      json({ email: `boss-${suffix}@example.com`, password: 'Quiet-Harbour-2031', name: 'Boss', role: 'admin', company: { name: 'X', country: 'SE' } }),
    );
    expect(escalation.status).toBe(400);
    expect(Object.keys(escalation.body.error.fields)).toContain('body.role');
  });

  it('anonymous callers get 401 on every protected route, whatever the body, and public routes answer', async () => {
    const protectedCalls: Array<[string, RequestInit]> = [
      ['/api/v1/auth/me', {}],
      ['/api/v1/users/me', {}],
      [`/api/v1/companies/${buyer.companyId}`, {}],
      [`/api/v1/companies/${buyer.companyId}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{broken' }],
      ['/api/v1/compliance/validate', json({ nonsense: true })],
      ['/api/v1/compliance/checks', {}],
      ['/api/v1/compliance/rules/EU', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' }],
      ['/api/v1/admin/audit', {}],
      [`/api/v1/admin/users/${buyer.userId}/suspend`, json({ reason: 'x' })],
      ['/api/v1/products', {}],
      ['/api/v1/rfqs', json({})],
      ['/api/v1/orders', {}],
      ['/api/v1/notifications', {}],
    ];
    for (const [path, init] of protectedCalls) {
      const res = await call(path, init);
      expect({ path, method: init.method ?? 'GET', status: res.status }).toEqual({ path, method: init.method ?? 'GET', status: 401 });
      expect(res.body).toMatchObject({ success: false, error: { code: 'AUTHENTICATION_ERROR' } });
    }
    expect((await call('/api/v1/auth/.well-known/jwks.json')).status).toBe(200);
    expect((await call('/api/v1/compliance/rules/EU')).status).toBe(200);
    expect((await call('/api/v1/compliance/markets')).status).toBe(200);
  });

  it('a signed-in buyer sees its account, profile and company; another company sees the public profile only', async () => {
    const me = await call('/api/v1/auth/me', { headers: bearer(buyer.accessToken) });
    expect(me.status).toBe(200);
    expect(me.body.data).toMatchObject({ id: buyer.userId, role: 'buyer', companyId: buyer.companyId });
    // The user service builds the profile from user.registered: wait for it.
    const profile = await waitFor(async () => {
      const res = await call('/api/v1/users/me', { headers: bearer(buyer.accessToken) });
      return res.status === 200 ? res.body.data : undefined;
    }, 'the buyer profile');
    expect(profile).toMatchObject({ id: buyer.userId, email: buyer.email, companyId: buyer.companyId });
    const own = await call(`/api/v1/companies/${buyer.companyId}`, { headers: bearer(buyer.accessToken) });
    expect(own.body.data).toMatchObject({ id: buyer.companyId, name: 'Nordic Fresh AB', view: 'full' });
    const other = await waitFor(async () => {
      const res = await call(`/api/v1/companies/${supplier.companyId}`, { headers: bearer(buyer.accessToken) });
      return res.status === 200 ? res.body.data : undefined;
    }, 'the supplier company');
    expect(other).toMatchObject({ id: supplier.companyId, view: 'public' });
    expect(other.members).toBeUndefined();
    const edit = await call(`/api/v1/companies/${supplier.companyId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', ...bearer(buyer.accessToken) },
      body: JSON.stringify({ description: 'hijacked' }),
    });
    expect(edit.status).toBe(404);
  });

  it('a buyer gets 403 on admin routes and on editing rule sets', async () => {
    expect((await call('/api/v1/admin/audit', { headers: bearer(buyer.accessToken) })).status).toBe(403);
    expect((await call(`/api/v1/admin/users/${supplier.userId}/suspend`, json({ reason: 'competitor' }, bearer(buyer.accessToken)))).status).toBe(403);
    const rules = await call('/api/v1/compliance/rules/EU', { method: 'PUT', headers: { 'content-type': 'application/json', ...bearer(buyer.accessToken) }, body: '{}' });
    expect(rules.status).toBe(403);
  });

  it('refresh rotates; reusing a rotated refresh token revokes the whole sign-in', async () => {
    const first = await call('/api/v1/auth/refresh', json({ refreshToken: buyer.refreshToken }));
    expect(first.status).toBe(200);
    const rotated = first.body.data.refreshToken as string;
    expect(rotated).not.toBe(buyer.refreshToken);
    const reuse = await call('/api/v1/auth/refresh', json({ refreshToken: buyer.refreshToken }));
    expect(reuse.status).toBe(401);
    // The family is gone: even the newest token of it no longer works.
    expect((await call('/api/v1/auth/refresh', json({ refreshToken: rotated }))).status).toBe(401);
  });

  it('logout kills the access token at the gateway on the next request', async () => {
    const login = await call('/api/v1/auth/login', json({ email: buyer.email, password: buyer.password }));
    expect(login.status).toBe(200);
    const token = login.body.data.accessToken as string;
    expect((await call('/api/v1/auth/me', { headers: bearer(token) })).status).toBe(200);
    expect((await call('/api/v1/auth/logout', json({ refreshToken: login.body.data.refreshToken }, bearer(token)))).status).toBeLessThan(300);
    expect((await call('/api/v1/users/me', { headers: bearer(token) })).status).toBe(401);
  });

  it('an API key works through the gateway within its permissions, rotates with a grace period and stops when revoked', async () => {
    const login = await call('/api/v1/auth/login', json({ email: buyer.email, password: buyer.password }));
    const token = login.body.data.accessToken as string;
    const created = await call('/api/v1/auth/api-keys', json({ name: 'ERP sync', permissions: ['company:read'] }, bearer(token)));
    expect(created.status).toBe(201);
    const { key, id } = created.body.data as { key: string; id: string };
    expect(key).toMatch(/^fxk_/);
    const withKey = (apiKey: string) => ({ headers: { 'x-api-key': apiKey } });
    const company = await call(`/api/v1/companies/${buyer.companyId}`, withKey(key));
    expect(company.status).toBe(200);
    expect(company.body.data.id).toBe(buyer.companyId);
    // The key carries only company:read.
    expect((await call('/api/v1/compliance/checks', withKey(key))).status).toBe(403);
    // Listed without its secret.
    const listed = await call('/api/v1/auth/api-keys', { headers: bearer(token) });
    // The secret is base64url, so it may itself hold `_` (even start with one): it is everything after the second `_`.
    const secret = key.split('_').slice(2).join('_');
    expect(secret.length).toBeGreaterThanOrEqual(43);
    expect(JSON.stringify(listed.body.data)).not.toContain(secret);

    const rotated = await call(`/api/v1/auth/api-keys/${id}/rotate`, json({ graceSeconds: 600 }, bearer(token)));
    expect(rotated.status).toBe(200);
    const next = rotated.body.data.key as string;
    expect((await call(`/api/v1/companies/${buyer.companyId}`, withKey(next))).status).toBe(200);
    expect((await call(`/api/v1/companies/${buyer.companyId}`, withKey(key))).status).toBe(200); // grace period

    const revoke = await call(`/api/v1/auth/api-keys/${rotated.body.data.id}`, { method: 'DELETE', headers: bearer(token) });
    expect(revoke.status).toBeLessThan(300);
    const afterRevoke = await call(`/api/v1/companies/${buyer.companyId}`, withKey(next));
    expect(afterRevoke.status).toBe(401);
  });

  it('each API key has its own rate limit', async () => {
    const login = await call('/api/v1/auth/login', json({ email: buyer.email, password: buyer.password }));
    const created = await call('/api/v1/auth/api-keys', json({ name: 'Busy integration' }, bearer(login.body.data.accessToken)));
    const key = created.body.data.key as string;
    let limited: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 40 && !limited; i += 1) {
      const res = await call('/api/v1/auth/me', { headers: { 'x-api-key': key } });
      if (res.status === 429) limited = res;
      else expect(res.status).toBe(200);
    }
    expect(limited, 'a 429 within 40 calls').toBeDefined();
    expect(limited!.body.error).toMatchObject({ code: 'RATE_LIMITED', details: { scope: 'api-key' } });
  });

  it('MFA: enrolment, then sign-in needs a second factor (a wrong code is refused, a recovery code works once)', async () => {
    const account = await registerAccount('buyer', { name: 'Baltic Grain OÜ', country: 'EE' });
    const enrol = await call('/api/v1/auth/mfa/enroll', { method: 'POST', headers: bearer(account.accessToken) });
    expect(enrol.status).toBeLessThan(300);
    const totp = new TOTP({ secret: Secret.fromBase32(enrol.body.data.secret) });
    const confirm = await call('/api/v1/auth/mfa/confirm', json({ code: totp.generate() }, bearer(account.accessToken)));
    expect(confirm.status).toBe(200);
    const recoveryCodes = confirm.body.data.recoveryCodes as string[];
    expect(recoveryCodes.length).toBeGreaterThanOrEqual(8);

    const challenge = await call('/api/v1/auth/login', json({ email: account.email, password: account.password }));
    expect(challenge.status).toBe(200);
    expect(challenge.body.data).toMatchObject({ mfaRequired: true, challengeToken: expect.any(String) });
    expect(challenge.body.data.accessToken).toBeUndefined();
    const wrong = await call('/api/v1/auth/mfa/verify', json({ challengeToken: challenge.body.data.challengeToken, code: '000000' }));
    expect(wrong.status).toBe(401);

    const second = await call('/api/v1/auth/login', json({ email: account.email, password: account.password }));
    const verified = await call('/api/v1/auth/mfa/verify', json({ challengeToken: second.body.data.challengeToken, recoveryCode: recoveryCodes[0] }));
    expect(verified.status).toBe(200);
    expect((await call('/api/v1/auth/me', { headers: bearer(verified.body.data.accessToken) })).status).toBe(200);
    const third = await call('/api/v1/auth/login', json({ email: account.email, password: account.password }));
    const reused = await call('/api/v1/auth/mfa/verify', json({ challengeToken: third.body.data.challengeToken, recoveryCode: recoveryCodes[0] }));
    expect(reused.status).toBe(401);
  });

  it("a suspended user's next request fails; lifting the suspension lets them sign in again", async () => {
    const login = await call('/api/v1/auth/login', json({ email: supplier.email, password: supplier.password }));
    const token = login.body.data.accessToken as string;
    expect((await call('/api/v1/auth/me', { headers: bearer(token) })).status).toBe(200);
    // Admin learns of the account from user.registered: wait until it can act on it.
    const suspended = await waitFor(async () => {
      const res = await call(`/api/v1/admin/users/${supplier.userId}/suspend`, json({ reason: 'Falsified certificates' }, asAdmin()));
      return res.status === 200 ? res.body.data : undefined;
    }, 'the suspension');
    expect(suspended.status).toBe('suspended');
    await waitFor(async () => ((await call('/api/v1/auth/me', { headers: bearer(token) })).status === 401 ? true : undefined), 'the suspended token to fail');
    const refused = await call('/api/v1/auth/login', json({ email: supplier.email, password: supplier.password }));
    expect(refused.status).toBe(403);

    expect((await call(`/api/v1/admin/users/${supplier.userId}/unsuspend`, json({ reason: 'Certificates re-checked' }, asAdmin()))).status).toBe(200);
    // Auth lets them in once it has consumed user.unsuspended; a token issued within the second
    // of the suspension is still dead by design (tokens carry whole-second iat), so ask until one works.
    const again = await waitFor(async () => {
      const res = await call('/api/v1/auth/login', json({ email: supplier.email, password: supplier.password }));
      if (res.status !== 200) return undefined;
      return (await call('/api/v1/auth/me', { headers: bearer(res.body.data.accessToken) })).status === 200 ? res.body.data : undefined;
    }, 'a working sign-in after the suspension is lifted');
    expect(again.user.id).toBe(supplier.userId);
  });

  it('sign-in is rate limited per client: one client hits 429, another is still served', async () => {
    const from = (address: string) => ({ 'x-forwarded-for': address });
    // A new e-mail each time, so auth's per-account lock (also a 429) is not what answers.
    const attempt = (address: string) =>
      call('/api/v1/auth/login', json({ email: `nobody-${randomBytes(4).toString('hex')}@example.com`, password: 'wrong-password-123' }, from(address)));
    let limited: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 60 && !limited; i += 1) {
      const res = await attempt('198.51.100.7');
      if (res.status === 429) limited = res;
      else expect(res.status).toBe(401);
    }
    expect(limited, 'a 429 within 60 attempts').toBeDefined();
    expect(limited!.body).toMatchObject({ success: false, error: { code: 'RATE_LIMITED' } });
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    // The gateway's limit (not auth's lock): it states its policy.
    expect(limited!.headers.get('ratelimit-limit')).toBe('40');
    expect((await attempt('198.51.100.8')).status).toBe(401);
  });
});

/** Polls a gateway call until `done` accepts its answer (the platform is eventually consistent between services). */
async function until(what: string, probe: () => Promise<{ status: number; body: any; headers: Headers }>, done: (res: { status: number; body: any }) => boolean) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await probe();
    if (done(res)) return res;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last answer ${res.status} ${JSON.stringify(res.body).slice(0, 400)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("a supplier's catalogue found by a buyer, through the gateway", () => {
  let supplier: Account;
  let rival: Account;
  let buyer: Account;
  let productId = '';
  const year = new Date().getUTCFullYear();
  const product = {
    sku: 'AUB-001',
    name: 'Sun-ripened aubergines',
    description: 'Glossy Andalusian aubergines, graded and packed in 5 kg cases.',
    translations: { de: { name: 'Sonnengereifte Auberginen' } },
    category: 'vegetables.aubergines',
    originCountry: 'ES',
    unit: 'kg',
    moq: 100,
    priceTiers: [
      { minQuantity: 100, unitPrice: 2.4, currency: 'EUR' },
      { minQuantity: 1000, unitPrice: 2.1, currency: 'EUR' },
    ],
    certifications: ['HACCP'],
    allergens: [],
    storage: 'chilled',
  };

  it('a supplier adds a certificate, an admin verifies the company, and the supplier lists a product claiming it', async () => {
    supplier = await registerAccount('supplier', { name: 'Huerta del Sur SL', country: 'ES' });
    rival = await registerAccount('supplier', { name: 'Campo Rival SL', country: 'ES' });
    buyer = await registerAccount('buyer', { name: 'Berliner Frische GmbH', country: 'DE' });
    const certificate = { type: 'HACCP', number: `HACCP-${suffix}`, issuedBy: 'SGS', validFrom: `${year - 1}-01-01`, validUntil: `${year + 2}-12-31` };
    // The user service creates the company from user.registered: until then its id is unknown.
    await until(
      'the certificate',
      () => call(`/api/v1/companies/${supplier.companyId}/certifications`, json(certificate, bearer(supplier.accessToken))),
      (res) => res.status === 201,
    );
    const verified = await until(
      'the verification',
      () => call(`/api/v1/companies/${supplier.companyId}/verify`, json({ note: 'documents checked' }, asAdmin())),
      (res) => res.status === 200,
    );
    expect(verified.body.data).toMatchObject({ id: supplier.companyId });

    // The catalog learns of the certificate from company.certification-added; until then the claim is refused.
    const created = await until('the product', () => call('/api/v1/products', json(product, bearer(supplier.accessToken))), (res) => res.status !== 400);
    expect(created.status).toBe(201);
    productId = created.body.data.id;
    expect(created.body.data).toMatchObject({ sku: 'AUB-001', supplierCompanyId: supplier.companyId, certifications: ['HACCP'] });

    const again = await call('/api/v1/products', json(product, bearer(supplier.accessToken)));
    expect(again.status).toBe(409);
    const claimsMore = await call('/api/v1/products', json({ ...product, sku: 'AUB-002', certifications: ['IFS'] }, bearer(supplier.accessToken)));
    expect(claimsMore.status).toBe(400);
    expect(Object.keys(claimsMore.body.error.fields)).toContain('body.certifications');
  });

  it('only the owning supplier edits it; a buyer cannot list products', async () => {
    expect((await call('/api/v1/products', json({ ...product, sku: 'B-1' }, bearer(buyer.accessToken)))).status).toBe(403);
    const foreign = await call(`/api/v1/products/${productId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', ...bearer(rival.accessToken) },
      body: JSON.stringify({ moq: 1 }),
    });
    expect([403, 404]).toContain(foreign.status);
    const own = await call(`/api/v1/products/${productId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', ...bearer(supplier.accessToken) },
      body: JSON.stringify({ moq: 150 }),
    });
    expect(own.status).toBe(200);
    expect(own.body.data.moq).toBe(150);
  });

  it('a buyer finds it by a synonym and in German, with the certification filter and facets', async () => {
    const bySynonym = await until(
      'the product in search',
      () => call('/api/v1/products?q=eggplant&certification=HACCP', { headers: bearer(buyer.accessToken) }),
      (res) => res.status === 200 && res.body.data.some((hit: { id?: string; productId?: string }) => (hit.id ?? hit.productId) === productId && (hit as { moq?: number }).moq === 150),
    );
    expect(bySynonym.body.pagination).toBeDefined();
    const german = await call(`/api/v1/products?q=${encodeURIComponent('Auberginen')}&lang=de`, { headers: bearer(buyer.accessToken) });
    expect(german.status).toBe(200);
    expect(german.body.data.map((hit: { id?: string; productId?: string }) => hit.id ?? hit.productId)).toContain(productId);
    const bad = await call('/api/v1/products?pageSize=100000', { headers: bearer(buyer.accessToken) });
    expect(bad.status).toBe(400);
  });

  it('reads carry an ETag; If-None-Match answers 304', async () => {
    const first = await call(`/api/v1/products/${productId}`, { headers: bearer(buyer.accessToken) });
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    const again = await fetch(`${gateway}/api/v1/products/${productId}`, { headers: { ...bearer(buyer.accessToken), 'if-none-match': etag! } });
    expect(again.status).toBe(304);
  });

  it('a CSV import through the gateway is accepted (202) and its job reports the bad row while the good one lands', async () => {
    const csv = [
      'sku,name,category,originCountry,unit,moq,currency,priceTiers,certifications,allergens,storage',
      'COU-001,Courgettes,vegetables.cucurbits,ES,kg,50,EUR,50:1.80|500:1.60,HACCP,,chilled',
      'BAD-001,Broken tiers,vegetables.cucurbits,ES,kg,50,EUR,500:1.80|50:1.60,,,chilled',
    ].join('\n');
    const accepted = await call('/api/v1/products/imports', { method: 'POST', headers: { 'content-type': 'text/csv', ...bearer(supplier.accessToken) }, body: csv });
    expect(accepted.status).toBe(202);
    const job = await until(
      'the import job',
      () => call(`/api/v1/products/imports/${accepted.body.data.id}`, { headers: bearer(supplier.accessToken) }),
      (res) => res.status === 200 && res.body.data.status === 'completed',
    );
    expect(job.body.data.counts).toMatchObject({ created: 1, failed: 1 });
    expect(job.body.data.errors[0]).toMatchObject({ row: 2, field: expect.stringContaining('priceTiers') });
    expect((await call(`/api/v1/products/imports/${accepted.body.data.id}`, { headers: bearer(rival.accessToken) })).status).toBe(404);
  });

  it('supplier matching ranks the verified, certified supplier for an RFQ it can deliver', async () => {
    const match = await call(
      '/api/v1/suppliers/match',
      json(
        { items: [{ name: 'aubergines', category: 'vegetables.aubergines', quantity: 500, unit: 'kg' }], requiredCertifications: ['HACCP'], deliveryCountry: 'DE' },
        bearer(buyer.accessToken),
      ),
    );
    expect(match.status).toBe(200);
    expect(match.body.data[0]).toMatchObject({ supplierCompanyId: supplier.companyId, verified: true, missingCertifications: [] });
  });

  it('a deleted product leaves search', async () => {
    const deleted = await call(`/api/v1/products/${productId}`, { method: 'DELETE', headers: bearer(supplier.accessToken) });
    expect(deleted.status).toBe(200);
    await until(
      'the product to leave search',
      () => call('/api/v1/products?q=aubergines', { headers: bearer(buyer.accessToken) }),
      (res) => res.status === 200 && !res.body.data.some((hit: { id?: string; productId?: string }) => (hit.id ?? hit.productId) === productId),
    );
    expect((await call(`/api/v1/products/${productId}`, { headers: bearer(buyer.accessToken) })).status).toBe(404);
  });
});

describe('a service that goes down', () => {
  it('answers 503 SERVICE_UNAVAILABLE fast and shows in the aggregated health', async () => {
    const notification = processes.find((p) => p.name === 'notification')!;
    await stopProcesses([notification]);
    const started = performance.now();
    const res = await call('/api/v1/notifications/anything', { headers: asAdmin() });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ success: false, error: { code: 'SERVICE_UNAVAILABLE' } });
    expect(performance.now() - started).toBeLessThan(5_000);
    const health = await call('/health');
    expect(health.status).toBe(503);
    expect(health.body.data.services.notification.status).toBe('down');
    expect(health.body.data.services.order.status).toBe('up');
  });

  it('stopped gracefully: SIGTERM drained and closed it with exit code 0', () => {
    const notification = processes.find((p) => p.name === 'notification')!;
    expect(notification.child.exitCode).toBe(0);
  });
});
