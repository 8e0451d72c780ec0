import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';

/**
 * Every test app publishes and consumes under this namespace on the shared broker, so a test
 * run's events (poison messages included) never reach a developer's running platform.
 */
export const TEST_TOPIC_PREFIX = 'test.';

/** The broker name of a contract topic in tests, for test code that talks to Kafka directly. */
export function testTopic(topic: string): string {
  return TEST_TOPIC_PREFIX + topic;
}

/**
 * Helpers for integration tests against the launcher's real servers. Each test run gets its own
 * databases and consumer groups so runs never see each other's data.
 */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** Overrides that isolate one test app: its own database and consumer group, quiet logs. */
export function isolatedEnv(service: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const suffix = uniqueSuffix();
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: 0,
    MONGO_DB: `test_${service}_${suffix}`,
    KAFKA_GROUP_ID: `test.${service}.${suffix}`,
    // A fresh test group starts at the end of each topic: earlier runs' events are not replayed.
    KAFKA_FROM_BEGINNING: false,
    KAFKA_TOPIC_PARTITIONS: 3,
    KAFKA_TOPIC_PREFIX: TEST_TOPIC_PREFIX,
    CONSUMER_BACKOFF_MS: 20,
    OUTBOX_POLL_MS: 200,
    ...extra,
  };
}

/** Polls until `probe` returns a truthy value or the time runs out (then throws its last state). */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeoutMs = 20_000, intervalMs = 100, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; last: ${String(last)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Drops the databases a test created, so repeated runs don't grow the shared server. */
export async function dropDatabase(app: { mongo?: { dropDatabase(): Promise<unknown> } }): Promise<void> {
  await app.mongo?.dropDatabase().catch(() => undefined);
}

export interface ReadRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  /** The bytes as they are on the broker (key and value above are their UTF-8 reading). */
  keyBytes: Buffer | null;
  valueBytes: Buffer | null;
  headers: Record<string, string>;
}

/**
 * Reads a topic from its current end: the high watermarks are taken first and the consumer seeks
 * to them, so every record produced after this resolves is seen and nothing earlier is.
 */
export async function readTopicFromNow(contractTopic: string): Promise<{ records: ReadRecord[]; stop: () => Promise<void> }> {
  // Test apps publish under the test namespace (isolatedEnv): read the broker topic they use.
  const topic = testTopic(contractTopic);
  const kafka = new Kafka({
    clientId: 'test-reader',
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();

  const records: ReadRecord[] = [];
  const consumer: Consumer = kafka.consumer({ groupId: `test.reader.${uniqueSuffix()}` });
  let joined!: () => void;
  const whenJoined = new Promise<void>((resolve) => (joined = resolve));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      records.push({
        partition,
        offset: message.offset,
        key: message.key?.toString() ?? null,
        value: message.value?.toString() ?? null,
        keyBytes: message.key ?? null,
        valueBytes: message.value ?? null,
        headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)])),
      });
    },
  });
  for (const { partition, high } of offsets) consumer.seek({ topic, partition, offset: high });
  await Promise.race([
    whenJoined,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`reader of ${topic} did not join in 30 s`)), 30_000)),
  ]);
  return { records, stop: () => consumer.disconnect() };
}
