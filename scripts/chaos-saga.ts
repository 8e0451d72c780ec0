/**
 * `pnpm chaos:saga`: N sourcing sagas (default 200) from concurrent simulated buyers and suppliers
 * through the gateway while the Kafka broker, the order service and the compliance service are
 * each SIGKILLed once and started again; then it waits (bounded) for the platform to settle and
 * prints awards, orders, duplicates, orders stuck in `pending_compliance` and dead letters.
 *
 * It is a check as well as a report: after printing everything it exits 1 when orders ≠ awards,
 * or there is any duplicate, stuck order or dead letter (or a saga failed, or the run did not settle).
 *
 * Knobs: CHAOS_SAGAS (200), CHAOS_BUYERS (8: concurrent buyers), CHAOS_SUPPLIERS (6),
 * CHAOS_NONCOMPLIANT_EVERY (5: every 5th supplier lacks ISO 22000, so its EU orders are rejected),
 * CHAOS_BROKER_DOWN_MS (5000: how long the broker stays dead), CHAOS_SETTLE_S (180),
 * CHAOS_FAULTS (broker,order,compliance; `none` for none), CHAOS_LOG_LEVEL (warn). The run uses ports offset by 24,000, and databases, groups, a search
 * alias and a topic prefix of its own; it leaves the broker running.
 */
import { cpus } from 'node:os';
import { infraUp } from '../infra/src/index.js';
import { stopProcesses } from './platform.js';
import {
  Api,
  auditSagas,
  cleanUp,
  countDeadLetters,
  killBroker,
  killProcess,
  percentile,
  restartBroker,
  restartProcess,
  runSaga,
  setUpMarket,
  startSagaPlatform,
  waitUntil,
  sleep,
  type SagaAudit,
  type SagaResult,
} from './saga-driver.js';
import { ensureBuilt } from './build.js';

ensureBuilt(); // the processes it launches run their compiled build

const SAGAS = Number(process.env.CHAOS_SAGAS ?? 200);
const BUYERS = Number(process.env.CHAOS_BUYERS ?? 8);
const SUPPLIERS = Number(process.env.CHAOS_SUPPLIERS ?? 6);
const NONCOMPLIANT_EVERY = Number(process.env.CHAOS_NONCOMPLIANT_EVERY ?? 5);
const BROKER_DOWN_MS = Number(process.env.CHAOS_BROKER_DOWN_MS ?? 5000);
const SETTLE_S = Number(process.env.CHAOS_SETTLE_S ?? 180);
const OFFSET = 24_000;
/** Which faults to inject (a smaller set, or `none`, to try the driver without breaking others' runs). */
const FAULTS = new Set((process.env.CHAOS_FAULTS ?? 'broker,order,compliance').split(',').map((f) => f.trim()));

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
const log = (line: string) => console.log(`[${elapsed()}] ${line}`);

