/**
 * `npm run bench:gateway`: one real service route measured three ways in the same run —
 * directly, through the gateway, and through nginx → gateway — with autocannon at 50
 * connections. Prints req/s, p50/p99 latency and the ratios against the direct baseline.
 * A benchmark prints figures; it asserts nothing.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { infraUp } from '../infra/src/index.js';
import { launch, portOf, root, stopProcesses, type RunningProcess } from './platform.js';
import { startNginx, type RunningNginx } from './nginx.js';

// autocannon is a dev dependency of the gateway package (whose performance this measures).
const autocannon = createRequire(join(root, 'gateway', 'package.json'))('autocannon') as (
  options: Record<string, unknown>,
) => Promise<{ requests: { average: number }; latency: { p50: number; p99: number; average: number }; errors: number; non2xx: number; timeouts: number }>;

const OFFSET = 20_000;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const WARMUP_S = 3;
// Two real compliance routes: one served from memory (what the proxy itself costs shows), one
// that reads the database (what a typical call costs end to end).
const ROUTES = [
  { route: '/api/v1/compliance/markets', what: 'reference data, no I/O' },
  { route: '/api/v1/compliance/rules', what: 'reads the Mongo-compatible server' },
];

async function waitLive(url: string, proc?: RunningProcess): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (proc && proc.child.exitCode !== null) throw new Error(`${proc.name} exited; see ${proc.log}`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within 90 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function measure(name: string, url: string) {
  await autocannon({ url, connections: CONNECTIONS, duration: WARMUP_S });
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S });
  const failures = result.errors + result.non2xx + result.timeouts;
  return { name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, failures };
}

const infra = await infraUp({ log: () => undefined });
const logDir = mkdtempSync(join(tmpdir(), 'foodxchange-bench-'));
const processes = launch({
  infra,
  portOffset: OFFSET,
  logDir,
  only: ['compliance', 'gateway'],
  envFor: (name) => ({
    // Same log level on both sides so the comparison is of proxying, not of logging.
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    MONGO_DB: `bench_${name}`,
    KAFKA_GROUP_ID: `bench.${name}`,
    KAFKA_TOPIC_PREFIX: 'bench.',
  }),
});
const barePort = portOf('gateway', OFFSET) + 1;
const bare = spawn(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'scripts', 'bench-bare-proxy.ts')], {
  env: { ...process.env, PORT: String(barePort), UPSTREAM_URL: `http://127.0.0.1:${portOf('compliance', OFFSET)}` },
  stdio: 'ignore',
});
let nginx: RunningNginx | undefined;
try {
  const direct = `http://127.0.0.1:${portOf('compliance', OFFSET)}`;
  const gateway = `http://127.0.0.1:${portOf('gateway', OFFSET)}`;
  await waitLive(`${direct}/health/live`, processes[0]);
  await waitLive(`${gateway}/health/live`, processes[1]);
  await waitLive(`${gateway}${ROUTES[1]!.route}`);
  await waitLive(`http://127.0.0.1:${barePort}${ROUTES[0]!.route}`);
  nginx = await startNginx([portOf('gateway', OFFSET)]);

  console.log(`${CONNECTIONS} connections, ${DURATION_S} s each after ${WARMUP_S} s warm-up, ${cpus().length} cores`);
  for (const { route, what } of ROUTES) {
    const rows = [
      await measure('direct (service)', `${direct}${route}`),
      await measure('gateway → service', `${gateway}${route}`),
      await measure('bare @fastify/http-proxy → service (library floor)', `http://127.0.0.1:${barePort}${route}`),
      await measure('nginx → gateway → service', `${nginx.url}${route}`),
    ];
    const baseline = rows[0]!.rps;
    console.log(`\nGET ${route} (${what})`);
    console.log('| path | req/s | p50 ms | p99 ms | vs direct | failed |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const row of rows) {
      const ratio = `${((row.rps / baseline) * 100).toFixed(0)}%`;
      console.log(`| ${row.name} | ${row.rps.toFixed(0)} | ${row.p50} | ${row.p99} | ${ratio} | ${row.failures} |`);
    }
    const gw = rows[1]!;
    const floor = rows[2]!;
    console.log(
      `target: gateway ≥ 45% of direct req/s and p99 < 15 ms → ${((gw.rps / baseline) * 100).toFixed(0)}%, p99 ${gw.p99} ms` +
        ` (the bare proxy alone reaches ${((floor.rps / baseline) * 100).toFixed(0)}%; the gateway keeps ${((gw.rps / floor.rps) * 100).toFixed(0)}% of it)`,
    );
  }
} finally {
  bare.kill('SIGTERM');
  await nginx?.stop();
  await stopProcesses(processes);
}
