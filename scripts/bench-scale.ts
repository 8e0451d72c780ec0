/**
 * `pnpm bench:scale`: the saga benchmark (scripts/saga-bench-common.ts, as `pnpm bench:saga` runs
 * it) on two platforms in one run, the same market size on each:
 *
 * 1. one instance of every process the saga needs (auth, user, catalog, rfq, compliance, order)
 *    and one gateway behind nginx;
 * 2. a fresh platform with two of each and two gateways behind nginx, as `npm start -- --replicas 2`
 *    runs them (replicas share their database and consumer group; the gateways balance each
 *    service's replicas; nginx balances the gateways).
 *
 * Prints for each: sagas/s, award → confirmed p50/p99, the whole saga's p99, CPU ms per saga per
 * process (all replicas summed; the servers too) and the idle platform's CPU, then the ratios two /
 * one and a prediction, computed from the CPU per saga, for a machine per replica (what it
 * assumes is printed with it). Both platforms share one machine: on 2 cores the second runs
 * twice the processes on the same cores, so the ratio measures what coordination costs, not
 * what scaling out gains. A benchmark prints figures; it asserts nothing.
 *
 * Knobs: BENCH_BUYERS (K, 8), BENCH_SUPPLIERS (6), BENCH_DURATION_S (60 per phase), BENCH_WARMUP
 * (sagas before each phase, = K), BENCH_IDLE_S (15), BENCH_SERVER_CORES (2: the cores the
 * prediction gives the servers' machine), BENCH_LOG_LEVEL (warn). Ports offset by 27,000;
 * databases, groups, search alias and topics of each run's own, removed afterwards.
 */
import { cpus } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { infraUp } from '../infra/src/index.js';
import { root, stopProcesses, type InfraUrls } from './platform.js';
import { cpuPerSagaTotal, idleCpu, phase, warmUp, type Phase } from './saga-bench-common.js';
import { Api, cleanUp, SAGA_PROCESSES, setUpMarket, startSagaPlatform, type SagaPlatform } from './saga-driver.js';
import { ensureBuilt } from './build.js';

ensureBuilt(); // the processes it launches run their compiled build

const BUYERS = Number(process.env.BENCH_BUYERS ?? 8);
const SUPPLIERS = Number(process.env.BENCH_SUPPLIERS ?? 6);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 60);
const WARMUP = Number(process.env.BENCH_WARMUP ?? BUYERS);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 15);
const SERVER_CORES = Number(process.env.BENCH_SERVER_CORES ?? 2);
const OFFSET = 27_000;
/** The servers every replica shares: they do not scale out with the services. */
const SHARED_SERVERS = ['postgres', 'ferretdb', 'kafka', 'elasticsearch'];
/** The processes that replicate: one machine each in the prediction. */
const REPLICATED = SAGA_PROCESSES;

/* eslint-disable-next-line @typescript-eslint/no-explicit-any -- a thin handle on the real client */
const { Kafka, logLevel } = createRequire(join(root, 'packages', 'service-kit', 'package.json'))('kafkajs') as { Kafka: new (options: object) => any; logLevel: { NOTHING: number } };

interface Measured {
  replicas: number;
  processes: number;
  startSeconds: number;
  phase: Phase;
  idle: Record<string, number>;
}

/** The run's topics and consumer groups (best effort): each platform makes its own set. */
async function dropKafkaState(platform: SagaPlatform): Promise<void> {
  const admin = new Kafka({ clientId: 'bench-scale-cleanup', brokers: platform.infra.kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    const topics = ((await admin.listTopics()) as string[]).filter((topic) => topic.startsWith(platform.topicPrefix));
    const groups = ((await admin.listGroups()).groups as { groupId: string }[]).map((g) => g.groupId).filter((id) => id.endsWith(`.${platform.suffix}`));
    if (groups.length) await admin.deleteGroups(groups).catch(() => undefined);
    if (topics.length) await admin.deleteTopics({ topics }).catch(() => undefined);
  } catch {
    /* best effort: the next run has its own prefix anyway */
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

let running: SagaPlatform | undefined;
const finished: SagaPlatform[] = [];
// Interrupted (Ctrl-C): the platform's processes are detached groups; stop them rather than orphan them.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    const platform = running;
    void (platform ? stopProcesses(platform.processes).then(() => cleanUp(platform)) : Promise.resolve())
      .then(async () => {
        for (const done of [...finished, ...(platform ? [platform] : [])]) await dropKafkaState(done);
      })
      .finally(() => process.exit(130));
  });
}

