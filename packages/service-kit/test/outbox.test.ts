/**
 * The outbox relay under faults, against the launcher's real Mongo-compatible server and Kafka:
 * an entry the broker refuses is quarantined without holding back anything else, one
 * aggregate's events leave in staging order, two replicas' relays never both send an entry, old
 * deliveries stay remembered as long as their entries, work is found by staging slot (a sweep
 * and whole-overlap passes catch unmarked and late writes), and a relay killed between send and
 * marker re-sends an event that the consumer then handles once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { FastifyInstance } from 'fastify';
import { dlqTopic, sampleEventData, TOPICS, type FoodXchangeEvent } from '@foodxchange/contracts';
import {
  buildService,
  DELIVERED_RETENTION_MS,
  OUTBOX_ENTRY_RETENTION_MS,
  QUARANTINE_NOTICE_HEADER,
  outboxBucketOf,
  OutboxRelay,
  outboxEntry,
  outboxPlugin,
  rawOutboxEntry,
  serviceKit,
  stageEvent,
  stagedMarks,
  subscribe,
  withStagedEvents,
  type OutboxFields,
  type ServiceApp,
} from '../src/index.js';
import { Schema } from 'mongoose';
import { bearer, dropDatabase, isolatedEnv, readTopicFromNow, startTestIssuer, testTopic, uniqueSuffix, waitFor, type TestIssuer } from '../src/testing.js';
import { checkModel } from './fixtures/check-model.js';

const TOPIC = TOPICS.complianceChecked;
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const mongoUrl = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017/?directConnection=true';

const producerService = { name: 'kit-outbox', version: '0.0.1', description: 'test outbox producer', defaultPort: 0 };
const producerApp: ServiceApp = async (app, { config }) => {
  await app.register(serviceKit, { service: producerService, config, kafka: { publishes: [TOPIC] } });
  app.events.registerOutbox(checkModel(app.mongo));
};
const checksOf = (app: FastifyInstance) => checkModel(app.mongo);

// A consumer that counts how often its handler ran per event id.
const runs = new Map<string, number>();
const consumerService = { name: 'kit-outbox-consumer', version: '0.0.1', description: 'test consumer', defaultPort: 0 };
const consumerApp: ServiceApp = async (app, { config }) => {
  await app.register(serviceKit, {
    service: consumerService,
    config,
    kafka: { subscriptions: [subscribe(TOPIC, async (event) => void runs.set(event.id, (runs.get(event.id) ?? 0) + 1))] },
  });
};

let kafka: Kafka;
let admin: Admin;
let issuer: TestIssuer;
// The operator routes are for platform admins.
const asAdmin = () => bearer(issuer.token({ role: 'admin', companyId: null }));
const apps: FastifyInstance[] = [];
const topicsToDelete: string[] = [];

async function producerWith(extra: Record<string, unknown> = {}): Promise<FastifyInstance> {
  const app = await buildService(producerService, producerApp, isolatedEnv('kitoutbox', { ...issuer.env, ...extra }));
  apps.push(app);
  return app;
}

async function stage(app: FastifyInstance, checkId: string, kick = true): Promise<FoodXchangeEvent> {
  const doc = new (checksOf(app))({ _id: checkId, verdict: 'passed' });
  const event = stageEvent(doc, TOPIC, checkId, { ...sampleEventData[TOPIC], checkId }, app.events.context(undefined, `corr-${checkId}`));
  await doc.save();
  if (kick) app.events.published();
  return event;
}

const idsOn = (records: { value: string | null }[]) => records.map((record) => JSON.parse(record.value!).id as string);

beforeAll(async () => {
  issuer = await startTestIssuer();
  kafka = new Kafka({ clientId: 'kit-outbox-test', brokers, logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  for (const app of apps) {
    await dropDatabase(app);
    await app.close();
  }
  await issuer.close();
  if (topicsToDelete.length > 0) await admin.deleteTopics({ topics: topicsToDelete }).catch(() => undefined);
  await admin.disconnect();
});

describe('an entry the broker refuses', () => {
  it('is quarantined after its retries, listed with its error, never holds back later events, and replays once fixed', async () => {
    // A topic of its own with a small record limit, so a modest entry is "too large" and the fix
    // (raising the limit) can be made without touching any shared topic.
    const topic = `kit-quarantine-${uniqueSuffix()}`;
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: testTopic(topic), numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '20000' }] }],
    });
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: testTopic(dlqTopic(topic)), numPartitions: 1 }] });
    topicsToDelete.push(testTopic(topic), testTopic(dlqTopic(topic)));
    const app = await producerWith();
    const checks = checksOf(app);
    const big = (n: number) => rawOutboxEntry(topic, `big-${n}`, JSON.stringify({ id: `big-${n}`, pad: 'x'.repeat(60_000) }), {});
    const small = (n: number) => rawOutboxEntry(topic, `small-${n}`, JSON.stringify({ id: `small-${n}` }), {});

    const main = await readTopicFromNow(topic);
    const notices = await readTopicFromNow(dlqTopic(topic));
    try {
      // Two oversized entries, each with a small event staged after it on the same aggregate, and
      // small ones on other aggregates: everything but the two big ones gets out.
      const docs = [
        { _id: 'agg-1', verdict: 'x', outbox: [big(1), small(1)] },
        { _id: 'agg-2', verdict: 'x', outbox: [small(2)] },
        { _id: 'agg-3', verdict: 'x', outbox: [big(3), small(3)] },
        { _id: 'agg-4', verdict: 'x', outbox: [small(4)] },
      ].map((doc) => ({ ...doc, ...stagedMarks(new Date()) }));
      await checks.insertMany(docs);
      app.events.published();
      await waitFor(() => ['small-1', 'small-2', 'small-3', 'small-4'].every((id) => idsOn(main.records).includes(id)), {
        what: 'every small entry delivered despite the refused ones',
        timeoutMs: 30_000,
      });
      const listed = await waitFor(
        async () => {
          const res = await app.inject({ url: '/ops/outbox/quarantine', headers: asAdmin() });
          const entries = res.json().data as { id: string; error: string; attempts: number; sizeBytes: number }[];
          return entries.length === 2 ? entries : undefined;
        },
        { what: 'both oversized entries quarantined', timeoutMs: 30_000 },
      );
      const bigIds = [docs[0]!.outbox[0]!.id, docs[2]!.outbox[0]!.id];
      expect(listed.map((entry) => entry.id).sort()).toEqual([...bigIds].sort());
      for (const entry of listed) {
        expect(entry.attempts).toBe(5);
        expect(entry.sizeBytes).toBeGreaterThan(60_000);
        expect(entry.error).toMatch(/too large|larger/i);
      }
      // The admin console learns of it through the dead-letter topic, with the error.
      const notice = await waitFor(() => notices.records.find((record) => record.headers[QUARANTINE_NOTICE_HEADER]), {
        what: 'quarantine notice on the dead-letter topic',
      });
      expect(notice.headers['x-dlq-error']).toMatch(/too large|larger/i);
      expect(JSON.parse(notice.value!)).toMatchObject({ notice: 'outbox-quarantine', service: 'kit-outbox', topic });

      // Later events still flow after the relay has given up on the big ones.
      await checks.create({ _id: 'agg-5', verdict: 'x', outbox: [small(5)], ...stagedMarks(new Date()) });
      app.events.published();
      await waitFor(() => idsOn(main.records).includes('small-5'), { what: 'a later event delivered' });
      expect(idsOn(main.records)).not.toContain('big-1');

      // Replay before the fix: refused again, kept. After raising the limit: delivered, and gone.
      const early = await app.inject({ method: 'POST', url: `/ops/outbox/quarantine/${bigIds[0]}/replay`, headers: asAdmin() });
      expect(early.statusCode).toBe(503);
      expect(early.json().error.code).toBe('SERVICE_UNAVAILABLE');
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: 2 /* TOPIC */, name: testTopic(topic), configEntries: [{ name: 'max.message.bytes', value: '1000000' }] }],
      });
      const replayed = await waitFor(
        async () => {
          const res = await app.inject({ method: 'POST', url: `/ops/outbox/quarantine/${bigIds[0]}/replay`, headers: asAdmin() });
          return res.statusCode === 200 ? res : undefined;
        },
        { what: 'replay accepted once the topic takes large records' },
      );
      expect(replayed.json().data).toEqual({ id: bigIds[0], status: 'delivered' });
      await waitFor(() => idsOn(main.records).includes('big-1'), { what: 'replayed entry on the topic' });
      const after = (await app.inject({ url: '/ops/outbox/quarantine', headers: asAdmin() })).json().data as { id: string }[];
      expect(after.map((entry) => entry.id)).toEqual([bigIds[1]]);
      expect((await app.inject({ method: 'POST', url: '/ops/outbox/quarantine/nope/replay', headers: asAdmin() })).statusCode).toBe(404);
    } finally {
      await main.stop();
      await notices.stop();
    }
  });
});

