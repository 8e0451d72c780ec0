/**
 * Health that means what it says: readiness is "should traffic come here" (a non-critical
 * dependency down is degraded, still 200), liveness is "restart me" (a consumer kafkajs gave up on).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import type { FastifyInstance } from 'fastify';
import { buildService, serviceKit, subscribeRaw, type AnySubscription, type ServiceApp } from '../src/index.js';
import { dropDatabase, isolatedEnv, testTopic, uniqueSuffix, waitFor } from '../src/testing.js';

const service = { name: 'kit-health', version: '0.0.1', description: 'health tests', defaultPort: 0 };
const apps: FastifyInstance[] = [];

async function start(options: { mongo?: boolean; subscriptions?: AnySubscription[] }, env: Record<string, unknown> = {}) {
  const plugin: ServiceApp = async (app, { config }) => {
    await app.register(serviceKit, {
      service,
      config,
      mongo: options.mongo ?? true,
      ...(options.subscriptions ? { kafka: { subscriptions: options.subscriptions } } : {}),
    });
  };
  const app = await buildService(service, plugin, isolatedEnv('kithealth', env));
  apps.push(app);
  return app;
}

afterAll(async () => {
  for (const app of apps) {
    await dropDatabase(app);
    await app.close();
  }
});

describe('readiness', () => {
  it('is degraded but ready (200) while only a non-critical dependency is down, 503 once a critical one is', async () => {
    const app = await start({ mongo: false });
    app.health.addCheck('search', async () => {
      throw new Error('connection refused');
    }, { critical: false });
    const degraded = await app.inject({ url: '/health/ready' });
    expect(degraded.statusCode).toBe(200);
    expect(degraded.json()).toMatchObject({
      success: true,
      data: { status: 'degraded', checks: { search: { status: 'down', critical: false, error: 'connection refused' } } },
    });

    app.health.addCheck('database', async () => {
      throw new Error('no primary');
    });
    const down = await app.inject({ url: '/health/ready' });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({
      success: false,
      error: { code: 'SERVICE_UNAVAILABLE', message: 'Not ready: database down' },
      data: { status: 'down', checks: { database: { status: 'down', critical: true }, search: { status: 'down' } } },
      metadata: { requestId: expect.any(String) },
    });
  });

  it('puts readiness on /metrics, evaluated at the scrape: health_ready and one health_check_up per check', async () => {
    const app = await start({ mongo: false });
    let searchUp = true;
    app.health.addCheck('search', async () => {
      if (!searchUp) throw new Error('connection refused');
    }, { critical: false });
    const scrape = async () => (await app.inject({ url: '/metrics' })).body;
    let text = await scrape();
    expect(text).toMatch(/^health_ready\{service="[^"]+"\} 1$/m);
    expect(text).toMatch(/^health_check_up\{check="search",critical="false",service="[^"]+"\} 1$/m);

    searchUp = false; // degraded: still in rotation
    text = await scrape();
    expect(text).toMatch(/^health_ready\{service="[^"]+"\} 1$/m);
    expect(text).toMatch(/^health_check_up\{check="search",critical="false",service="[^"]+"\} 0$/m);

    app.health.addCheck('database', async () => {
      throw new Error('no primary');
    });
    text = await scrape();
    expect(text).toMatch(/^health_ready\{service="[^"]+"\} 0$/m);
    expect(text).toMatch(/^health_check_up\{check="database",critical="true",service="[^"]+"\} 0$/m);
  });

  it('stays in rotation without Kafka: the outbox keeps the events, the report says degraded', async () => {
    const app = await start({ subscriptions: [] }, {});
    const ok = await app.inject({ url: '/health/ready' });
    expect(ok.json().data).toMatchObject({ status: 'ok', checks: { mongo: { status: 'up', critical: true }, kafka: { status: 'up', critical: false } } });

    // The service's own connection to the broker gone (as in a broker outage).
    await app.events.admin.disconnect();
    try {
      const res = await app.inject({ url: '/health/ready' });
      expect(res.statusCode).toBe(200);
      expect(res.json().data).toMatchObject({ status: 'degraded', checks: { mongo: { status: 'up' }, kafka: { status: 'down', critical: false } } });
      expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
    } finally {
      await app.events.admin.connect();
    }
  });
});

describe('liveness', () => {
  it('answers 503 once a consumer crashed for good, so the orchestrator restarts the process', async () => {
    const topic = `kit.health.crash.${uniqueSuffix()}`;
    const app = await start(
      {
        subscriptions: [
          subscribeRaw(topic, async (message) => {
            // A bug, not a bad record: kafkajs treats a TypeError as unrecoverable and stops.
            (message as unknown as { missing: { field: string } }).missing.field;
          }),
        ],
      },
      { CONSUMER_MAX_ATTEMPTS: 1 },
    );
    await app.events.whenConsuming();
    expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);

    const kafka = new Kafka({ clientId: 'kit-health-test', brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: testTopic(topic), messages: [{ key: 'k', value: 'any record' }] });
    await producer.disconnect();

    const dead = await waitFor(
      async () => {
        const res = await app.inject({ url: '/health/live' });
        return res.statusCode === 503 && res;
      },
      { timeoutMs: 30_000, what: 'liveness to fail' },
    );
    expect(dead.json()).toMatchObject({
      success: false,
      error: { code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('kafka-consumer'), details: { 'kafka-consumer': expect.stringContaining('crashed') } },
      metadata: { requestId: expect.any(String) },
    });
    // Readiness still answers: the crash is the orchestrator's business, not a reason to refuse reads.
    const ready = await app.inject({ url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().data).toMatchObject({ status: 'degraded', checks: { kafka: { status: 'down', error: expect.stringContaining('crashed') } } });
    // The record is the test's own topic: remove it so nothing else ever reads it.
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [testTopic(topic)] }).catch(() => undefined);
    await admin.disconnect();
  }, 60_000);
});