async function measure(infra: InfraUrls, replicas: number, label: string): Promise<Measured> {
  const started = performance.now();
  const platform = await startSagaPlatform({ infra, portOffset: OFFSET, runName: `benchscale${replicas}`, replicas, nginx: true, logLevel: process.env.BENCH_LOG_LEVEL ?? 'warn' });
  running = platform;
  const startSeconds = (performance.now() - started) / 1000;
  try {
    const api = new Api(platform.gateway, 30_000);
    const market = await setUpMarket(api, platform, { buyers: BUYERS, suppliers: SUPPLIERS });
    // Settled first: the market's set-up events are handled before the quiet spell is measured.
    await warmUp(api, market, WARMUP);
    console.log(`  ${label}: ${platform.processes.length} processes up in ${startSeconds.toFixed(1)} s, market ready (logs in ${platform.logDir}); ${IDLE_S} s idle, then ${DURATION_S} s of sagas`);
    const idle = await idleCpu(platform.processes, IDLE_S);
    const measured = await phase(label, api, market, platform.processes, { warmup: WARMUP, durationS: DURATION_S });
    console.log(`  ${measured.sagas} sagas in ${measured.seconds.toFixed(1)} s`);
    return { replicas, processes: platform.processes.length, startSeconds, phase: measured, idle };
  } finally {
    await stopProcesses(platform.processes);
    await cleanUp(platform);
    // Its topics go at the very end: deleting hundreds of partitions keeps the broker busy, and
    // the next platform's topic creation meanwhile fails ("does not host this topic-partition").
    finished.push(platform);
    running = undefined;
  }
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(0) : 'n/a');
const ratio = (b: number, a: number) => (Number.isFinite(a) && Number.isFinite(b) && a > 0 ? `${(b / a).toFixed(2)}×` : 'n/a');
const sum = (values: number[]) => values.reduce((total, v) => total + v, 0);
const cpuOf = (p: Phase, names: readonly string[]) => sum(names.map((name) => p.cpuSecondsPerSaga[name] ?? 0));

/**
 * Sagas/s each part of the platform could sustain with a machine per replica: a replicated
 * process gets one core per replica and an even share of the work; nginx one core (one worker);
 * the shared servers SERVER_CORES. The platform's ceiling is the smallest.
 */
function machinePerReplica(m: Measured): { capacity: Record<string, number>; ceiling: number; bottleneck: string } {
  const capacity: Record<string, number> = {};
  for (const name of REPLICATED) {
    const cpu = m.phase.cpuSecondsPerSaga[name] ?? 0;
    if (cpu > 0) capacity[name] = (m.replicas * 1000) / cpu;
  }
  const nginx = m.phase.cpuSecondsPerSaga.nginx ?? 0;
  if (nginx > 0) capacity.nginx = 1000 / nginx;
  const servers = cpuOf(m.phase, SHARED_SERVERS);
  if (servers > 0) capacity.servers = (SERVER_CORES * 1000) / servers;
  const [bottleneck, ceiling] = Object.entries(capacity).reduce((low, entry) => (entry[1] < low[1] ? entry : low), ['none', Number.POSITIVE_INFINITY] as [string, number]);
  return { capacity, ceiling, bottleneck };
}

