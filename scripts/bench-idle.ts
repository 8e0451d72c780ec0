/**
 * `pnpm bench:idle`: what the platform costs at rest. Starts all nine processes (as `npm start`
 * does, on ports offset by 26,000, with databases, consumer groups and a topic prefix of the run's
 * own), records each one's start-up time (spawn → `/health/ready`), lets it settle, then leaves it
 * untouched for `BENCH_IDLE_S` (60) seconds and prints each process's CPU (ms per second and % of
 * one core, its whole process tree), its resident memory, and the same for the servers the
 * launcher runs. Target (issue 11): the nine processes together below 5 % of one core.
 *
 * A benchmark prints figures; it asserts nothing. Knobs: BENCH_IDLE_S (60), BENCH_SETTLE_S (70).
 * The settle is over a minute because "at rest" starts a minute after the last activity: the
 * outbox relays keep their short safety-net poll that long after a write or a rebalance (and a
 * start, where every consumer joins its group, is both).
 */
import { infraStatus, infraUp } from '../infra/src/index.js';
import { PLATFORM_PROCESSES } from '../packages/contracts/src/platform.js';
import { portOf, stopProcesses } from './platform.js';
import { cpuMsOfTree, rssMibOfTree } from './process-cpu.js';
import { cleanUp, sleep, startSagaPlatform } from './saga-driver.js';
import { ensureBuilt } from './build.js';

ensureBuilt(); // the processes it launches run their compiled build

const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 60);
const SETTLE_S = Number(process.env.BENCH_SETTLE_S ?? 70);
const OFFSET = 26_000;
const TARGET_PERCENT_OF_A_CORE = 5;

const names = PLATFORM_PROCESSES.map((proc) => proc.name);
const infra = await infraUp({ log: () => undefined });
console.log(`idle benchmark: ${names.length} processes, settle ${SETTLE_S} s, then ${IDLE_S} s untouched`);

// Each process's readiness, polled beside the start-up (which waits for them one after another).
const spawnedAt = performance.now();
const readyAfterMs: Record<string, number> = {};
let starting = true;
const watchers = names.map(async (name) => {
  const url = `http://127.0.0.1:${portOf(name, OFFSET)}/health/ready`;
  while (starting && readyAfterMs[name] === undefined) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) })
      .then((res) => res.ok)
      .catch(() => false);
    if (ok) readyAfterMs[name] = performance.now() - spawnedAt;
    else await sleep(50);
  }
});
const platform = await startSagaPlatform({ infra, portOffset: OFFSET, runName: 'benchidle', processes: names, logLevel: process.env.BENCH_LOG_LEVEL ?? 'warn' });
starting = false;
await Promise.all(watchers);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopProcesses(platform.processes).then(() => cleanUp(platform)).finally(() => process.exit(130)));
}
try {
  await sleep(SETTLE_S * 1000);
  const servers = (await infraStatus()).filter((server) => server.pid && server.state === 'running');
  const sample = () => ({
    ...Object.fromEntries(platform.processes.map((proc) => [proc.name, proc.child.pid ? cpuMsOfTree(proc.child.pid) : 0])),
    ...Object.fromEntries(servers.map((server) => [server.name, cpuMsOfTree(server.pid!)])),
  });
  const before = sample();
  const started = performance.now();
  await sleep(IDLE_S * 1000);
  const seconds = (performance.now() - started) / 1000;
  const after = sample();
  const msPerSecond = (name: string) => (after[name]! - (before[name] ?? 0)) / seconds;

  console.log('\n## bench:idle\n');
  console.log('| process | start-up (spawn → ready) | resident memory | CPU at rest | of one core |');
  console.log('|---|---:|---:|---:|---:|');
  let total = 0;
  let rssTotal = 0;
  for (const proc of platform.processes) {
    const cpu = msPerSecond(proc.name);
    const rss = proc.child.pid ? rssMibOfTree(proc.child.pid) : 0;
    total += cpu;
    rssTotal += rss;
    const ready = readyAfterMs[proc.name];
    console.log(`| ${proc.name} | ${ready === undefined ? 'n/a' : `${(ready / 1000).toFixed(1)} s`} | ${rss.toFixed(0)} MiB | ${cpu.toFixed(1)} ms/s | ${(cpu / 10).toFixed(2)} % |`);
  }
  console.log(`| **the nine together** | | ${rssTotal.toFixed(0)} MiB | ${total.toFixed(1)} ms/s | ${(total / 10).toFixed(2)} % |`);
  console.log('\n| server | resident memory | CPU at rest | of one core |');
  console.log('|---|---:|---:|---:|');
  for (const server of servers) {
    const cpu = msPerSecond(server.name);
    console.log(`| ${server.name} | ${rssMibOfTree(server.pid!).toFixed(0)} MiB | ${cpu.toFixed(1)} ms/s | ${(cpu / 10).toFixed(2)} % |`);
  }
  const met = total / 10 < TARGET_PERCENT_OF_A_CORE;
  console.log(`\n${met ? '✔' : '✖'} the nine processes at rest: ${(total / 10).toFixed(2)} % of one core (target < ${TARGET_PERCENT_OF_A_CORE} %)`);
} finally {
  await stopProcesses(platform.processes);
  await cleanUp(platform);
}
process.exit(0);