const infra = await infraUp({ log: () => undefined });
log(`chaos saga: ${SAGAS} sagas, ${BUYERS} concurrent buyers, ${SUPPLIERS} suppliers, ${cpus().length} cores; starting the platform`);
const platform = await startSagaPlatform({ infra, portOffset: OFFSET, runName: 'chaos', logLevel: process.env.CHAOS_LOG_LEVEL ?? 'warn' });
const api = new Api(platform.gateway, 180_000);
// Interrupted (Ctrl-C): start the broker again if it is down, stop the detached processes.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () =>
    void restartBroker()
      .catch(() => undefined)
      .then(() => stopProcesses(platform.processes))
      .then(() => cleanUp(platform))
      .finally(() => process.exit(130)),
  );
}
let exitCode = 1;
try {
  const market = await setUpMarket(api, platform, { buyers: BUYERS, suppliers: SUPPLIERS, nonCompliantEvery: NONCOMPLIANT_EVERY });
  log(`market ready: ${market.buyers.length} buyers, ${market.suppliers.size} suppliers (logs in ${platform.logDir})`);

  // ---- the faults, each once, triggered by progress (awards made) rather than by the clock
  let awardsAnswered = 0;
  let sagasDone = 0;
  const faults: { what: string; at: string; recoveredIn: string }[] = [];
  const reached = (fraction: number) => waitUntil(`${Math.round(fraction * 100)} % of the awards`, async () => awardsAnswered >= Math.ceil(SAGAS * fraction) || sagasDone >= SAGAS, 30 * 60_000, 50);
  const timed = async (what: string, fault: () => Promise<void>) => {
    const when = elapsed();
    const t0 = performance.now();
    await fault();
    faults.push({ what, at: `${when} (${awardsAnswered} awards)`, recoveredIn: `${((performance.now() - t0) / 1000).toFixed(1)} s` });
    log(`${what}: back after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  };
  let faultError: string | undefined;
  const chaos = (async () => {
    await reached(0.1);
    if (FAULTS.has('broker')) await timed('Kafka broker SIGKILL → restart', async () => {
      log('SIGKILL the Kafka broker');
      await killBroker();
      await sleep(BROKER_DOWN_MS); // the outage itself
      log('starting the broker again');
      await restartBroker();
    });
    await reached(0.35);
    if (FAULTS.has('order')) await timed('order service SIGKILL → restart', async () => {
      log('SIGKILL the order service');
      await killProcess(platform.processes.find((p) => p.name === 'order')!);
      await restartProcess(platform, 'order', { onRetry: (why) => log(`order restart failed, starting it again: ${why}`) });
    });
    await reached(0.6);
    if (FAULTS.has('compliance')) await timed('compliance service SIGKILL → restart', async () => {
      log('SIGKILL the compliance service');
      await killProcess(platform.processes.find((p) => p.name === 'compliance')!);
      await restartProcess(platform, 'compliance', { onRetry: (why) => log(`compliance restart failed, starting it again: ${why}`) });
    });
  })().catch((error: Error) => {
    // Reported with the figures (and fails the run) rather than ending the process here.
    faultError = error.message;
    log(`fault schedule failed: ${error.message}`);
  });

  // ---- the sagas: each buyer runs one saga after another from a shared queue
  let next = 0;
  const results: SagaResult[] = [];
  const sagasStarted = performance.now();
  await Promise.all(
    market.buyers.map(async (buyer) => {
      for (let index = next++; index < SAGAS; index = next++) {
        const result = await runSaga(api, market, buyer, index, { timeoutMs: 240_000, onAwarded: () => (awardsAnswered += 1) });
        results.push(result);
        sagasDone += 1;
        if (result.error) log(`saga ${index} failed: ${result.error}`);
        if (sagasDone % 25 === 0) log(`${sagasDone}/${SAGAS} sagas done`);
      }
    }),
  );
  const sagaSeconds = (performance.now() - sagasStarted) / 1000;
  await chaos;
  log(`all sagas ran in ${sagaSeconds.toFixed(1)} s; waiting (≤ ${SETTLE_S} s) for the platform to settle`);

  // ---- settle: every award has its order and no order waits for its verdict
  let audit: SagaAudit = await auditSagas(api, market);
  const settleDeadline = Date.now() + SETTLE_S * 1000;
  while ((audit.orders < audit.awards || audit.pending > 0) && Date.now() < settleDeadline) {
    await sleep(2000);
    audit = await auditSagas(api, market);
  }
  const settled = audit.orders >= audit.awards && audit.pending === 0;
  const deadLetters = await countDeadLetters(platform);

  const failed = results.filter((r) => r.error);
  const latencies = results.map((r) => r.awardToOutcomeMs ?? Number.NaN);
  console.log('\n## chaos:saga\n');
  console.log('| fault | when | back after |');
  console.log('|---|---|---|');
  for (const fault of faults) console.log(`| ${fault.what} | ${fault.at} | ${fault.recoveredIn} |`);
  if (faultError) console.log(`\nfault schedule failed: ${faultError}`);
  console.log('\n| figure | value | target |');
  console.log('|---|---|---|');
  const rows: [string, string | number, string][] = [
    ['sagas run', SAGAS, ''],
    ['sagas failed (driver)', failed.length, '0'],
    ['awards answered 201 (driver)', results.filter((r) => r.awarded).length, ''],
    ['awards made (RFQ timelines)', audit.awards, ''],
    ['orders created', audit.orders, `= awards (${audit.awards})`],
    ['duplicate orders', audit.duplicates, '0'],
    ['orders stuck in pending_compliance', audit.pending, '0'],
    ['orders confirmed / rejected', `${audit.confirmed} / ${audit.rejected}`, ''],
    ['events in dead-letter topics', deadLetters.total, '0'],
    ['settled within the bound', settled ? 'yes' : 'no', 'yes'],
    ['sagas/s under chaos', (SAGAS / sagaSeconds).toFixed(2), ''],
    ['award → verdict p50 / p99 (ms)', `${percentile(latencies, 50).toFixed(0)} / ${percentile(latencies, 99).toFixed(0)}`, ''],
  ];
  for (const [name, value, target] of rows) console.log(`| ${name} | ${value} | ${target} |`);
  if (deadLetters.total > 0) console.log(`\ndead letters per topic: ${JSON.stringify(deadLetters.perTopic)}`);
  if (failed.length > 0) console.log(`\nfirst failures:\n${failed.slice(0, 5).map((r) => `- ${r.rfqId ?? '(no rfq)'}: ${r.error}`).join('\n')}`);

  const met = !faultError && failed.length === 0 && audit.orders === audit.awards && audit.duplicates === 0 && audit.pending === 0 && deadLetters.total === 0 && settled;
  console.log(`\n${met ? '✔ targets met' : '✖ targets missed'}: orders ${audit.orders} / awards ${audit.awards}, ${audit.duplicates} duplicates, ${audit.pending} stuck, ${deadLetters.total} dead letters`);
  exitCode = met ? 0 : 1;
} catch (error) {
  console.error(`\n✖ chaos:saga could not complete: ${(error as Error).stack ?? error}`);
  exitCode = 1;
} finally {
  // Whatever happened, leave the broker running for everyone else.
  if (FAULTS.has('broker')) await restartBroker().catch((error: Error) => console.error(`could not start the broker again: ${error.message}`));
  await stopProcesses(platform.processes);
  if (!process.env.CHAOS_KEEP_DATA) await cleanUp(platform);
}
process.exit(exitCode);
