/**
 * `npm run bench:gateway`: real service routes measured in the same run directly, through the
 * gateway (anonymous, and signed in: JWT verified, denylist read and user limit counted in
 * Redis), through a bare @fastify/http-proxy (the library's own floor), through nginx → gateway,
 * and through the two references: nginx → service and Express + http-proxy-middleware → service,
 * with autocannon at 50 connections. The paths take turns for several rounds, so a
 * slow spell of the machine hits all of them, and each figure is the median of its rounds.
 * Prints req/s, p50/p99 latency, the ratios against the direct baseline, and the CPU time each
 * process spent per request (which is what decides the ratio when every process shares two
 * cores). A benchmark prints figures; it asserts nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { infraUp } from '../infra/src/index.js';
import { launch, portOf, root, stopProcesses, type RunningProcess } from './platform.js';
import { startNginx, type RunningNginx } from './nginx.js';
import { cpuMsOfTree } from './process-cpu.js';
import { startTestIssuer } from '../packages/service-kit/src/testing.js';
import { ensureBuilt } from './build.js';

ensureBuilt(); // the processes it launches run their compiled build

// autocannon is a dev dependency of the gateway package (whose performance this measures).
const autocannon = createRequire(join(root, 'gateway', 'package.json'))('autocannon') as (
  options: Record<string, unknown>,
) => Promise<{ requests: { average: number; total: number }; latency: { p50: number; p99: number; average: number }; errors: number; non2xx: number; timeouts: number }>;

const OFFSET = 20_000;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP_S = 2;
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

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  failures: number;
  /** CPU µs per request of each watched process. */
  cpu: Record<string, number>;
}

async function measure(url: string, watched: Record<string, ChildProcess>, headers: Record<string, string> = {}): Promise<Sample> {
  await autocannon({ url, headers, connections: CONNECTIONS, duration: WARMUP_S });
  const before = Object.fromEntries(Object.entries(watched).map(([name, child]) => [name, cpuMsOfTree(child.pid!)]));
  const result = await autocannon({ url, headers, connections: CONNECTIONS, duration: DURATION_S });
  const cpu = Object.fromEntries(
    Object.entries(watched).map(([name, child]) => [name, ((cpuMsOfTree(child.pid!) - before[name]!) * 1000) / Math.max(result.requests.total, 1)]),
  );
  const failures = result.errors + result.non2xx + result.timeouts;
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, failures, cpu };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const infra = await infraUp({ log: () => undefined });
// The signed-in rows carry a real RS256 token whose key the gateway fetches from this issuer's
// JWKS (once: the kit caches keys, and fast-jwt caches verified tokens).
const issuer = await startTestIssuer();
const token = issuer.token({ role: 'buyer', expiresIn: 3600 });
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
    // Both trust the bench's issuer: the service verifies the token again (zero trust).
    ...issuer.env,
    ...(name === 'gateway'
      ? {
          // Every call is still counted in Redis (per address, and per user when signed in);
          // the limits are only out of reach of the load generator's one address and one user.
          RATE_LIMIT_GLOBAL_MAX: '1000000000',
          RATE_LIMIT_USER_MAX: '1000000000',
          RATE_LIMIT_NAMESPACE: `bench:gateway:${process.pid}:`,
        }
      : {}),
  }),
});
const compliance = `http://127.0.0.1:${portOf('compliance', OFFSET)}`;
const barePort = portOf('gateway', OFFSET) + 1;
const expressPort = portOf('gateway', OFFSET) + 2;
const referenceProxy = (script: string, port: number) =>
  spawn(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'scripts', script)], {
    env: { ...process.env, PORT: String(port), UPSTREAM_URL: compliance },
    stdio: 'ignore',
  });