describe('order and ownership', () => {
  it("publishes one aggregate's events in the document's array order, whatever their clocks say", async () => {
    const app = await producerWith();
    await app.events.relay.stop();
    const checks = checksOf(app);
    const id = `ordered-${uniqueSuffix()}`;
    const doc = new (checks)({ _id: id, verdict: 'passed' });
    const events = [1, 2, 3, 4].map((n) => stageEvent(doc, TOPIC, id, { ...sampleEventData[TOPIC], checkId: `${id}-${n}` }, app.events.context()));
    // Staged by replicas whose clocks disagree: later entries carry earlier timestamps.
    doc.outbox.forEach((entry, index) => (entry.createdAt = new Date(Date.now() - index * 1000)));
    await doc.save();
    const reader = await readTopicFromNow(TOPIC);
    try {
      app.events.relay.start();
      await waitFor(() => events.every((event) => idsOn(reader.records).includes(event.id)), { what: 'all four delivered' });
      expect(idsOn(reader.records).filter((eventId) => events.some((event) => event.id === eventId))).toEqual(events.map((e) => e.id));
    } finally {
      await reader.stop();
    }
  });

  it("two replicas' relays never send the same entry twice", async () => {
    const first = await producerWith();
    // The second replica shares the first one's database (same service, same data).
    const second = await producerWith({ MONGO_DB: first.mongo.name });
    await Promise.all([first.events.relay.stop(), second.events.relay.stop()]);
    const staged: FoodXchangeEvent[] = [];
    for (let n = 0; n < 40; n += 1) staged.push(await stage(n % 2 ? first : second, `pair-${uniqueSuffix()}-${n}`, false));
    const reader = await readTopicFromNow(TOPIC);
    try {
      // Both start at once and keep being kicked, as two busy replicas would.
      first.events.relay.start();
      second.events.relay.start();
      for (let n = 0; n < 10; n += 1) {
        first.events.published();
        second.events.published();
      }
      await waitFor(() => staged.every((event) => idsOn(reader.records).includes(event.id)), { what: 'all 40 delivered' });
      await Promise.all([first.events.relay.flush(), second.events.relay.flush()]);
      const ours = idsOn(reader.records).filter((id) => staged.some((event) => event.id === id));
      expect(ours).toHaveLength(40);
      expect(new Set(ours).size).toBe(40);
    } finally {
      await reader.stop();
    }
  });

  it('remembers deliveries as long as entries stay in their aggregate, so a stale watermark re-sends nothing', async () => {
    expect(DELIVERED_RETENTION_MS).toBeGreaterThan(OUTBOX_ENTRY_RETENTION_MS);
    const app = await producerWith();
    const event = await stage(app, `stale-${uniqueSuffix()}`);
    await app.events.relay.flush();
    await app.events.relay.stop();
    // Two days later, the hourly clean-up runs; the watermark is then found six days behind
    // (a relay restored from an old backup, or one that was down for most of a week).
    expect(await app.events.relay.cleanup(new Date(Date.now() + 2 * 24 * 3600 * 1000))).toBe(0);
    await app.mongo
      .collection('outbox_watermarks')
      .updateOne({ _id: 'checks' as never }, { $set: { scannedFrom: new Date(Date.now() - 6 * 24 * 3600 * 1000) } });
    const reader = await readTopicFromNow(TOPIC);
    try {
      const marker = await stage(app, `stale-after-${uniqueSuffix()}`, false);
      app.events.relay.start();
      await waitFor(() => idsOn(reader.records).includes(marker.id), { what: 'the new event delivered' });
      expect(idsOn(reader.records)).not.toContain(event.id);
    } finally {
      await reader.stop();
    }
  });
});

