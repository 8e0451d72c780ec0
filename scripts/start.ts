/**
 * `npm start`: infrastructure, the eight services and the gateway, then prints where to go.
 * Foreground by default (Ctrl-C stops everything it started); `--detach` leaves it running
 * for `npm run stop`. `--monitoring` adds the launcher's Prometheus, scraping every process
 * started here with the alerting rules of infra/prometheus/alerts.yml. `--replicas N` (or
 * FOODXCHANGE_REPLICAS=N) starts N instances of every service and N gateways, with Debian's nginx
 * on the gateway's port balancing between the gateways. After the platform is ready it seeds the
 * demo market through the gateway (scripts/demo: idempotent, a second start adds nothing) and
 * prints the demo logins; `--no-demo` (or FOODXCHANGE_DEMO=false) skips that.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { infraDown, infraUp, infraUpWithReport, type ScrapeJob } from '../infra/src/index.js';
import { GATEWAY, LOCAL_ADMIN, isAlive, launch, logDir, runDir, stateFile, stopProcesses, waitForPlatform, type PlatformState } from './platform.js';
import { ensureBuilt } from './build.js';
import { startNginx, type RunningNginx } from './nginx.js';
import { seedDemo } from './demo/seed.js';
import { DEMO_LOGINS, DEMO_PASSWORD } from './demo/market.js';

const detach = process.argv.includes('--detach');
const monitoring = process.argv.includes('--monitoring');
const replicasArg = process.argv.indexOf('--replicas');
const replicasText = replicasArg >= 0 ? process.argv[replicasArg + 1] : process.env.FOODXCHANGE_REPLICAS;
const replicas = replicasText === undefined ? 1 : Number(replicasText);
if (!Number.isInteger(replicas) || replicas < 1 || replicas > 9) {
  console.error(`--replicas (or FOODXCHANGE_REPLICAS) must be a whole number from 1 to 9: got ${replicasText}`);
  process.exit(1);
}
const demo = !process.argv.includes('--no-demo') && !['false', '0', 'no', 'off'].includes((process.env.FOODXCHANGE_DEMO ?? '').toLowerCase());
const started = performance.now();

if (existsSync(stateFile)) {
  const previous = JSON.parse(readFileSync(stateFile, 'utf8')) as PlatformState;
  if (previous.processes.some((p) => isAlive(p.pid))) {
    console.error(`The platform is already running (started ${previous.startedAt}). Stop it with: npm run stop`);
    process.exit(1);
  }
}

// The processes run their compiled JavaScript: build what changed since the last start.
console.log('▶ build');
try {
  ensureBuilt();
} catch (error) {
  console.error(`✖ ${(error as Error).message}`);
  process.exit(1);
}

console.log('▶ infrastructure');
const infra = await infraUp({ log: (line) => console.log(`  ${line}`) });

console.log(replicas > 1 ? `▶ services (${replicas} replicas of each, and ${replicas} gateways)` : '▶ services');
const processes = launch({ infra, replicas });
let nginx: RunningNginx | undefined;
try {
  await waitForPlatform(processes, {
    onReady: (proc) => console.log(`  ✔ ${(replicas > 1 ? `${proc.name} #${proc.replica}` : proc.name).padEnd(15)} http://127.0.0.1:${proc.port}`),
  });
  if (replicas > 1) {
    // Users keep the one gateway URL: nginx takes the gateway's port and balances the gateways.
    nginx = await startNginx(processes.filter((p) => p.name === GATEWAY.name).map((p) => p.port), { port: GATEWAY.port, detached: detach });
    console.log(`  ✔ ${'nginx'.padEnd(15)} ${nginx.url} → ${replicas} gateways`);
  }
} catch (error) {
  console.error(`✖ ${(error as Error).message}`);
  await nginx?.stop();
  await stopProcesses(processes);
  await infraDown({ log: (line) => console.log(`  ${line}`) });
  process.exit(1);
}

// After the processes: Prometheus scrapes exactly what runs (names and ports as launched).
let prometheusUrl: string | undefined;
if (monitoring) {
  console.log('▶ monitoring');
  const jobs = new Map<string, ScrapeJob>();
  for (const { name, port } of processes) {
    const job = jobs.get(name) ?? { job: name, targets: [] };
    job.targets.push(`127.0.0.1:${port}`);
    jobs.set(name, job);
  }
  try {
    const { servers } = await infraUpWithReport({ only: ['prometheus'], prometheus: { jobs: [...jobs.values()] }, log: (line) => console.log(`  ${line}`) });
    prometheusUrl = servers.find((server) => server.name === 'prometheus')?.url;
  } catch (error) {
    // The platform itself is up: monitoring failing to start is reported, not fatal.
    console.error(`✖ monitoring did not start: ${(error as Error).message}`);
  }
}

const state: PlatformState = {
  startedAt: new Date().toISOString(),
  processes: [
    ...processes.map(({ name, replica, port, child, log }) => ({ name, replica, pid: child.pid!, port, log })),
    ...(nginx ? [{ name: 'nginx', pid: nginx.process.pid!, port: GATEWAY.port, log: nginx.errorLog }] : []),
  ],
};
mkdirSync(runDir, { recursive: true });
writeFileSync(stateFile, JSON.stringify(state, null, 2));

const gatewayUrl = `http://localhost:${GATEWAY.port}`;

// The demo market, through the gateway as its users would make it: what exists already is kept.
let demoSeeded = false;
if (demo) {
  console.log('▶ demo market');
  try {
    const report = await seedDemo(`http://127.0.0.1:${GATEWAY.port}`, { log: (line) => console.log(`  ${line}`) });
    const made = Object.entries(report.counts).map(([kind, n]) => `${n} ${kind}`).join(', ');
    console.log(`  ✔ ${report.created === 0 ? 'already seeded: nothing added' : `added ${made}`} (${(report.durationMs / 1000).toFixed(1)} s)`);
    demoSeeded = true;
  } catch (error) {
    // The platform itself is up: a seed that fails is reported (the next start completes it).
    console.error(`✖ demo market not complete: ${(error as Error).message}`);
  }
}
console.log(`\nFoodXchange is up in ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log(`  gateway   ${gatewayUrl}/api/v1`);
console.log(`  API docs  ${gatewayUrl}/docs`);
console.log(`  health    ${gatewayUrl}/health`);
console.log(`  logs      ${logDir}`);
// Debian's Prometheus ships the classic UI only (its /alerts is 404); the API is /api/v1/alerts.
if (prometheusUrl) console.log(`  alerts    ${prometheusUrl}/classic/alerts  (Prometheus; targets at ${prometheusUrl}/classic/targets)`);
console.log(`  admin     ${LOCAL_ADMIN.email} / ${LOCAL_ADMIN.password}  (local default: set ADMIN_EMAIL / ADMIN_PASSWORD)`);
if (demoSeeded) {
  console.log(`  buyer     ${DEMO_LOGINS.buyer.email} / ${DEMO_PASSWORD}  (${DEMO_LOGINS.buyer.company.name}, demo)`);
  console.log(`  supplier  ${DEMO_LOGINS.supplier.email} / ${DEMO_PASSWORD}  (${DEMO_LOGINS.supplier.company.name}, demo)`);
}

if (detach) {
  for (const { child } of processes) child.unref();
  nginx?.process.unref();
  console.log('\nRunning in the background. Stop with: npm run stop');
  process.exit(0);
}

console.log('\nPress Ctrl-C to stop everything this started.');
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`\n■ stopping (${signal})`);
    void (async () => {
      await nginx?.stop();
      await stopProcesses(processes);
      await infraDown({ log: (line) => console.log(`  ${line}`) });
      writeFileSync(stateFile, JSON.stringify({ startedAt: state.startedAt, processes: [] }));
      console.log('■ stopped');
      process.exit(0);
    })();
  });
}
for (const { name, replica, child, log } of processes) {
  child.on('exit', (code) => {
    if (!stopping) console.error(`! ${replicas > 1 ? `${name} #${replica}` : name} exited with code ${code}; see ${log}`);
  });
}
