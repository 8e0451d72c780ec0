import { randomBytes } from 'node:crypto';

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
