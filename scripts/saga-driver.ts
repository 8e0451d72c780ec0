/**
 * The sourcing saga driven from outside, through the gateway's HTTP API only: what `pnpm
 * chaos:saga`, `pnpm bench:saga` and the e2e chaos test share.
 *
 * - `startSagaPlatform` launches the processes the saga needs on offset ports, with databases,
 *   consumer groups, a search alias and a topic prefix of the run's own (so nothing reaches a
 *   developer's platform and only this run's events are counted), and signs in the local admin.
 *   With `replicas` (or `nginx`) it starts that many of each process and nginx in front of the gateways.
 * - `setUpMarket` registers buyers and suppliers, adds the suppliers' certificates, has the admin
 *   verify them, lists one product each, and waits until the matcher finds them all.
 * - `runSaga` is one RFQ → matched → quote → award → order confirmed or rejected.
 * - `auditSagas` counts, after the fact, awards (from the RFQs' timelines), orders (from the
 *   buyers' order lists), duplicates and orders still pending; `countDeadLetters` the records on
 *   the run's `<topic>.dlq` topics.
 * - `killProcess` / `restartProcess` / `killBroker` / `restartBroker`: the faults (SIGKILL).
 *
 * Every wait is bounded and polls a condition; nothing sleeps for a fixed time to let work happen.
 */
import { createRequire } from 'node:module';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { infraStatus, infraUp } from '../infra/src/index.js';
import { ALL_TOPICS, dlqTopic } from '../packages/contracts/src/index.js';
import { LOCAL_ADMIN, launch, portOf, root, stopProcesses, type InfraUrls, type RunningProcess } from './platform.js';
import { startNginx, type RunningNginx } from './nginx.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- thin handles on the real clients and on JSON answers */
const requireFromKit = createRequire(join(root, 'packages', 'service-kit', 'package.json'));
const { Kafka, logLevel } = requireFromKit('kafkajs') as { Kafka: new (options: object) => any; logLevel: { NOTHING: number } };
const mongoose = requireFromKit('mongoose') as { createConnection(url: string, options?: object): { asPromise(): Promise<any> } };

/** What the saga needs: identity, companies, catalogue and matching, the three saga services, the gateway. */
export const SAGA_PROCESSES = ['auth', 'user', 'catalog', 'rfq', 'compliance', 'order', 'gateway'];

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until it gives a value. `maxIntervalMs` above `intervalMs` backs off (×1.5 per
 * probe up to it), as a client polling for an outcome does.
 */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number, intervalMs = 200, maxIntervalMs = intervalMs): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let interval = intervalMs;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    await sleep(interval);
    interval = Math.min(maxIntervalMs, Math.round(interval * 1.5));
  }
}

// ---------------------------------------------------------------- the platform

export interface SagaPlatformOptions {
  infra: InfraUrls;
  portOffset: number;
  /** Names the run's databases, groups, alias and topic prefix. */
  runName: string;
  processes?: string[];
  logLevel?: string;
  /** Extra environment per process (after the run's own). */
  extraEnv?: (name: string) => Record<string, string>;
  startTimeoutMs?: number;
  /**
   * Instances of every process of the run (launch's `replicas`, default 1). Above 1 nginx goes in
   * front of the gateways on the gateway's port of the run, as `npm start -- --replicas 2` does.
   */
  replicas?: number;
  /**
   * nginx in front of the gateway(s) even with one replica (a benchmark's like-for-like baseline):
   * the one gateway then moves to replica 1's gateway port, as it would with several.
   */
  nginx?: boolean;
}

export interface SagaPlatform {
  gateway: string;
  topicPrefix: string;
  suffix: string;
  infra: InfraUrls;
  processes: RunningProcess[];
  logDir: string;
  admin: Account;
  envFor: (name: string) => Record<string, string>;
  dbName: (name: string) => string;
  portOffset: number;
  /** Instances of each process started with the platform. */
  replicas?: number;
  /**
   * nginx in front of the gateways, when asked for (`gateway` is then its URL). Its process is
   * also in `processes` (named `nginx`), so `stopProcesses` stops it and CPU counts include it;
   * `cleanUp` removes its temporary prefix.
   */
  nginx?: RunningNginx;
}

