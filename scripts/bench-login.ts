/**
 * `npm run bench:login`: sign-ins per second with the hash parameters auth runs with, against the
 * baseline of the hash alone measured in the same run. The auth service runs as its own process
 * on the launcher's real servers (its own database and topic namespace); autocannon posts real
 * logins to it (each verifies argon2id, mints an RS256 token, stores a token family with its
 * user.logged-in event). The baseline is argon2's verify of the same kind of hash, in this
 * process, with as many verifications in flight as the service's libuv pool runs at once.
 * A benchmark prints figures; it asserts nothing.
 */
import { createRequire } from 'node:module';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { infraUp } from '../infra/src/index.js';
import { launch, portOf, root, stopProcesses } from './platform.js';
import { ensureBuilt } from './build.js';

ensureBuilt(); // the processes it launches run their compiled build

const requireFromAuth = createRequire(join(root, 'services', 'auth', 'package.json'));
const mongoose = requireFromAuth('mongoose') as { createConnection(url: string, options: object): { asPromise(): Promise<{ dropDatabase(): Promise<unknown>; close(): Promise<void> }> } };
const argon2 = requireFromAuth('argon2') as {
  argon2id: number;
  hash(password: string, options: Record<string, unknown>): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
};
const autocannon = createRequire(join(root, 'gateway', 'package.json'))('autocannon') as (
  options: Record<string, unknown>,
) => Promise<{ requests: { average: number; total: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number }>;

const OFFSET = 21_000;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
// The hash parameters auth uses unless configured otherwise (services/auth/README.md).
const HASH = { type: argon2.argon2id, memoryCost: Number(process.env.ARGON2_MEMORY_KIB ?? 19456), timeCost: Number(process.env.ARGON2_TIME_COST ?? 2), parallelism: Number(process.env.ARGON2_PARALLELISM ?? 1) };
// libuv's default pool: the service hashes at most this many passwords at once.
const IN_FLIGHT = Number(process.env.UV_THREADPOOL_SIZE ?? 4);

async function hashBaseline(): Promise<{ perSecond: number; total: number }> {
  const hash = await argon2.hash('Correct-Horse-Battery-9', HASH);
  let total = 0;
  const until = Date.now() + DURATION_S * 1000;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (Date.now() < until) {
        await argon2.verify(hash, 'Correct-Horse-Battery-9');
        total += 1;
      }
    }),
  );
  return { perSecond: total / DURATION_S, total };
}

const suffix = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const infra = await infraUp({ log: () => undefined });

const [auth] = launch({
  only: ['auth'],
  infra,
  portOffset: OFFSET,
  logDir: mkdtempSync(join(tmpdir(), 'foodxchange-bench-login-')),
  envFor: () => ({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    MONGO_DB: `bench_auth_${suffix}`,
    KAFKA_GROUP_ID: `bench.auth.${suffix}`,
    KAFKA_TOPIC_PREFIX: 'bench.',
    KAFKA_FROM_BEGINNING: 'false',
    // Every sign-in below comes from one address: the per-address brake would stop the run.
    LOGIN_IP_MAX_FAILURES: '1000000',
    // Its failures (the unknown e-mail row) are counted apart from everyone else's.
    LOGIN_THROTTLE_NAMESPACE: `bench:${suffix}:login:`,
  }),
});
const base = `http://127.0.0.1:${portOf('auth', OFFSET)}`;
try {
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (auth!.child.exitCode !== null) throw new Error(`auth exited; see ${auth!.log}`);
    const ready = await fetch(`${base}/health/ready`).then((res) => res.ok).catch(() => false);
    if (ready) break;
    if (Date.now() > deadline) throw new Error('auth did not become ready in 90 s');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const email = `bench-${suffix}@example.com`;
  const password = `Lemon-Grove-${randomBytes(4).toString('hex')}`;
  const registered = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, name: 'Bench Buyer', role: 'buyer', company: { name: 'Bench Foods', country: 'SE' } }),
  });
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}: ${await registered.text()}`);

  const baseline = await hashBaseline();
  const connections = IN_FLIGHT * 2;
  const login = (body: () => object) =>
    autocannon({
      url: `${base}/api/v1/auth/login`,
      connections,
      duration: DURATION_S,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          setupRequest: (request: Record<string, unknown>) => ({ ...request, body: JSON.stringify(body()) }),
        },
      ],
    });
  const ok = await login(() => ({ email, password }));
  // A new unknown address each time: one failure per account, so no account lock answers instead.
  const wrong = await login(() => ({ email: `nobody-${randomBytes(6).toString('hex')}@example.com`, password }));

  const row = (what: string, result: Awaited<ReturnType<typeof login>>) =>
    `| ${what} | ${result.requests.average.toFixed(1)} | ${result.latency.p50} | ${result.latency.p99} | ${((result.requests.average / baseline.perSecond) * 100).toFixed(0)}% | ${result.non2xx} |`;
  console.log(`\nSign-in throughput (argon2id m=${HASH.memoryCost} KiB, t=${HASH.timeCost}, p=${HASH.parallelism}; ${cpus().length} cores, ${connections} connections, ${DURATION_S} s)\n`);
  console.log('| path | req/s | p50 ms | p99 ms | vs hash alone | non-2xx |');
  console.log('|---|---:|---:|---:|---:|---:|');
  console.log(`| argon2id verify alone (${IN_FLIGHT} in flight, this process) | ${baseline.perSecond.toFixed(1)} | – | – | 100% | – |`);
  console.log(row('POST /auth/login, right password (tokens + family + event)', ok));
  console.log(row('POST /auth/login, unknown e-mail (dummy hash verified, 401)', wrong));
  console.log(`\n(non-2xx of the unknown e-mail row are its 401s: ${wrong.non2xx} of ${wrong.requests.total})`);
} finally {
  await stopProcesses([auth!]);
  const connection = await mongoose.createConnection(infra.mongoUrl, { dbName: `bench_auth_${suffix}` }).asPromise();
  await connection.dropDatabase().catch(() => undefined);
  await connection.close();
}
