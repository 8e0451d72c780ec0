/**
 * The partner example (`examples/partner-consumer`) against real Kafka: it prints each valid
 * `order.confirmed` CloudEvent once, skips what does not match the published schemas, and
 * deduplicates by event id, across its own restarts too. (platform.test.ts runs it against the
 * event the real order service publishes in a whole saga.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { buildEvent, toKafkaMessage, TOPICS } from '@foodxchange/contracts';
import { infra } from './support.js';
import { partnerSaw, runPartnerConsumer, type PartnerRun } from './partner.js';

const prefix = `partner${randomBytes(3).toString('hex')}.`;
const topic = prefix + TOPICS.orderConfirmed;
const scratch = mkdtempSync(join(tmpdir(), 'fx-partner-'));
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
const runs: PartnerRun[] = [];

beforeAll(async () => {
  kafka = new Kafka({ clientId: 'e2e-partner', brokers: infra.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }] });
  producer = kafka.producer();
  await producer.connect();
});

afterAll(async () => {
  await Promise.all(runs.map((run) => run.stop()));
  await producer?.disconnect();
  await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin?.disconnect();
  rmSync(scratch, { recursive: true, force: true });
});

const confirmed = (orderId: string) =>
  buildEvent(TOPICS.orderConfirmed, {
    source: '/foodxchange/order',
    subject: orderId,
    correlationId: `corr-${orderId}`,
    data: { orderId, buyerCompanyId: 'buyer-1', supplierCompanyId: 'supplier-1', from: 'pending_compliance', to: 'confirmed', changedBy: 'system' },
  });

describe('the partner consumer example', () => {
  it('prints each valid event once, skips invalid records with the reason, and remembers what it handled across a restart', async () => {
    const first = confirmed(`ord-${randomBytes(3).toString('hex')}`);
    const second = confirmed(`ord-${randomBytes(3).toString('hex')}`);
    const valid = toKafkaMessage(first);
    const badData = JSON.parse(valid.value);
    delete badData.data.orderId;
    badData.id = `${first.id}-bad`;
    const badEnvelope = { ...JSON.parse(valid.value), id: `${first.id}-noversion`, specversion: '0.3' };
    await producer.send({
      topic,
      messages: [
        valid,
        valid, // a redelivery: the same event id
        { key: first.subject, value: JSON.stringify(badData) },
        { key: first.subject, value: JSON.stringify(badEnvelope) },
        { key: first.subject, value: 'not json' },
        toKafkaMessage(second),
      ],
    });
    const seenFile = join(scratch, 'seen.txt');
    const run = runPartnerConsumer({ topicPrefix: prefix, groupId: `partner-${randomBytes(3).toString('hex')}`, seenFile });
    runs.push(run);
    await partnerSaw(run, 'both events, the duplicate and three skipped records', (r) => r.events.length >= 2 && r.notes.filter((n) => n.startsWith('skipped') || n.startsWith('duplicate')).length >= 4);
    expect(run.events.map((event) => event.id).sort()).toEqual([first.id, second.id].sort());
    const printed = run.events.find((event) => event.id === first.id)!;
    expect(printed).toMatchObject({ type: first.type, subject: first.subject, data: { orderId: first.subject, to: 'confirmed' } });
    expect(run.notes).toContainEqual(`duplicate ${first.id} (already handled)`);
    const skipped = run.notes.filter((note) => note.startsWith('skipped'));
    expect(skipped).toHaveLength(3);
    expect(skipped.some((note) => /data: .*orderId/.test(note))).toBe(true);
    expect(skipped.some((note) => /envelope: .*specversion/.test(note))).toBe(true);
    expect(skipped.some((note) => note.endsWith('not JSON'))).toBe(true);
    await run.stop();
    expect(readFileSync(seenFile, 'utf8').split('\n').filter(Boolean).sort()).toEqual([first.id, second.id].sort());

    // A new group reads the topic again from the start: the ids it kept stop it handling them twice.
    const again = runPartnerConsumer({ topicPrefix: prefix, groupId: `partner-${randomBytes(3).toString('hex')}`, seenFile });
    runs.push(again);
    await partnerSaw(again, 'the restarted consumer recognising both events', (r) => r.notes.filter((n) => n.startsWith('duplicate')).length >= 3);
    expect(again.events).toEqual([]);
  });
});