export function newSuffix(): string {
  return `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
}

export async function startSagaPlatform(options: SagaPlatformOptions): Promise<SagaPlatform> {
  const suffix = newSuffix();
  const topicPrefix = `${options.runName}${suffix}.`;
  const dbName = (name: string) => `${options.runName}_${name}_${suffix}`;
  const envFor = (name: string): Record<string, string> => ({
    NODE_ENV: 'test',
    LOG_LEVEL: options.logLevel ?? 'warn',
    MONGO_DB: dbName(name),
    KAFKA_GROUP_ID: `${options.runName}.${name}.${suffix}`,
    // Topics of this run only, read from their beginning: an event published before a consumer
    // first joined (the services start in parallel) is still handled.
    KAFKA_TOPIC_PREFIX: topicPrefix,
    KAFKA_FROM_BEGINNING: 'true',
    // OUTBOX_POLL_MS stays the services' default (5 s): a write kicks its relay at once, so the
    // poll only paces recovery after faults, and a shorter one costs an idle platform CPU.
    // A SIGKILLed replica's claims delay its events this long: short, so the run settles sooner.
    CONSUMER_CLAIM_LEASE_MS: '5000',
    // A SIGKILLed member stays in its group until its session times out, and a restarted service
    // cannot join (its start-up times out) until then: 10 s instead of 30 s (heartbeats every 3.3 s).
    KAFKA_SESSION_TIMEOUT_MS: process.env.SAGA_SESSION_TIMEOUT_MS ?? '10000',
    ...(name === 'gateway'
      ? {
          RATE_LIMIT_GLOBAL_MAX: '1000000000',
          RATE_LIMIT_USER_MAX: '1000000000',
          RATE_LIMIT_AUTH_MAX: '1000000000',
          RATE_LIMIT_API_KEY_MAX: '1000000000',
          RATE_LIMIT_NAMESPACE: `${options.runName}:${suffix}:gateway:`,
        }
      : {}),
    ...(name === 'auth' ? { LOGIN_THROTTLE_NAMESPACE: `${options.runName}:${suffix}:login:` } : {}),
    ...(name === 'catalog' ? { SEARCH_INDEX_ALIAS: `${options.runName}-products-${suffix}` } : {}),
    ...(options.extraEnv?.(name) ?? {}),
  });
  await createTopics(options.infra, topicPrefix);
  const logDir = mkdtempSync(join(tmpdir(), `foodxchange-${options.runName}-`));
  const replicas = options.replicas ?? 1;
  const withNginx = replicas > 1 || options.nginx === true;
  // Behind nginx, even a lone gateway moves to replica 1's gateway port: nginx takes the gateway's.
  const processes = launch({ infra: options.infra, portOffset: options.portOffset, logDir, only: options.processes ?? SAGA_PROCESSES, envFor, replicas, gatewaysBehindNginx: withNginx });
  const gateway = `http://127.0.0.1:${portOf('gateway', options.portOffset)}`;
  const platform: SagaPlatform = {
    gateway,
    topicPrefix,
    suffix,
    infra: options.infra,
    processes,
    logDir,
    admin: undefined as unknown as Account,
    envFor,
    dbName,
    portOffset: options.portOffset,
    replicas,
  };
  try {
    await waitForReady(processes, options.startTimeoutMs ?? 180_000);
    if (withNginx) {
      const gatewayPorts = processes.filter((proc) => proc.name === 'gateway').map((proc) => proc.port);
      const nginx = await startNginx(gatewayPorts, { port: portOf('gateway', options.portOffset) });
      platform.nginx = nginx;
      processes.push({ name: 'nginx', replica: 1, port: portOf('gateway', options.portOffset), log: nginx.errorLog, child: nginx.process });
    }
    const api = new Api(gateway);
    platform.admin = await api.login(LOCAL_ADMIN.email, LOCAL_ADMIN.password);
  } catch (error) {
    await stopProcesses(processes);
    await platform.nginx?.stop();
    throw error;
  }
  return platform;
}

