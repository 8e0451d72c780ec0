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
import { GATEWAY, SERVICES, launch, stopProcesses, waitForPlatform, type RunningProcess } from '../../scripts/platform.js';

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
    }),
  });
  await waitForPlatform(processes, { timeoutMs: 150_000 });
});

afterAll(async () => {
  await tap?.disconnect();
  await stopProcesses(processes);
  const client = new MongoClient(infra.mongoUrl);
  await client.connect();
  for (const { name } of [...SERVICES, GATEWAY]) await client.db(`e2e_${name}_${suffix}`).dropDatabase().catch(() => undefined);
  await client.close();
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
  });

  it('answers unknown routes with a 404 envelope at the gateway and at every service', async () => {
    const prefixes = ['auth', 'users', 'companies', 'products', 'categories', 'suppliers', 'rfqs', 'compliance', 'orders', 'notifications', 'admin'];
    for (const prefix of ['/api/v1/no-such-area', ...prefixes.map((p) => `/api/v1/${p}/no/such/route`)]) {
      const { status, body } = await call(prefix);
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
      headers: { 'content-type': 'application/json', 'x-correlation-id': correlationId },
      body: JSON.stringify(validation(orderId)),
    });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ passed: true, orderId });
    expect(res.headers.get('x-correlation-id')).toBe(correlationId);

    const audited = await waitFor(async () => {
      const { body } = await call(`/api/v1/admin/audit?correlationId=${correlationId}`);
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
    const again = await call(`/api/v1/admin/audit?correlationId=${correlationId}`);
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
      headers: { 'content-type': 'application/json', 'x-correlation-id': bigCorrelation },
      body,
    });
    expect(res.status).toBe(201);
    expect(res.body.data.summary.violationCount).toBe(1000);
    expect(JSON.stringify(res.body).length).toBeLessThan(body.length * 4);

    const laterCorrelation = `e2e-after-big-${suffix}`;
    const later = await call('/api/v1/compliance/validate', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': laterCorrelation },
      body: JSON.stringify(validation(`order-after-big-${suffix}`)),
    });
    expect(later.status).toBe(201);
    for (const correlationId of [bigCorrelation, laterCorrelation]) {
      await waitFor(async () => {
        const { body: audit } = await call(`/api/v1/admin/audit?correlationId=${correlationId}`);
        return audit.data?.length === 1 ? audit.data : undefined;
      }, `the audit entry of ${correlationId}`, 30_000);
    }
  });
});

describe('bad input through the gateway', () => {
  const post = (body: string, contentType = 'application/json') =>
    call('/api/v1/compliance/validate', { method: 'POST', headers: { 'content-type': contentType }, body });

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

describe('a service that goes down', () => {
  it('answers 503 SERVICE_UNAVAILABLE fast and shows in the aggregated health', async () => {
    const notification = processes.find((p) => p.name === 'notification')!;
    await stopProcesses([notification]);
    const started = performance.now();
    const res = await call('/api/v1/notifications/anything');
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