const bare = referenceProxy('bench-bare-proxy.ts', barePort);
const expressProxy = referenceProxy('bench-express-proxy.ts', expressPort);
let nginx: RunningNginx | undefined;
let nginxToService: RunningNginx | undefined;
try {
  const direct = compliance;
  const gateway = `http://127.0.0.1:${portOf('gateway', OFFSET)}`;
  const signedIn = { authorization: `Bearer ${token}` };
  await waitLive(`${direct}/health/live`, processes[0]);
  await waitLive(`${gateway}/health/live`, processes[1]);
  await waitLive(`${gateway}${ROUTES[1]!.route}`);
  await waitLive(`http://127.0.0.1:${barePort}${ROUTES[0]!.route}`);
  await waitLive(`http://127.0.0.1:${expressPort}${ROUTES[0]!.route}`);
  // The signed-in path must really be signed in: a refused token would measure 401s.
  const probe = await fetch(`${gateway}/api/v1/compliance/checks`, { headers: signedIn });
  if (probe.status !== 200) throw new Error(`the signed-in probe answered ${probe.status}: ${await probe.text()}`);
  nginx = await startNginx([portOf('gateway', OFFSET)]);
  // nginx's upstream block names "gateways", but it proxies whatever listens there.
  nginxToService = await startNginx([portOf('compliance', OFFSET)]);

  const service = processes[0]!.child;
  const gatewayProcess = processes[1]!.child;
  const paths: { name: string; base: string; watched: Record<string, ChildProcess>; headers?: Record<string, string> }[] = [
    { name: 'direct (service)', base: direct, watched: { service } },
    { name: 'gateway → service', base: gateway, watched: { service, proxy: gatewayProcess } },
    { name: 'gateway → service, signed in', base: gateway, watched: { service, proxy: gatewayProcess }, headers: signedIn },
    { name: 'bare @fastify/http-proxy → service (library floor)', base: `http://127.0.0.1:${barePort}`, watched: { service, proxy: bare } },
    { name: 'nginx → gateway → service', base: nginx.url, watched: { service, gateway: gatewayProcess, nginx: nginx.process } },
    { name: 'nginx → service (reference proxy)', base: nginxToService.url, watched: { service, nginx: nginxToService.process } },
    { name: 'Express + http-proxy-middleware → service', base: `http://127.0.0.1:${expressPort}`, watched: { service, proxy: expressProxy } },
  ];
  const row = (name: string) => paths.findIndex((path) => path.name.startsWith(name));
  console.log(
    `${CONNECTIONS} connections, ${DURATION_S} s each after ${WARMUP_S} s warm-up, ${ROUNDS} interleaved rounds (medians shown), ${cpus().length} cores`,
  );
  for (const { route, what } of ROUTES) {
    const samples = paths.map(() => [] as Sample[]);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [index, path] of paths.entries()) samples[index]!.push(await measure(`${path.base}${route}`, path.watched, path.headers));
    }
    const rows = paths.map((path, index) => {
      const runs = samples[index]!;
      const cpu = Object.keys(path.watched).map((name) => `${name} ${median(runs.map((run) => run.cpu[name]!)).toFixed(0)}`);
      return {
        name: path.name,
        rps: median(runs.map((run) => run.rps)),
        spread: runs.map((run) => run.rps.toFixed(0)).join(' / '),
        p50: median(runs.map((run) => run.p50)),
        p99: median(runs.map((run) => run.p99)),
        failures: runs.reduce((sum, run) => sum + run.failures, 0),
        cpu: cpu.join(', '),
      };
    });
    const baseline = rows[0]!.rps;
    const percent = (value: number, of: number) => `${((value / of) * 100).toFixed(0)}%`;
    const gw = rows[row('gateway → service')]!;
    const signed = rows[row('gateway → service, signed in')]!;
    const floor = rows[row('bare')]!;
    const reference = rows[row('nginx → service')]!;
    const expressRow = rows[row('Express')]!;
    console.log(`\nGET ${route} (${what})`);
    console.log('| path | req/s (median) | rounds | p50 ms | p99 ms | vs direct | vs nginx → service | CPU µs per request | failed |');
    console.log('|---|---:|---|---:|---:|---:|---:|---|---:|');
    for (const r of rows) {
      console.log(
        `| ${r.name} | ${r.rps.toFixed(0)} | ${r.spread} | ${r.p50} | ${r.p99} | ${percent(r.rps, baseline)} | ${percent(r.rps, reference.rps)} | ${r.cpu} | ${r.failures} |`,
      );
    }
    console.log(
      `target: gateway ≥ 45% of direct req/s and p99 < 15 ms → ${percent(gw.rps, baseline)}, p99 ${gw.p99} ms` +
        ` (the bare proxy alone reaches ${percent(floor.rps, baseline)}; the gateway keeps ${percent(gw.rps, floor.rps)} of it)`,
    );
    console.log(
      `target: signed in ≥ 85% of the anonymous gateway, p99 < 20 ms, ≥ 3× Express → ${percent(signed.rps, gw.rps)}, p99 ${signed.p99} ms,` +
        ` ${(signed.rps / expressRow.rps).toFixed(2)}× Express (anonymous gateway ${(gw.rps / expressRow.rps).toFixed(2)}×)`,
    );
  }
} finally {
  bare.kill('SIGTERM');
  expressProxy.kill('SIGTERM');
  await nginx?.stop();
  await nginxToService?.stop();
  await stopProcesses(processes);
  await issuer.close();
}