describe('finding work without reading the whole collection', () => {
  it('looks staged documents up by their staging slot, and a sweep finds a write that set none', async () => {
    const app = await producerWith();
    await app.events.relay.stop();
    const checks = checksOf(app);
    const producer = kafka.producer();
    await producer.connect();
    // A relay of its own, so the sweep interval is the test's: one sweep now, the next in an hour.
    const relay = new OutboxRelay(producer, app.mongo, app.log, { pollIntervalMs: 3600_000, sweepIntervalMs: 3600_000 }, testTopic);
    relay.register(checks);
    const reader = await readTopicFromNow(TOPIC);
    try {
      await relay.flush(); // the first pass: a sweep of the range
      const staged = await stage(app, `slot-${uniqueSuffix()}`, false);
      await relay.flush();
      await waitFor(() => idsOn(reader.records).includes(staged.id), { what: 'the staged event delivered' });
      const stagedDoc = await checks.findById(staged.subject).lean();
      expect(stagedDoc?.outboxBucket).toBe(outboxBucketOf(stagedDoc!.outboxStagedAt!));
      const marker = await app.mongo.collection('outbox_delivered').findOne({ _id: staged.id as never });
      expect(marker?.bucket).toBe(outboxBucketOf(new Date(stagedDoc!.outbox[0]!.createdAt)));

      // A writer that sets the time but no slot (an older replica during a rolling deploy):
      // the passes between sweeps ask by slot, so they do not see it…
      const legacyId = `legacy-${uniqueSuffix()}`;
      const { entry } = outboxEntry(TOPIC, legacyId, { ...sampleEventData[TOPIC], checkId: legacyId }, app.events.context());
      await checks.collection.insertOne({ _id: legacyId as never, verdict: 'passed', outbox: [entry], outboxStagedAt: entry.createdAt });
      await relay.flush();
      expect(idsOn(reader.records)).not.toContain(entry.id);
      // …and the next sweep does.
      await app.mongo
        .collection('outbox_watermarks')
        .updateOne({ _id: 'checks' as never }, { $set: { sweptFrom: new Date(Date.now() - 2 * 3600_000) } });
      await relay.flush();
      await waitFor(() => idsOn(reader.records).includes(entry.id), { what: 'the unmarked write delivered by the sweep' });
      expect(idsOn(reader.records).filter((id) => id === staged.id || id === entry.id)).toHaveLength(2);
    } finally {
      await relay.stop();
      await producer.disconnect();
      await reader.stop();
    }
  });

  it('polls without writing: a pass that finds nothing takes no lease and leaves a young watermark as it is', async () => {
    const app = await producerWith();
    await app.events.relay.stop();
    const checks = checksOf(app);
    const producer = kafka.producer();
    await producer.connect();
    const relay = new OutboxRelay(producer, app.mongo, app.log, { pollIntervalMs: 3600_000, watermarkRefreshMs: 3600_000 }, testTopic);
    relay.register(checks);
    const reader = await readTopicFromNow(TOPIC);
    // Every write the relay's models make on this connection (mongoose reports each operation).
    const writes: string[] = [];
    const WRITES = /^(insert|update|delete|replace|findOneAndUpdate|findOneAndDelete|bulkWrite|create)/i;
    app.mongo.set('debug', (collection: string, method: string) => {
      if (WRITES.test(method)) writes.push(`${collection}.${method}`);
    });
    try {
      const staged = await stage(app, `idle-${uniqueSuffix()}`, false);
      await relay.flush(); // the first pass sweeps, sends and writes its books
      await waitFor(() => idsOn(reader.records).includes(staged.id), { what: 'the staged event delivered' });
      expect(writes.length).toBeGreaterThan(0);
      writes.length = 0;
      for (let pass = 0; pass < 5; pass += 1) await relay.flush();
      expect(writes).toEqual([]);
      // Work again: that pass takes the lease, sends, and writes its books as before.
      const next = await stage(app, `idle-then-${uniqueSuffix()}`, false);
      await relay.flush();
      await waitFor(() => idsOn(reader.records).includes(next.id), { what: 'the next event delivered' });
      expect(writes.some((write) => write.startsWith('outbox_relay_lease.'))).toBe(true);
      expect(writes.some((write) => write.startsWith('outbox_watermarks.'))).toBe(true);
      expect(idsOn(reader.records).filter((id) => id === staged.id || id === next.id)).toHaveLength(2);
    } finally {
      app.mongo.set('debug', false);
      await relay.stop();
      await producer.disconnect();
      await reader.stop();
    }
  });

  it("polls rarely at rest, and at the short poll again after a write's kick or a wake (a rebalance)", async () => {
    const app = await producerWith();
    await app.events.relay.stop();
    const checks = checksOf(app);
    const producer = kafka.producer();
    await producer.connect();
    const relay = new OutboxRelay(producer, app.mongo, app.log, { pollIntervalMs: 150, idlePollIntervalMs: 3600_000, warmMs: 800 }, testTopic);
    relay.register(checks);
    const reader = await readTopicFromNow(TOPIC);
    const atRest = () => waitFor(() => relay.pollDelayMs === 3600_000, { what: 'the relay at rest' });
    try {
      relay.start();
      expect(relay.pollDelayMs).toBe(150); // a start is activity
      // While warm, the short poll finds a write that kicked nothing (another replica's).
      const unannounced = await stage(app, `warm-${uniqueSuffix()}`, false);
      await waitFor(() => idsOn(reader.records).includes(unannounced.id), { what: 'the warm poll delivering' });
      await atRest();

      // A write's kick: the short poll again at once, and the event leaves.
      const kicked = await stage(app, `kicked-${uniqueSuffix()}`, false);
      relay.kick();
      expect(relay.pollDelayMs).toBe(150);
      await waitFor(() => idsOn(reader.records).includes(kicked.id), { what: 'the kicked event delivered' });
      await atRest();

      // At rest, a write that kicked nothing waits for the long poll, or for a wake (a rebalance).
      const leftOver = await stage(app, `left-${uniqueSuffix()}`, false);
      expect(relay.pollDelayMs).toBe(3600_000);
      relay.wake();
      expect(relay.pollDelayMs).toBe(150);
      await waitFor(() => idsOn(reader.records).includes(leftOver.id), { what: 'the woken pass delivering' });
      expect(idsOn(reader.records).filter((id) => [unannounced.id, kicked.id, leftOver.id].includes(id))).toHaveLength(3);
    } finally {
      await relay.stop();
      await producer.disconnect();
      await reader.stop();
    }
  });

  it("a write's kick scans only the collections its saves and updates wrote; a kick nothing noted scans every model", async () => {
    const app = await producerWith();
    await app.events.relay.stop();
    const checks = checksOf(app);
    const AuditSchema = new Schema<{ _id: string } & OutboxFields>({ _id: String });
    AuditSchema.plugin(outboxPlugin);
    const audits = app.mongo.model('KickAudit', AuditSchema, 'kick_audits');
    const producer = kafka.producer();
    await producer.connect();
    const relay = new OutboxRelay(producer, app.mongo, app.log, { pollIntervalMs: 3600_000 }, testTopic);
    relay.register(checks);
    relay.register(audits);
    const reader = await readTopicFromNow(TOPIC);
    const scanned: string[] = [];
    try {
      relay.start(); // its first pass: every model
      await relay.flush();
      app.mongo.set('debug', (collection: string, method: string) => {
        if (method === 'find') scanned.push(collection);
      });
      const staged = await stage(app, `kick-${uniqueSuffix()}`, false);
      relay.kick();
      await waitFor(() => idsOn(reader.records).includes(staged.id), { what: 'the saved event delivered by the kick' });
      await waitFor(() => scanned.includes('checks'), { what: 'the kicked pass over checks' });
      expect(scanned).not.toContain('kick_audits');

      // Staged by an update through the model: noted too, so that kick scans only its collection.
      scanned.length = 0;
      const auditId = `audit-${uniqueSuffix()}`;
      const { entry } = outboxEntry(TOPIC, auditId, { ...sampleEventData[TOPIC], checkId: auditId }, app.events.context());
      await audits.updateOne({ _id: auditId }, withStagedEvents({}, [entry]), { upsert: true });
      relay.kick();
      await waitFor(() => idsOn(reader.records).includes(entry.id), { what: 'the updated document\'s event delivered' });
      expect(scanned).toContain('kick_audits');
      expect(scanned).not.toContain('checks');

      // Written with the driver directly (no mongoose hook sees it): nothing noted, so the kick scans every model.
      scanned.length = 0;
      const rawId = `raw-${uniqueSuffix()}`;
      const raw = outboxEntry(TOPIC, rawId, { ...sampleEventData[TOPIC], checkId: rawId }, app.events.context()).entry;
      await audits.collection.insertOne({ _id: rawId as never, outbox: [raw], ...stagedMarks(raw.createdAt) });
      relay.kick();
      await waitFor(() => idsOn(reader.records).includes(raw.id), { what: 'the raw write\'s event delivered' });
      expect(scanned).toEqual(expect.arrayContaining(['checks', 'kick_audits']));
    } finally {
      app.mongo.set('debug', false);
      await relay.stop();
      await producer.disconnect();
      await reader.stop();
      await app.mongo.dropCollection('kick_audits').catch(() => undefined);
    }
  });

  it('delivers a write committed after a later pass began by the next pass that looks back the whole overlap', async () => {
    const app = await producerWith();
    await app.events.relay.stop();
    const checks = checksOf(app);
    const producer = kafka.producer();
    await producer.connect();
    // The whole overlap (16 s) at most every 8 s; the passes between look back 1 s.
    const relay = new OutboxRelay(producer, app.mongo, app.log, { pollIntervalMs: 3600_000, overlapMs: 16_000, lateMarginMs: 1_000 }, testTopic);
    relay.register(checks);
    const reader = await readTopicFromNow(TOPIC);
    try {
      await relay.flush(); // a sweep, which looks back the whole overlap
      // A bulk write that staged 5 s ago and commits only now, after that pass began.
      const lateId = `late-${uniqueSuffix()}`;
      const doc = new checks({ _id: lateId, verdict: 'passed' });
      const late = stageEvent(doc, TOPIC, lateId, { ...sampleEventData[TOPIC], checkId: lateId }, app.events.context());
      const stagedAt = new Date(Date.now() - 5_000);
      doc.outbox[0]!.createdAt = stagedAt;
      Object.assign(doc, stagedMarks(stagedAt));
      await doc.save();
      await relay.flush(); // within 8 s of the sweep: looks back 1 s only
      expect(idsOn(reader.records)).not.toContain(late.id);
      await waitFor(
        async () => {
          await relay.flush();
          return idsOn(reader.records).includes(late.id);
        },
        { what: 'the late write delivered by a whole-overlap pass', timeoutMs: 30_000, intervalMs: 500 },
      );
    } finally {
      await relay.stop();
      await producer.disconnect();
      await reader.stop();
    }
  });
});