/** As many partitions as the services' default (KAFKA_TOPIC_PARTITIONS): 3 before issue 11. */
const SAGA_TOPIC_PARTITIONS = Number(process.env.SAGA_TOPIC_PARTITIONS ?? 6);

/**
 * Every contract topic of the run's prefix and its dead-letter topic, made before the services
 * start. Services make the topics they use themselves, but on a prefix no topic exists yet and
 * seven services creating the same topics at once fail: one lost the race with "This server does
 * not host this topic-partition" from its metadata request and exited (seen with order).
 */
async function createTopics(infra: InfraUrls, prefix: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'saga-topics', brokers: infra.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = ALL_TOPICS.flatMap((topic) => [topic, dlqTopic(topic)]).map((topic) => prefix + topic);
    await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: SAGA_TOPIC_PARTITIONS, replicationFactor: 1 })) });
    // Leaders named in metadata may still refuse lookups for a moment: ask each one.
    for (const topic of topics) await waitUntil(`a leader for ${topic}`, () => admin.fetchTopicOffsets(topic).then(() => true), 30_000, 100);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Each process's readiness (`/health/ready`: Mongo, Kafka, consumers joined), bounded. */
export async function waitForReady(processes: RunningProcess[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const proc of processes) {
    for (;;) {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`${proc.name} exited (${proc.child.exitCode ?? proc.child.signalCode}); see ${proc.log}`);
      const ok = await fetch(`http://127.0.0.1:${proc.port}/health/ready`, { signal: AbortSignal.timeout(2000) })
        .then((res) => res.ok)
        .catch(() => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`${proc.name} not ready within ${timeoutMs / 1000} s; see ${proc.log}`);
      await sleep(250);
    }
  }
}

/** SIGKILL of a process's whole group (tsx and the node it runs): no drain, no goodbye. */
export async function killProcess(proc: RunningProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) resolve();
    else proc.child.once('exit', () => resolve());
  });
  try {
    process.kill(-proc.child.pid!, 'SIGKILL');
  } catch {
    proc.child.kill('SIGKILL');
  }
  await exited;
}

/**
 * Starts a process of the platform again (same port, database, group) and waits for it to be
 * ready. A start that exits (e.g. right after a broker restart the broker's coordinators are still
 * loading and the service's start-up times out) is started again, as a supervisor would, up to
 * `attempts` times; `onRetry` hears why.
 */
export async function restartProcess(platform: SagaPlatform, name: string, { timeoutMs = 120_000, attempts = 5, onRetry }: { timeoutMs?: number; attempts?: number; onRetry?: (why: string) => void } = {}): Promise<RunningProcess> {
  for (let attempt = 1; ; attempt += 1) {
    const [proc] = launch({ infra: platform.infra, portOffset: platform.portOffset, logDir: platform.logDir, only: [name], envFor: platform.envFor });
    platform.processes = [...platform.processes.filter((p) => p.name !== name || p.port !== proc!.port), proc!];
    try {
      await waitForReady([proc!], timeoutMs);
      return proc!;
    } catch (error) {
      if (attempt >= attempts || (proc!.child.exitCode === null && proc!.child.signalCode === null)) throw error;
      onRetry?.((error as Error).message);
      // The failed start may have left a member of its own in the group: let its session run out
      // first, or every new start waits for the last one's and fails the same way.
      await sleep(Number(platform.envFor(name).KAFKA_SESSION_TIMEOUT_MS ?? 30_000) + 2000);
    }
  }
}

/**
 * More replicas of a service: same database and consumer group (they share its partitions), on
 * ports of their own (no gateway route: they work from Kafka). Each gets its own log directory.
 */