const infra = await infraUp({ log: () => undefined });
const cores = cpus().length;
console.log(`scale-out benchmark: ${BUYERS} concurrent buyers, ${SUPPLIERS} suppliers, ${DURATION_S} s per phase, ${cores} cores`);
let one: Measured;
let two: Measured;
try {
  console.log('phase 1: one of every saga process, one gateway behind nginx');
  one = await measure(infra, 1, 'one of each');
  console.log('phase 2: a fresh platform with two of every saga process, two gateways behind nginx');
  two = await measure(infra, 2, 'two of each');
} finally {
  for (const platform of finished) await dropKafkaState(platform);
}

const a = one.phase;
const b = two.phase;
console.log('\n## bench:scale\n');
console.log(`| figure | one of each, 1 gateway behind nginx | two of each, 2 gateways behind nginx | two / one |`);
console.log('|---|---:|---:|---:|');
const rows: [string, number, number, (v: number) => string][] = [
  ['processes started (nginx included)', one.processes, two.processes, String],
  ['start-up until the admin is signed in (s)', one.startSeconds, two.startSeconds, (v) => v.toFixed(1)],
  ['sagas confirmed', a.sagas, b.sagas, String],
  ['sagas failed (timed out or refused)', a.failed, b.failed, String],
  ['sustained sagas/s', a.perSecond, b.perSecond, (v) => v.toFixed(2)],
  ['award → confirmed p50 (ms)', a.outcome.p50, b.outcome.p50, ms],
  ['award → confirmed p99 (ms)', a.outcome.p99, b.outcome.p99, ms],
  ['RFQ created → matched p50 (ms)', a.matched.p50, b.matched.p50, ms],
  ['whole saga as a buyer sees it p50 (ms)', a.whole.p50, b.whole.p50, ms],
  ['whole saga p99 (ms)', a.whole.p99, b.whole.p99, ms],
  ['CPU ms per saga, all processes and servers', cpuPerSagaTotal(a), cpuPerSagaTotal(b), ms],
  ['idle platform CPU (ms/s)', sum(Object.values(one.idle)), sum(Object.values(two.idle)), ms],
];
for (const [name, x, y, format] of rows) console.log(`| ${name} | ${format(x)} | ${format(y)} | ${ratio(y, x)} |`);

console.log('\nCPU ms per saga, by process (all replicas summed; the servers too):');
console.log('| process | one of each | two of each | two / one |');
console.log('|---|---:|---:|---:|');
const names = [...new Set([...Object.keys(a.cpuSecondsPerSaga), ...Object.keys(b.cpuSecondsPerSaga)])];
for (const name of names) {
  const x = a.cpuSecondsPerSaga[name] ?? Number.NaN;
  const y = b.cpuSecondsPerSaga[name] ?? Number.NaN;
  console.log(`| ${name} | ${ms(x)} | ${ms(y)} | ${ratio(y, x)} |`);
}
console.log(`| all | ${ms(cpuPerSagaTotal(a))} | ${ms(cpuPerSagaTotal(b))} | ${ratio(cpuPerSagaTotal(b), cpuPerSagaTotal(a))} |`);

console.log(`\nCPU ms per second of each idle platform (no saga running for ${IDLE_S} s):`);
console.log('| process | one of each | two of each |');
console.log('|---|---:|---:|');
for (const name of [...new Set([...Object.keys(one.idle), ...Object.keys(two.idle)])]) console.log(`| ${name} | ${(one.idle[name] ?? Number.NaN).toFixed(1)} | ${(two.idle[name] ?? Number.NaN).toFixed(1)} |`);
console.log(`| all | ${sum(Object.values(one.idle)).toFixed(1)} | ${sum(Object.values(two.idle)).toFixed(1)} |`);