describe('a relay killed between send and delivered marker', () => {
  it('re-sends the event after restart, and the consumer handles it once', async () => {
    const consumer = await buildService(consumerService, consumerApp, isolatedEnv('kitoutboxconsumer'));
    apps.push(consumer);
    await consumer.events.whenConsuming();
    const database = `test_kitcrash_${uniqueSuffix()}`;
    const checkId = `crash-${uniqueSuffix()}`;
    const reader = await readTopicFromNow(TOPIC);
    try {
      const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
      const child = spawn(tsx, [fileURLToPath(new URL('./fixtures/crash-after-send.ts', import.meta.url))], {
        env: { ...process.env, MONGO_URL: mongoUrl, MONGO_DB: database, KAFKA_BROKERS: brokers.join(','), TOPIC_PREFIX: 'test.', CHECK_ID: checkId },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      // tsx runs the script in a child of its own and passes its death on as exit code 128 + 9.
      const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('exit', (code, signal) => resolve({ code, signal })),
      );
      expect(exit.signal === 'SIGKILL' || exit.code === 137, `killed, not ${JSON.stringify(exit)}`).toBe(true);
      const eventId = (JSON.parse(output.trim().split('\n')[0]!) as { staged: string }).staged;
      await waitFor(() => idsOn(reader.records).includes(eventId), { what: 'the record the killed relay sent' });

      // Restart: a relay on the same database finds no delivered marker and sends it again.
      const restarted = await producerWith({ MONGO_DB: database });
      expect(await restarted.mongo.collection('outbox_delivered').findOne({ _id: eventId as never })).toBeNull();
      await restarted.events.relay.flush();
      await waitFor(() => idsOn(reader.records).filter((id) => id === eventId).length === 2, { what: 'the duplicate on the topic' });
      await waitFor(() => runs.get(eventId) === 1, { what: 'consumer handled it' });
      // A later event of the same aggregate (same key, same partition) proves the consumer has
      // read past both copies.
      const doc = await checksOf(restarted).findById(checkId);
      const later = stageEvent(doc!, TOPIC, checkId, { ...sampleEventData[TOPIC], checkId }, restarted.events.context());
      await doc!.save();
      restarted.events.published();
      await waitFor(() => runs.has(later.id), { what: 'later event handled' });
      expect(runs.get(eventId)).toBe(1);
    } finally {
      await reader.stop();
    }
  });
});