export async function startReplica(platform: SagaPlatform, name: string, index: number, timeoutMs = 120_000): Promise<RunningProcess> {
  const offset = platform.portOffset + 100 * index;
  const [proc] = launch({
    infra: platform.infra,
    portOffset: offset,
    logDir: mkdtempSync(join(tmpdir(), `foodxchange-replica-${name}-`)),
    only: [name],
    envFor: (service) => ({
      ...platform.envFor(service),
      JWKS_URL: `http://127.0.0.1:${portOf('auth', platform.portOffset)}/api/v1/auth/.well-known/jwks.json`,
    }),
  });
  platform.processes.push(proc!);
  await waitForReady([proc!], timeoutMs);
  return proc!;
}

/** The launcher's own broker address: anything else in KAFKA_BROKERS is not ours to kill. */
const LAUNCHER_BROKERS = '127.0.0.1:9092';

/**
 * Runs `work` with the infra launcher treating Kafka as its own: the e2e global set-up exports
 * KAFKA_BROKERS (the launcher's address), and with it set the launcher only checks an "external"
 * broker (no pid, never started). Refuses a KAFKA_BROKERS that points anywhere else.
 */
async function asLaunchersBroker<T>(work: () => Promise<T>): Promise<T> {
  const configured = process.env.KAFKA_BROKERS;
  if (configured && configured !== LAUNCHER_BROKERS && configured !== 'localhost:9092') {
    throw new Error(`KAFKA_BROKERS=${configured} is not the infra launcher's broker: not killing or starting it`);
  }
  delete process.env.KAFKA_BROKERS;
  try {
    return await work();
  } finally {
    if (configured !== undefined) process.env.KAFKA_BROKERS = configured;
  }
}

/**
 * SIGKILL of the Kafka broker the launcher started (its pid), not a graceful stop. Refuses when
 * the broker is not the launcher's own (an external one is not ours to kill).
 */
export async function killBroker(): Promise<void> {
  const pid = await asLaunchersBroker(async () => (await infraStatus()).find((server) => server.name === 'kafka' && server.origin === 'started')?.pid ?? undefined);
  if (!pid) throw new Error('the Kafka broker is not one the infra launcher started (no pid): not killing it');
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      /* not a group leader, or gone */
    }
  }
  await waitUntil('the broker to die', async () => !isAlive(pid), 30_000, 100);
}

