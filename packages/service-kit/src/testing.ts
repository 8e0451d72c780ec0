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

export interface TestTokenOptions {
  sub?: string;
  role?: 'buyer' | 'supplier' | 'admin' | 'super_admin';
  companyId?: string | null;
  permissions?: string[];
  jti?: string;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  iss?: string;
  aud?: string;
  kid?: string;
  akid?: string;
}

export interface TestIssuer {
  /** JWKS_URL/JWT_ISSUER/JWT_AUDIENCE for isolatedEnv: the app under test trusts this issuer. */
  env: Record<string, string>;
  jwksUrl: string;
  kid: string;
  publicKeyPem: string;
  /** An RS256 access token signed with the issuer's key, with the permissions of its role by default. */
  token(options?: TestTokenOptions): string;
  /** The same claims signed with a key that is not in the JWKS (under the issuer's kid). */
  forged(options?: TestTokenOptions): string;
  /** The claims with `alg: none` and no signature. */
  unsigned(options?: TestTokenOptions): string;
  /** The claims signed HS256 with the issuer's public key as the secret (the classic confusion attack). */
  hs256WithPublicKey(options?: TestTokenOptions): string;
  /** How many times the JWKS was fetched. */
  fetches(): number;
  close(): Promise<void>;
}

/**
 * A real token issuer for services' tests: an RSA key pair and a JWKS served over HTTP, so a
 * service under test verifies real RS256 tokens exactly as it does against the auth service.
 */
export async function startTestIssuer(): Promise<TestIssuer> {
  const { generateKeyPairSync, createHmac, randomUUID } = await import('node:crypto');
  const { createServer } = await import('node:http');
  const { createSigner } = await import('fast-jwt');
  const { permissionsOf } = await import('@foodxchange/contracts');
  const issuer = 'foodxchange-auth';
  const audience = 'foodxchange-api';
  const kid = `test-${uniqueSuffix()}`;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  let fetchCount = 0;
  const server = createServer((request, response) => {
    if (request.url === '/api/v1/auth/.well-known/jwks.json') {
      fetchCount += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    } else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const jwksUrl = `http://127.0.0.1:${port}/api/v1/auth/.well-known/jwks.json`;

  const claimsOf = (options: TestTokenOptions = {}) => {
    const role = options.role ?? 'buyer';
    const now = Math.floor(Date.now() / 1000);
    return {
      sub: options.sub ?? `user-${uniqueSuffix()}`,
      role,
      ...(options.companyId === null ? {} : { companyId: options.companyId ?? `company-${uniqueSuffix()}` }),
      permissions: options.permissions ?? permissionsOf(role),
      jti: options.jti ?? randomUUID(),
      iss: options.iss ?? issuer,
      aud: options.aud ?? audience,
      iat: now,
      exp: now + (options.expiresIn ?? 900),
      ...(options.akid ? { akid: options.akid } : {}),
    };
  };
  const sign = (key: unknown, options: TestTokenOptions = {}) =>
    createSigner({ algorithm: 'RS256', key: key as string, kid: options.kid ?? kid })(claimsOf(options));
  const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  return {
    env: { JWKS_URL: jwksUrl, JWT_ISSUER: issuer, JWT_AUDIENCE: audience },
    jwksUrl,
    kid,
    publicKeyPem,
    token: (options) => sign(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), options),
    forged: (options) => sign(other.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), options),
    unsigned: (options) => `${base64url({ alg: 'none', typ: 'JWT', kid })}.${base64url(claimsOf(options))}.`,
    hs256WithPublicKey: (options) => {
      const signingInput = `${base64url({ alg: 'HS256', typ: 'JWT', kid })}.${base64url(claimsOf(options))}`;
      return `${signingInput}.${createHmac('sha256', publicKeyPem).update(signingInput).digest('base64url')}`;
    },
    fetches: () => fetchCount,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** `Authorization: Bearer <token>` headers. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/**
 * For test apps that exercise something other than access (bad input, lifecycle): their own
 * routes default to `public`. Real services never use this: each route states its policy.
 */
export function publicByDefault(app: { addHook(name: 'onRoute', hook: (route: { config?: { access?: unknown } }) => void): unknown }): void {
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, access: route.config?.access ?? 'public' };
  });
}
