/**
 * `pnpm bench:saga`: K concurrent buyers (closed loops) running complete sourcing sagas through the
 * gateway — RFQ → matched → quote → award → order confirmed — for a fixed time; prints sustained
 * sagas/s and award → confirmed latency p50/p99, then the same with two replicas of order and
 * compliance (the second ones started beside the first on ports of their own, same database and
 * consumer group: they share the topics' partitions), with the ratio to the one-replica run.
 *
 * Latencies are the servers' own timestamps (the award's `awardedAt`, the order's `createdAt` and
 * the history entry of its verdict; the RFQ timeline's `created` and `matched`), so polling by the
 * driver adds nothing to them. A benchmark prints figures; it asserts nothing.
 *
 * Knobs: BENCH_BUYERS (K, 8), BENCH_SUPPLIERS (6), BENCH_DURATION_S (60 per phase), BENCH_WARMUP
 * (sagas before each phase, = K), BENCH_LOG_LEVEL (warn). Ports offset by 25,000; databases,
 * groups, search alias and topic prefix of the run's own, removed afterwards.
 */
import { cpus } from 'node:os';
import { infraUp } from '../infra/src/index.js';
import { stopProcesses } from './platform.js';
import { cpuPerSagaTotal, idleCpu, kafkaRoundTrip, phase, warmUp, type Phase } from './saga-bench-common.js';
import { Api, cleanUp, setUpMarket, startReplica, startSagaPlatform } from './saga-driver.js';
import { ensureBuilt } from './build.js';

ensureBuilt(); // the processes it launches run their compiled build

const BUYERS = Number(process.env.BENCH_BUYERS ?? 8);
const SUPPLIERS = Number(process.env.BENCH_SUPPLIERS ?? 6);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 60);
const WARMUP = Number(process.env.BENCH_WARMUP ?? BUYERS);
const OFFSET = 25_000;
const TARGET_RATE = 50;
const TARGET_P99_MS = 300;

const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 15);

