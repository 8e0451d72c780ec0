/**
 * What `pnpm bench:saga` and `pnpm bench:scale` share: a measured phase of K closed-loop buyers
 * running sagas through the gateway, CPU per saga per process (the platform's processes by name,
 * all replicas summed, and the servers the launcher started), the idle platform's CPU, and one
 * Kafka round trip as the baseline of a hop. Nothing here prints; the benchmarks do.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { infraStatus } from '../infra/src/index.js';
import { root, type RunningProcess } from './platform.js';
import { cpuMsOfTree } from './process-cpu.js';
import { percentile, runSaga, type Api, type Market, type SagaResult } from './saga-driver.js';

export interface Phase {
  label: string;
  sagas: number;
  failed: number;
  seconds: number;
  perSecond: number;
  outcome: { p50: number; p99: number };
  order: { p50: number; p99: number };
  matched: { p50: number; p99: number };
  whole: { p50: number; p99: number };
  cpuSecondsPerSaga: Record<string, number>;
  firstError?: string;
}

export interface PhaseOptions {
  /** Sagas run (not measured) before the phase: JIT, connection pools, fetch loops after a rebalance. */
  warmup: number;
  durationS: number;
}

/* eslint-disable-next-line @typescript-eslint/no-explicit-any -- a thin handle on the real client */
const { Kafka, logLevel } = createRequire(join(root, 'packages', 'service-kit', 'package.json'))('kafkajs') as { Kafka: new (options: object) => any; logLevel: { NOTHING: number } };

export const spread = (values: number[]) => ({ p50: percentile(values, 50), p99: percentile(values, 99) });

/** One counter across every saga of a benchmark: a saga's index names its RFQ and picks its supplier. */
let sagaCounter = 0;
export const nextSagaIndex = (): number => sagaCounter++;

/** The servers' processes (the launcher's pids), so their CPU per saga is counted too. */
export async function serverPids(): Promise<Record<string, number>> {
  const pids: Record<string, number> = {};
  for (const server of await infraStatus()) if (server.pid && server.name !== 'redis') pids[server.name] = server.pid;
  return pids;
}

/** CPU ms so far of the platform's processes, by name: the replicas of one process are summed. */
export function cpuByService(processes: RunningProcess[]): Record<string, number> {
  const cpu: Record<string, number> = {};
  for (const proc of processes) cpu[proc.name] = (cpu[proc.name] ?? 0) + (proc.child.pid ? cpuMsOfTree(proc.child.pid) : 0);
  return cpu;
}

/** The platform's processes and the servers together, by name. */
function cpuOfAll(processes: RunningProcess[], servers: Record<string, number>): Record<string, number> {
  return { ...cpuByService(processes), ...Object.fromEntries(Object.entries(servers).map(([name, pid]) => [name, cpuMsOfTree(pid)])) };
}

/**
 * The baseline of one hop: a record produced and consumed back on the same broker, one at a
 * time (what every step of the saga pays at least once, before any handler or database work).
 */
export async function kafkaRoundTrip(brokers: string, prefix: string, count = 100, clientId = 'bench-saga-ping'): Promise<{ p50: number; p99: number }> {
  const kafka = new Kafka({ clientId, brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const topic = `${prefix}bench.ping`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: `${prefix}bench.ping`, maxWaitTimeInMs: 100 });
  await producer.connect();
  await consumer.connect();
  // From the beginning: a new group at "latest" could resolve its offset after the first ping was sent.
  await consumer.subscribe({ topic, fromBeginning: true });
  const waiting = new Map<string, () => void>();
  let joined!: () => void;
  const ready = new Promise<void>((resolve) => (joined = resolve));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  await consumer.run({ eachMessage: async ({ message }: { message: { value: Buffer } }) => waiting.get(String(message.value))?.() });
  await ready;
  const times: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const id = `ping-${i}`;
    const seen = new Promise<void>((resolve) => waiting.set(id, resolve));
    const t0 = performance.now();
    await producer.send({ topic, messages: [{ value: id }] });
    await seen;
    times.push(performance.now() - t0);
  }
  await consumer.disconnect();
  await producer.disconnect();
  return spread(times);
}

/** CPU ms per second of every process and server over a quiet spell: the platform's background work alone. */
export async function idleCpu(processes: RunningProcess[], idleSeconds: number): Promise<Record<string, number>> {
  const servers = await serverPids();
  const before = cpuOfAll(processes, servers);
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
  const seconds = (performance.now() - started) / 1000;
  const after = cpuOfAll(processes, servers);
  return Object.fromEntries(Object.keys(after).map((name) => [name, (after[name]! - (before[name] ?? 0)) / seconds]));
}

/** `warmup` sagas at once, spread over the buyers (not measured). */
export async function warmUp(api: Api, market: Market, count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) => runSaga(api, market, market.buyers[i % market.buyers.length]!, nextSagaIndex())));
}

/**
 * Every buyer runs sagas back to back until the time is up; sagas started in time are waited for.
 * `processes` is read at the start and at the end, so replicas added before the phase count.
 */
export async function phase(label: string, api: Api, market: Market, processes: RunningProcess[], options: PhaseOptions): Promise<Phase> {
  await warmUp(api, market, options.warmup);
  const servers = await serverPids();
  const cpuBefore = cpuOfAll(processes, servers);
  const results: (SagaResult & { wholeMs: number })[] = [];
  const started = performance.now();
  const until = started + options.durationS * 1000;
  await Promise.all(
    market.buyers.map(async (buyer) => {
      while (performance.now() < until) {
        const t0 = performance.now();
        const result = await runSaga(api, market, buyer, nextSagaIndex(), { timeoutMs: 60_000 });
        results.push({ ...result, wholeMs: performance.now() - t0 });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = cpuOfAll(processes, servers);
  const done = results.filter((r) => r.outcome === 'confirmed');
  const failed = results.filter((r) => !r.outcome);
  return {
    label,
    sagas: done.length,
    failed: failed.length,
    seconds,
    perSecond: done.length / seconds,
    outcome: spread(done.map((r) => r.awardToOutcomeMs!)),
    order: spread(done.map((r) => r.awardToOrderMs!)),
    matched: spread(done.map((r) => r.createdToMatchedMs!)),
    whole: spread(done.map((r) => r.wholeMs)),
    cpuSecondsPerSaga: Object.fromEntries(Object.keys(cpuAfter).map((name) => [name, (cpuAfter[name]! - (cpuBefore[name] ?? 0)) / Math.max(1, results.length)])),
    ...(failed[0]?.error ? { firstError: failed[0].error } : {}),
  };
}

/** CPU ms per saga over every process and server of a phase. */
export const cpuPerSagaTotal = (p: Phase): number => Object.values(p.cpuSecondsPerSaga).reduce((sum, v) => sum + v, 0);