/** `pnpm infra up --only kafka`: starts the broker again (its log recovery included) and waits for it. */
export async function restartBroker(): Promise<void> {
  await asLaunchersBroker(() => infraUp({ only: ['kafka'], log: () => undefined }));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Drops the run's databases and search index (best effort), and stops its nginx if it has one. */
export async function cleanUp(platform: SagaPlatform): Promise<void> {
  // Stopped with the processes already, unless a caller skipped that; this also removes its prefix.
  await platform.nginx?.stop().catch(() => undefined);
  const connection = await mongoose
    .createConnection(platform.infra.mongoUrl)
    .asPromise()
    .catch(() => undefined);
  if (connection) {
    for (const name of SAGA_PROCESSES) await connection.useDb(platform.dbName(name)).dropDatabase().catch(() => undefined);
    await connection.close().catch(() => undefined);
  }
  const alias = platform.envFor('catalog').SEARCH_INDEX_ALIAS;
  await fetch(`${platform.infra.elasticsearchUrl}/${alias}-*`, { method: 'DELETE' }).catch(() => undefined);
}

// ---------------------------------------------------------------- HTTP

export interface Answer {
  status: number;
  body: any;
}

export interface Account {
  role: string;
  email: string;
  password: string;
  userId: string;
  companyId: string;
  accessToken: string;
  signedInAt: number;
}

/** Statuses that mean "the service is not there right now" (killed, restarting, breaker open): ask again. */
const UNAVAILABLE = new Set([502, 503, 504]);

export class Api {
  constructor(
    readonly gateway: string,
    /** How long a call keeps retrying while the service behind it is down. */
    readonly patienceMs = 120_000,
  ) {}

  /** One request; network failures and 502/503/504 are retried with backoff within `patienceMs`. */
  async call(path: string, init: { method?: string; body?: unknown; account?: Account; headers?: Record<string, string> } = {}): Promise<Answer> {
    const deadline = Date.now() + this.patienceMs;
    for (let attempt = 0; ; attempt += 1) {
      if (init.account) await this.fresh(init.account);
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      if (init.account) headers.authorization = `Bearer ${init.account.accessToken}`;
      let answer: Answer | undefined;
      try {
        const res = await fetch(`${this.gateway}${path}`, {
          method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
          headers,
          body: init.body === undefined ? undefined : JSON.stringify(init.body),
          signal: AbortSignal.timeout(15_000),
        });
        const text = await res.text();
        let body: any = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        answer = { status: res.status, body };
      } catch {
        answer = undefined;
      }
      if (answer && !UNAVAILABLE.has(answer.status)) return answer;
      if (Date.now() > deadline) return answer ?? { status: 0, body: 'no answer (network)' };
      await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
    }
  }

  async login(email: string, password: string, role = 'super_admin'): Promise<Account> {
    const res = await this.call('/api/v1/auth/login', { body: { email, password } });
    if (res.status !== 200) throw new Error(`sign-in of ${email} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
    const { user, accessToken } = res.body.data;
    return { role: user?.role ?? role, email, password, userId: user?.id, companyId: user?.companyId, accessToken, signedInAt: Date.now() };
  }

  /** Access tokens live 15 minutes: sign in again after 10 (a long chaos run outlives one). */
  private async fresh(account: Account): Promise<void> {
    if (Date.now() - account.signedInAt < 10 * 60_000) return;
    account.signedInAt = Date.now(); // one sign-in at a time per account
    const again = await this.login(account.email, account.password, account.role);
    account.accessToken = again.accessToken;
    account.signedInAt = again.signedInAt;
  }

  async register(role: 'buyer' | 'supplier', company: { name: string; country: string }, tag: string): Promise<Account> {
    const email = `${role}-${tag}-${randomBytes(3).toString('hex')}@example.com`;
    const password = `Saga-Orchard-${randomBytes(4).toString('hex')}`;
    const res = await this.call('/api/v1/auth/register', { body: { email, password, name: `Saga ${role} ${tag}`, role, company } });
    if (res.status !== 201) throw new Error(`registering ${email} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
    const { user, accessToken } = res.body.data;
    return { role, email, password, userId: user.id, companyId: user.companyId, accessToken, signedInAt: Date.now() };
  }

  /** Repeats a call until `done` accepts its answer (another service has to catch up first). */
  async until(what: string, make: () => Promise<Answer>, done: (res: Answer) => boolean, timeoutMs = 60_000): Promise<Answer> {
    let last: Answer | undefined;
    try {
      return await waitUntil(
        what,
        async () => {
          last = await make();
          return done(last) ? last : undefined;
        },
        timeoutMs,
        // From 100 ms backing off to 1 s: the platform's latencies are read from its own
        // timestamps, so this paces only the buyers' loops and the load their polling adds (each
        // poll is a gateway request and a query, CPU the two cores would otherwise give sagas).
        100,
        1000,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; last answer ${last?.status} ${JSON.stringify(last?.body).slice(0, 300)}`);
    }
  }
}

// ---------------------------------------------------------------- the market

export const SAGA_CATEGORY = 'vegetables.aubergines';
export const DELIVERY_COUNTRY = 'DE'; // EU: HACCP and ISO 22000 required by compliance's rule set

export interface Supplier {
  account: Account;
  productId: string;
  /** Holds ISO 22000 too: its EU orders pass compliance; without it they are rejected. */
  compliant: boolean;
}

export interface Market {
  buyers: Account[];
  suppliers: Map<string, Supplier>;
}

const day = 86_400_000;
const dateIn = (days: number) => new Date(Date.now() + days * day).toISOString().slice(0, 10);

/** Runs `work` over `items` with at most `limit` in flight. */
export async function inPool<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let index = next++; index < items.length; index = next++) results[index] = await work(items[index]!, index);
    }),
  );
  return results;
}

/**
 * Buyers and suppliers registered through the gateway; each supplier adds HACCP (and ISO 22000
 * unless it is one of the `nonCompliantEvery`-th), is verified by the admin and lists one product
 * in the saga's category. Returns once the matcher finds every supplier for the saga's RFQ.
 */
export async function setUpMarket(api: Api, platform: SagaPlatform, { buyers, suppliers, nonCompliantEvery = 0 }: { buyers: number; suppliers: number; nonCompliantEvery?: number }): Promise<Market> {
  const year = new Date().getUTCFullYear();
  const supplierList = await inPool(Array.from({ length: suppliers }, (_, i) => i), 4, async (index): Promise<Supplier> => {
    const account = await api.register('supplier', { name: `Huerta Saga ${index} SL`, country: 'ES' }, `${platform.suffix}-${index}`);
    const compliant = !(nonCompliantEvery > 0 && index % nonCompliantEvery === nonCompliantEvery - 1);
    for (const type of compliant ? ['HACCP', 'ISO22000'] : ['HACCP']) {
      const certificate = { type, number: `${type}-${platform.suffix}-${index}`, issuedBy: 'SGS', validFrom: `${year - 1}-01-01`, validUntil: `${year + 3}-12-31` };
      // The user service creates the company from user.registered: until then its id is unknown.
      await api.until(
        `the ${type} certificate of supplier ${index}`,
        () => api.call(`/api/v1/companies/${account.companyId}/certifications`, { body: certificate, account }),
        (res) => res.status === 201,
      );
    }
    await api.until(
      `the verification of supplier ${index}`,
      () => api.call(`/api/v1/companies/${account.companyId}/verify`, { body: { note: 'saga run' }, account: platform.admin }),
      (res) => res.status === 200,
    );
    const product = {
      sku: `AUB-${index}`,
      name: 'Sun-ripened aubergines',
      description: 'Glossy Andalusian aubergines, graded and packed in 5 kg cases.',
      category: SAGA_CATEGORY,
      originCountry: 'ES',
      unit: 'kg',
      moq: 10,
      priceTiers: [{ minQuantity: 10, unitPrice: 2.4, currency: 'EUR' }],
      certifications: ['HACCP'],
      allergens: [],
      storage: 'chilled',
    };
    // The catalog learns of the certificate from company.certification-added; until then the claim is refused.
    const created = await api.until(
      `the product of supplier ${index}`,
      () => api.call('/api/v1/products', { body: product, account }),
      (res) => res.status === 201,
    );
    return { account, productId: created.body.data.id, compliant };
  });
  const buyerList = await inPool(Array.from({ length: buyers }, (_, i) => i), 4, (index) =>
    api.register('buyer', { name: `Berliner Saga ${index} GmbH`, country: 'DE' }, `${platform.suffix}-${index}`),
  );
  const market: Market = { buyers: buyerList, suppliers: new Map(supplierList.map((s) => [s.account.companyId, s])) };
  // The matcher searches the product index, filled from product events: wait until it finds everyone.
  await api.until(
    'the matcher to find every supplier',
    () => api.call('/api/v1/suppliers/match', { body: { items: [rfqItem()], requiredCertifications: ['HACCP'], deliveryCountry: DELIVERY_COUNTRY }, account: buyerList[0]! }),
    (res) => res.status === 200 && res.body.data.filter((m: { supplierCompanyId: string }) => market.suppliers.has(m.supplierCompanyId)).length >= Math.min(suppliers, 10),
    120_000,
  );
  return market;
}

function rfqItem() {
  return { name: 'aubergines', category: SAGA_CATEGORY, quantity: 500, unit: 'kg' };
}

// ---------------------------------------------------------------- one saga

export interface SagaResult {
  rfqId?: string;
  awarded: boolean;
  outcome?: 'confirmed' | 'rejected';
  orderId?: string;
  /** Award → verdict on the order, from the servers' own timestamps (award's awardedAt, the order's history). */
  awardToOutcomeMs?: number;
  /** RFQ posted → matched (the RFQ's timeline). */
  createdToMatchedMs?: number;
  /** Award → order created (the order's createdAt). */
  awardToOrderMs?: number;
  error?: string;
}

export interface SagaOptions {
  /** How long to wait for the matches and for the order's verdict. */
  timeoutMs?: number;
  /** Called right after the award was answered (the chaos schedule counts these). */
  onAwarded?: () => void;
}

const at = (iso: string | undefined) => (iso ? Date.parse(iso) : Number.NaN);

/** One saga by `buyer`: RFQ → matched → one matched supplier of ours quotes → award → order decided. */
export async function runSaga(api: Api, market: Market, buyer: Account, index: number, options: SagaOptions = {}): Promise<SagaResult> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const result: SagaResult = { awarded: false };
  try {
    const created = await api.call('/api/v1/rfqs', {
      account: buyer,
      body: {
        title: `Aubergines for week ${index}`,
        items: [{ ...rfqItem(), targetUnitPriceMinor: 250, currency: 'EUR' }],
        requiredCertifications: ['HACCP'],
        deliveryCountry: DELIVERY_COUNTRY,
        deliveryDate: dateIn(30),
        responseDeadline: new Date(Date.now() + 6 * 3600_000).toISOString(),
      },
    });
    if (created.status !== 201) throw new Error(`POST /rfqs answered ${created.status}: ${JSON.stringify(created.body).slice(0, 300)}`);
    const rfqId: string = created.body.data.id;
    result.rfqId = rfqId;
    const matched = await api.until(
      `the matches of ${rfqId}`,
      () => api.call(`/api/v1/rfqs/${rfqId}`, { account: buyer }),
      (res) => res.status === 200 && (res.body.data.timeline ?? []).some((entry: { type: string }) => entry.type === 'matched'),
      timeoutMs,
    );
    const rfq = matched.body.data;
    result.createdToMatchedMs = at(rfq.timeline.find((e: any) => e.type === 'matched')?.at) - at(rfq.timeline.find((e: any) => e.type === 'created')?.at);
    const ours = (rfq.matches ?? []).map((m: { supplierCompanyId: string }) => market.suppliers.get(m.supplierCompanyId)).filter(Boolean) as Supplier[];
    if (ours.length === 0) throw new Error(`no supplier of this run matched ${rfqId}`);
    const supplier = ours[index % ours.length]!;
    const quote = await api.call(`/api/v1/rfqs/${rfqId}/quotes`, {
      account: supplier.account,
      body: {
        items: rfq.items.map((item: { id: string }) => ({ rfqItemId: item.id, unitPriceMinor: 240, productId: supplier.productId })),
        currency: 'EUR',
        leadTimeDays: 7,
        validUntil: dateIn(20),
      },
    });
    if (quote.status !== 201 && quote.status !== 200) throw new Error(`quote on ${rfqId} answered ${quote.status}: ${JSON.stringify(quote.body).slice(0, 300)}`);
    const quoteId: string = quote.body.data.id;
    let award = await api.call(`/api/v1/rfqs/${rfqId}/award`, { account: buyer, body: { quoteId } });
    if (award.status === 409) {
      // A retried award whose first attempt went through (its answer lost while a service restarted).
      const again = await api.call(`/api/v1/rfqs/${rfqId}`, { account: buyer });
      if (again.body?.data?.status === 'awarded' && again.body.data.awardedQuoteId === quoteId) award = { status: 201, body: { data: { awardedAt: again.body.data.timeline.findLast((e: any) => e.type === 'awarded')?.at } } };
    }
    if (award.status !== 201) throw new Error(`award on ${rfqId} answered ${award.status}: ${JSON.stringify(award.body).slice(0, 300)}`);
    result.awarded = true;
    options.onAwarded?.();
    const awardedAt = at(award.body.data.awardedAt);
    const decided = await api.until(
      `the order of ${rfqId} to be decided`,
      () => api.call(`/api/v1/orders?rfqId=${rfqId}`, { account: buyer }),
      (res) => res.status === 200 && res.body.data.some((order: { status: string }) => order.status !== 'pending_compliance'),
      timeoutMs,
    );
    const order = decided.body.data.find((o: { status: string }) => o.status !== 'pending_compliance');
    result.orderId = order.id;
    result.outcome = order.status === 'rejected' ? 'rejected' : 'confirmed';
    const verdict = (order.statusHistory ?? []).find((entry: { to: string }) => entry.to === 'confirmed' || entry.to === 'rejected');
    result.awardToOutcomeMs = at(verdict?.at) - awardedAt;
    result.awardToOrderMs = at(order.createdAt) - awardedAt;
  } catch (error) {
    result.error = (error as Error).message;
  }
  return result;
}

// ---------------------------------------------------------------- counting

export interface SagaAudit {
  rfqs: number;
  /** `awarded` entries in the RFQs' timelines (every round). */
  awards: number;
  orders: number;
  /** Orders beyond the first for the same (RFQ, quote). */
  duplicates: number;
  pending: number;
  confirmed: number;
  rejected: number;
}

async function allPages(api: Api, path: string, account: Account): Promise<any[]> {
  const rows: any[] = [];
  for (let page = 1; ; page += 1) {
    const res = await api.call(`${path}${path.includes('?') ? '&' : '?'}page=${page}&limit=100`, { account });
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 200)}`);
    rows.push(...res.body.data);
    if (res.body.data.length < 100) return rows;
  }
}

/** Awards from the RFQs (as their buyers see them), orders from the buyers' order lists. */
export async function auditSagas(api: Api, market: Market): Promise<SagaAudit> {
  const audit: SagaAudit = { rfqs: 0, awards: 0, orders: 0, duplicates: 0, pending: 0, confirmed: 0, rejected: 0 };
  for (const buyer of market.buyers) {
    const rfqs = await allPages(api, '/api/v1/rfqs', buyer);
    audit.rfqs += rfqs.length;
    await inPool(rfqs, 4, async (listed: { id: string }) => {
      const res = await api.call(`/api/v1/rfqs/${listed.id}`, { account: buyer });
      audit.awards += (res.body?.data?.timeline ?? []).filter((entry: { type: string }) => entry.type === 'awarded').length;
    });
    const orders = await allPages(api, '/api/v1/orders?createdFrom=rfq', buyer);
    const perAward = new Map<string, number>();
    for (const order of orders) {
      const key = `${order.rfqId}:${order.quoteId}`;
      perAward.set(key, (perAward.get(key) ?? 0) + 1);
      if (order.status === 'pending_compliance') audit.pending += 1;
      else if (order.status === 'rejected') audit.rejected += 1;
      else audit.confirmed += 1;
    }
    audit.orders += orders.length;
    for (const count of perAward.values()) audit.duplicates += count - 1;
  }
  return audit;
}

/** Records on the run's own dead-letter topics (`<prefix><topic>.dlq`). */
export async function countDeadLetters(platform: SagaPlatform): Promise<{ total: number; perTopic: Record<string, number> }> {
  const kafka = new Kafka({ clientId: 'saga-dlq-count', brokers: platform.infra.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = ((await admin.listTopics()) as string[]).filter((topic) => topic.startsWith(platform.topicPrefix) && topic.endsWith('.dlq'));
    const perTopic: Record<string, number> = {};
    let total = 0;
    for (const topic of topics) {
      const offsets = (await admin.fetchTopicOffsets(topic)) as { high: string; low: string }[];
      const count = offsets.reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
      if (count > 0) perTopic[topic.slice(platform.topicPrefix.length)] = count;
      total += count;
    }
    return { total, perTopic };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
/* eslint-enable @typescript-eslint/no-explicit-any */