const infra = await infraUp({ log: () => undefined });
console.log(`saga benchmark: ${BUYERS} concurrent buyers, ${SUPPLIERS} suppliers, ${DURATION_S} s per phase, ${cpus().length} cores`);
const platform = await startSagaPlatform({ infra, portOffset: OFFSET, runName: 'benchsaga', logLevel: process.env.BENCH_LOG_LEVEL ?? 'warn' });
const api = new Api(platform.gateway, 30_000);
// Interrupted (Ctrl-C): the platform's processes are detached groups; stop them rather than orphan them.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopProcesses(platform.processes).then(() => cleanUp(platform)).finally(() => process.exit(130)));
}
try {
  const market = await setUpMarket(api, platform, { buyers: BUYERS, suppliers: SUPPLIERS });
  const hop = await kafkaRoundTrip(infra.kafkaBrokers, platform.topicPrefix);
  // Settled first: the market's set-up events are handled before the quiet spell is measured.
  await warmUp(api, market, WARMUP);
  console.log(`market ready (logs in ${platform.logDir}); ${IDLE_S} s idle, then phase 1: one replica of each service`);
  const idle = await idleCpu(platform.processes, IDLE_S);
  const one = await phase('one replica of order and compliance', api, market, platform.processes, { warmup: WARMUP, durationS: DURATION_S });
  console.log(`  ${one.sagas} sagas in ${one.seconds.toFixed(1)} s; starting a second order and a second compliance`);
  await startReplica(platform, 'order', 1);
  await startReplica(platform, 'compliance', 1);
  const two = await phase('two replicas of order and compliance', api, market, platform.processes, { warmup: WARMUP, durationS: DURATION_S });

  const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(0) : 'n/a');
  const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');
  console.log('\n## bench:saga\n');
  console.log(`| figure | ${one.label} | ${two.label} | two / one | target |`);
  console.log('|---|---|---|---|---|');
  const rows: [string, number, number, string, (v: number) => string][] = [
    ['sagas confirmed', one.sagas, two.sagas, '', String],
    ['sagas failed (timed out or refused)', one.failed, two.failed, '0', String],
    ['sustained sagas/s', one.perSecond, two.perSecond, `≥ ${TARGET_RATE}`, (v) => v.toFixed(2)],
    ['award → confirmed p50 (ms)', one.outcome.p50, two.outcome.p50, '', ms],
    ['award → confirmed p99 (ms)', one.outcome.p99, two.outcome.p99, `< ${TARGET_P99_MS}`, ms],
    ['  of which award → order created p50 (ms)', one.order.p50, two.order.p50, '', ms],
    ['baseline: one Kafka round trip p50 (ms)', hop.p50, hop.p50, '', (v) => v.toFixed(1)],
    ['baseline: one Kafka round trip p99 (ms)', hop.p99, hop.p99, '', (v) => v.toFixed(1)],
    ['RFQ created → matched p50 (ms)', one.matched.p50, two.matched.p50, '', ms],
    ['whole saga as a buyer sees it p50 (ms)', one.whole.p50, two.whole.p50, '', ms],
    ['whole saga p99 (ms)', one.whole.p99, two.whole.p99, '', ms],
  ];
  for (const [name, a, b, target, format] of rows) console.log(`| ${name} | ${format(a)} | ${format(b)} | ${ratio(b, a)} | ${target} |`);
  console.log(`\naward → confirmed p50 = ${(one.outcome.p50 / hop.p50).toFixed(0)}× one Kafka round trip (one replica), ${(two.outcome.p50 / hop.p50).toFixed(0)}× (two); the saga makes three hops from the award on`);
  console.log('\nCPU ms per saga, by process (all replicas; the servers too):');
  console.log(`| service | ${one.label} | ${two.label} |`);
  console.log('|---|---|---|');
  for (const name of Object.keys(two.cpuSecondsPerSaga)) console.log(`| ${name} | ${ms(one.cpuSecondsPerSaga[name] ?? Number.NaN)} | ${ms(two.cpuSecondsPerSaga[name]!)} |`);
  const total = (p: Phase) => cpuPerSagaTotal(p);
  console.log(`| all | ${ms(total(one))} | ${ms(total(two))} |`);
  console.log(`\nCPU ms per second of the idle platform (one replica each; no saga running for ${IDLE_S} s):`);
  console.log('| process | ms/s |');
  console.log('|---|---:|');
  for (const [name, value] of Object.entries(idle)) console.log(`| ${name} | ${value.toFixed(1)} |`);
  const idleTotal = Object.values(idle).reduce((sum, v) => sum + v, 0);
  console.log(`| all | ${idleTotal.toFixed(1)} |`);
  console.log(`idle work takes ${((idleTotal / 2000) * 100).toFixed(0)} % of the 2 cores; per saga, net of it (one replica): ${ms(total(one) - idleTotal / Math.max(0.01, one.perSecond))} ms`);
  console.log(`\n2 cores give at most ${(2000 / total(one)).toFixed(1)} sagas/s at the CPU one saga costs (one replica)`);
  for (const p of [one, two]) if (p.firstError) console.log(`\nfirst failure (${p.label}): ${p.firstError}`);
  for (const p of [one, two]) {
    const rateMet = p.perSecond >= TARGET_RATE;
    const p99Met = p.outcome.p99 < TARGET_P99_MS;
    console.log(`${p.label}: ${rateMet ? '✔' : '✖'} ${p.perSecond.toFixed(2)} sagas/s (target ≥ ${TARGET_RATE}), ${p99Met ? '✔' : '✖'} award → confirmed p99 ${ms(p.outcome.p99)} ms (target < ${TARGET_P99_MS})`);
  }
} finally {
  await stopProcesses(platform.processes);
  await cleanUp(platform);
}
process.exit(0);