// On one machine: both platforms share its cores, so the CPU a saga costs bounds the rate.
const ceilingHere = (p: Phase) => (cores * 1000) / cpuPerSagaTotal(p);
const extra = cpuPerSagaTotal(b) - cpuPerSagaTotal(a);
const extraServices = cpuOf(b, REPLICATED) - cpuOf(a, REPLICATED);
const extraServers = cpuOf(b, SHARED_SERVERS) - cpuOf(a, SHARED_SERVERS);
console.log(`\nOn this machine (${cores} cores shared by everything):`);
console.log(`- CPU ceiling ${cores} × 1000 ms / CPU per saga: ${ceilingHere(a).toFixed(2)} sagas/s with one of each, ${ceilingHere(b).toFixed(2)} with two; measured ${a.perSecond.toFixed(2)} (${((a.perSecond / ceilingHere(a)) * 100).toFixed(0)} % of it) and ${b.perSecond.toFixed(2)} (${((b.perSecond / ceilingHere(b)) * 100).toFixed(0)} %)`);
console.log(`- two / one: measured ${ratio(b.perSecond, a.perSecond)}; CPU alone predicts ${ratio(cpuPerSagaTotal(a), cpuPerSagaTotal(b))} (CPU per saga one / two)`);
console.log(`- coordination overhead of the second replica of everything: ${extra >= 0 ? '+' : ''}${ms(extra)} ms CPU per saga (${((extra / cpuPerSagaTotal(a)) * 100).toFixed(0)} %), of which ${ms(extraServices)} ms in the services and gateways, ${ms(extraServers)} ms in the servers; idle ${ms(sum(Object.values(two.idle)) - sum(Object.values(one.idle)))} ms/s more`);

const predictedOne = machinePerReplica(one);
const predictedTwo = machinePerReplica(two);
const replicatedShare = cpuOf(a, REPLICATED) / cpuPerSagaTotal(a);
console.log('\nPrediction for one machine per replica (computed from the CPU per saga above).');
console.log(
  `Assumes: each replica of a service and each gateway on a machine of its own with one core it can fill (a Node process runs its JavaScript on one thread); the work spread evenly over the replicas (Kafka's partitions, the gateways' and nginx's round robin); each process's CPU per saga as measured here on the run with the same replica count (so the second replica's coordination is included, and so is contention for these ${cores} cores, which inflates it); nginx on one core (one worker); the servers (${SHARED_SERVERS.join(', ')}) not replicated, on one machine of ${SERVER_CORES} cores (BENCH_SERVER_CORES); no network time or bandwidth limit; enough buyers to keep every machine busy (${BUYERS} closed-loop buyers would not).`,
);
console.log('| part | cores it gets (one of each / two of each) | sagas/s it can sustain, one of each | two of each |');
console.log('|---|---|---:|---:|');
const coresOf = (part: string) => (part === 'servers' ? `${SERVER_CORES} / ${SERVER_CORES}` : part === 'nginx' ? '1 / 1' : '1 / 2 (one a replica)');
for (const part of [...new Set([...Object.keys(predictedOne.capacity), ...Object.keys(predictedTwo.capacity)])]) {
  console.log(`| ${part} | ${coresOf(part)} | ${(predictedOne.capacity[part] ?? Number.NaN).toFixed(2)} | ${(predictedTwo.capacity[part] ?? Number.NaN).toFixed(2)} |`);
}
console.log(`| **the platform: the smallest** | ${predictedOne.ceiling.toFixed(2)} (${predictedOne.bottleneck}) | ${predictedTwo.ceiling.toFixed(2)} (${predictedTwo.bottleneck}) |`);
console.log(`- predicted two / one with a machine per replica: ${ratio(predictedTwo.ceiling, predictedOne.ceiling)} (here on ${cores} cores: ${ratio(b.perSecond, a.perSecond)})`);
console.log(
  `- ${(replicatedShare * 100).toFixed(0)} % of a saga's CPU (one of each) is in the processes that replicate; the rest, ${ms(cpuOf(a, SHARED_SERVERS))} ms in the servers and ${ms(a.cpuSecondsPerSaga.nginx ?? 0)} ms in nginx, does not: however many replicas, the servers' ${SERVER_CORES} cores cap the platform at ${((SERVER_CORES * 1000) / cpuOf(a, SHARED_SERVERS)).toFixed(2)} sagas/s at one-replica CPU per saga`,
);
for (const p of [a, b]) if (p.firstError) console.log(`\nfirst failure (${p.label}): ${p.firstError}`);
process.exit(0);
