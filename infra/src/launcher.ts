import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cachePaths, ensureDir, serverRunDir, type CachePaths } from './cache.js';
import { describeError, InfraError } from './errors.js';
import { withLock } from './lock.js';
import { DEFAULT_URLS, PORTS } from './versions.js';
import { commandLineOf, isAlive, isPortOpen, livePidFromFile, readPidFile, removeFile, seconds, stopProcess, tailOfFile } from './process.js';
import type { ServerContext, ServerDriver, ProbeResult } from './servers/driver.js';
import { elasticsearchDriver } from './servers/elasticsearch.js';
import { ferretdbDriver } from './servers/ferretdb.js';
import { kafkaDriver } from './servers/kafka.js';
import { maildevDriver } from './servers/maildev.js';
import { postgresDriver } from './servers/postgres.js';
import { prometheusDriver } from './servers/prometheus.js';
import { redisDriver } from './servers/redis.js';
import {
  SERVER_NAMES,
  type InfraEndpoints,
  type InfraUpOptions,
  type PrometheusOptions,
  type ServerName,
  type ServerSelector,
  type ServerStatus,
  type ServerUpReport,
} from './types.js';

/**
 * What `up` brings up when no `only` is given: one server per endpoint (postgres comes with
 * ferretdb), and MailDev, which catches the notification service's e-mail (without it every mail
 * would end in the dead-letter topic). Not prometheus: monitoring is asked for by name, so neither
 * `infra up` nor the test suite's servers wait for it.
 */
export const DEFAULT_SERVERS: readonly ServerName[] = ['redis', 'ferretdb', 'kafka', 'elasticsearch', 'maildev'];

export function createDrivers(paths: CachePaths, prometheus: PrometheusOptions = {}): Record<ServerName, ServerDriver> {
  return {
    redis: redisDriver(),
    postgres: postgresDriver(paths),
    ferretdb: ferretdbDriver(paths),
    kafka: kafkaDriver(paths),
    elasticsearch: elasticsearchDriver(paths),
    prometheus: prometheusDriver({ ...prometheus, port: PORTS.prometheus }),
    maildev: maildevDriver(paths),
  };
}

/** `only` as given by callers (`mongo` is an alias of ferretdb), de-duplicated and validated. */
export function resolveSelection(only?: readonly ServerSelector[]): ServerName[] {
  if (!only || only.length === 0) {
    return [...DEFAULT_SERVERS];
  }
  const names = new Set<ServerName>();
  for (const selector of only) {
    const name = selector === 'mongo' ? 'ferretdb' : selector;
    if (!SERVER_NAMES.includes(name)) {
      throw new InfraError(`Unknown server "${String(selector)}": use one of ${[...SERVER_NAMES, 'mongo'].join(', ')}.`);
    }
    names.add(name);
  }
  return [...names];
}

/** The URLs clients use: an env var wins (external server), else the launcher's standard port. */
export function resolveEndpoints(env: NodeJS.ProcessEnv = process.env): InfraEndpoints {
  return {
    mongoUrl: env.MONGO_URL || DEFAULT_URLS.ferretdb,
    kafkaBrokers: env.KAFKA_BROKERS || DEFAULT_URLS.kafka,
    elasticsearchUrl: env.ELASTICSEARCH_URL || DEFAULT_URLS.elasticsearch,
    redisUrl: env.REDIS_URL || DEFAULT_URLS.redis,
    smtpUrl: env.SMTP_URL || DEFAULT_URLS.maildev,
  };
}

interface ServerMetadata {
  pid: number;
  version: string;
  url: string;
  startedAt: string;
  logPath: string;
}

function contextFor(paths: CachePaths, name: ServerName, log: (line: string) => void): ServerContext {
  const runDir = ensureDir(serverRunDir(paths, name));
  return { paths, runDir, logFile: join(runDir, `${name}.log`), pidFile: join(runDir, `${name}.pid`), log };
}

function metadataFile(ctx: ServerContext, name: ServerName): string {
  return join(ctx.runDir, `${name}.json`);
}

function readMetadata(ctx: ServerContext, name: ServerName): ServerMetadata | undefined {
  try {
    return JSON.parse(readFileSync(metadataFile(ctx, name), 'utf8')) as ServerMetadata;
  } catch {
    return undefined;
  }
}

function externalUrl(driver: ServerDriver, env: NodeJS.ProcessEnv): string | undefined {
  return driver.envVar ? env[driver.envVar] || undefined : undefined;
}

export function formatUpLine(report: ServerUpReport): string {
  const timing =
    report.action === 'started'
      ? `install ${seconds(report.installMs)}${report.installCached ? ' (cached)' : ''} + start ${seconds(report.startMs)}`
      : `answered in ${seconds(report.startMs)}`;
  const who =
    report.origin === 'started'
      ? `pid ${report.pid ?? '?'}, log ${report.logPath ?? '-'}`
      : report.origin === 'external'
        ? `external ${report.url}`
        : 'not started by the launcher: left alone by down';
  return [report.name.padEnd(13), report.action.padEnd(8), (report.version ?? 'unknown').padEnd(33), `:${report.port}`.padEnd(6), timing.padEnd(32), who].join(' ');
}

export interface UpResult {
  endpoints: InfraEndpoints;
  servers: ServerUpReport[];
  totalMs: number;
}

export async function up(options: InfraUpOptions = {}): Promise<UpResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const env = process.env;
  const selection = resolveSelection(options.only);
  const paths = cachePaths();
  ensureDir(paths.root);
  const startedAt = Date.now();
  return withLock(paths.lockFile, log, async () => {
    const drivers = createDrivers(paths, options.prometheus);
    const inFlight = new Map<ServerName, Promise<ServerUpReport>>();
    const ensure = (name: ServerName): Promise<ServerUpReport> => {
      let pending = inFlight.get(name);
      if (!pending) {
        pending = ensureServer(drivers[name], contextFor(paths, name, log), env, ensure).then((report) => {
          log(formatUpLine(report));
          return report;
        });
        inFlight.set(name, pending);
      }
      return pending;
    };
    const outcomes = await Promise.allSettled(selection.map(ensure));
    // Dependencies (postgres) finish too, but report only once each.
    await Promise.allSettled([...inFlight.values()]);
    const errors = [...new Set(outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : [])))];
    if (errors.length > 0) {
      throw errors.length === 1 && errors[0] instanceof Error ? errors[0] : new InfraError(errors.map(describeError).join(' '));
    }
    const servers: ServerUpReport[] = [];
    for (const name of SERVER_NAMES) {
      const pending = inFlight.get(name);
      if (pending) {
        servers.push(await pending);
      }
    }
    const totalMs = Date.now() - startedAt;
    log(`infra up: ${servers.length} server${servers.length === 1 ? '' : 's'} ready in ${seconds(totalMs)} (cache ${paths.root})`);
    return { endpoints: resolveEndpoints(env), servers, totalMs };
  });
}

/** Brings one server up (reusing, restarting a stuck one of ours, or starting it). Exported for tests with private instances. */
export async function ensureServer(
  driver: ServerDriver,
  ctx: ServerContext,
  env: NodeJS.ProcessEnv,
  ensureDependency: (name: ServerName) => Promise<ServerUpReport>,
): Promise<ServerUpReport> {
  const checkStarted = Date.now();
  const external = externalUrl(driver, env);
  const base = { name: driver.name, port: driver.port, installMs: 0, installCached: true } as const;
  if (external) {
    const probe = await driver.probe(external);
    if (!probe.ok) {
      throw new InfraError(`${driver.envVar} is set to ${external} but no ${driver.label} answers there (${probe.reason}).`);
    }
    return { ...base, state: 'running', origin: 'external', action: 'external', version: probe.version ?? null, url: external, pid: null, logPath: null, startMs: Date.now() - checkStarted };
  }

  const url = driver.defaultUrl;
  let ownPid = livePidFromFile(ctx.pidFile, driver.processMarker);
  let probe = await probeLocal(driver);
  if (!probe.ok && probe.unresponsive) {
    // One slow answer on a loaded machine is not a hang: ask again on a fresh connection.
    probe = await probeLocal(driver);
  }
  let restartedBecause: string | undefined;
  if (!probe.ok && probe.unresponsive) {
    if (ownPid === undefined) {
      const alternative = driver.envVar ? `, or set ${driver.envVar} to a working server` : '';
      throw new InfraError(`The ${driver.label} on port ${driver.port} ${probe.reason}, twice, and this launcher did not start it (no pid file of ours): restart it${alternative}.`);
    }
    // Stuck, not starting: clients of a server that stopped answering wait forever, so a restart
    // is the only way forward. Only ever a process our pid file names.
    restartedBecause = `pid ${ownPid} ${probe.reason}, twice${driver.unresponsiveHint ? ` (${driver.unresponsiveHint})` : ''}`;
    const saved = await driver.saveDiagnostics?.(ctx);
    ctx.log(`${driver.name}: restarting it: ${restartedBecause}${saved ? `; what it was doing is in ${saved}` : ''}`);
    await stopProcess(ownPid, driver.stop);
    removeFile(ctx.pidFile);
    ownPid = undefined;
  } else if (!probe.ok && ownPid !== undefined) {
    // Ours but not answering yet: still starting after a crash of the previous launcher, or hung.
    probe = await waitUntilAnswering(driver, url, ownPid, ctx);
  }
  if (probe.ok) {
    const outdated = ownPid !== undefined ? driver.outdatedCommandLine?.(commandLineOf(ownPid)) : undefined;
    if (outdated) {
      // Restarting a healthy server under running tests would hurt more than the old setting.
      ctx.log(`${driver.name}: pid ${ownPid} runs without ${outdated}, which takes effect when it is next started (pnpm infra down, then up)`);
    }
    if (driver.requires && ownPid !== undefined) {
      // Our FerretDB is only useful with our PostgreSQL behind it.
      await Promise.all(driver.requires.map(ensureDependency));
    }
    await driver.afterReady?.(ctx);
    const metadata = ownPid !== undefined ? readMetadata(ctx, driver.name) : undefined;
    return {
      ...base,
      state: 'running',
      origin: ownPid !== undefined ? 'started' : 'reused',
      action: 'reused',
      version: probe.version ?? metadata?.version ?? null,
      url,
      pid: ownPid ?? null,
      logPath: ownPid !== undefined ? ctx.logFile : null,
      startMs: Date.now() - checkStarted,
    };
  }
  if (await isPortOpen(driver.port)) {
    const alternative = driver.envVar ? `, or set ${driver.envVar} to a working server` : '';
    throw new InfraError(`Port ${driver.port} is taken by something that does not answer as ${driver.label} (${probe.reason}): stop it${alternative}.`);
  }
  removeFile(ctx.pidFile);

  const installStarted = Date.now();
  const [installed] = await Promise.all([
    driver.install(ctx).then((result) => ({ ...result, ms: Date.now() - installStarted })),
    ...(driver.requires ?? []).map(ensureDependency),
  ]);
  const startStarted = Date.now();
  const pid = await driver.start(ctx);
  const answered = await waitUntilAnswering(driver, url, pid, ctx);
  await driver.afterReady?.(ctx);
  const version = answered.ok ? (answered.version ?? driver.version) : driver.version;
  const metadata: ServerMetadata = { pid, version, url, startedAt: new Date().toISOString(), logPath: ctx.logFile };
  writeFileSync(metadataFile(ctx, driver.name), `${JSON.stringify(metadata, null, 2)}\n`);
  return {
    ...base,
    state: 'running',
    origin: 'started',
    action: 'started',
    version,
    url,
    pid,
    logPath: ctx.logFile,
    installMs: installed.ms,
    installCached: installed.cached,
    startMs: Date.now() - startStarted,
    ...(restartedBecause ? { restartedBecause } : {}),
  };
}

/**
 * Probes a server on its standard loopback port, skipping the client when nothing listens: the
 * MongoDB driver would otherwise spend its whole server-selection timeout on a refused port.
 */
async function probeLocal(driver: ServerDriver, url = driver.defaultUrl): Promise<ProbeResult> {
  if (!(await isPortOpen(driver.port))) {
    return { ok: false, reason: `nothing listens on port ${driver.port}` };
  }
  return driver.probe(url);
}

/** Polls the real protocol until it answers; fails fast if the process dies meanwhile. */
async function waitUntilAnswering(driver: ServerDriver, url: string, pid: number, ctx: ServerContext): Promise<ProbeResult> {
  const deadline = Date.now() + driver.startTimeoutMs;
  let last: ProbeResult = { ok: false, reason: 'not probed yet' };
  while (Date.now() < deadline) {
    last = await probeLocal(driver, url);
    if (last.ok) {
      return last;
    }
    if (!isAlive(pid)) {
      removeFile(ctx.pidFile);
      const tail = tailOfFile(ctx.logFile, 3).replace(/\s+/g, ' ').slice(-600);
      throw new InfraError(`${driver.name} exited during start-up (see ${ctx.logFile}): ${tail || 'no output'}`);
    }
    await sleep(300);
  }
  throw new InfraError(`${driver.name} (pid ${pid}) did not answer within ${driver.startTimeoutMs / 1000} s (${last.ok ? '' : last.reason}): see ${ctx.logFile}.`);
}

export async function status(): Promise<ServerStatus[]> {
  const env = process.env;
  const paths = cachePaths();
  const drivers = createDrivers(paths);
  return Promise.all(
    SERVER_NAMES.map(async (name): Promise<ServerStatus> => {
      const driver = drivers[name];
      const ctx: ServerContext = {
        paths,
        runDir: serverRunDir(paths, name),
        logFile: join(serverRunDir(paths, name), `${name}.log`),
        pidFile: join(serverRunDir(paths, name), `${name}.pid`),
        log: () => undefined,
      };
      const external = externalUrl(driver, env);
      const base = { name, port: driver.port };
      if (external) {
        const probe = await driver.probe(external);
        return {
          ...base,
          state: probe.ok ? 'running' : 'stopped',
          origin: 'external',
          version: probe.ok ? (probe.version ?? null) : null,
          url: external,
          pid: null,
          logPath: null,
          ...(probe.ok ? {} : { detail: probe.reason }),
        };
      }
      const ownPid = livePidFromFile(ctx.pidFile, driver.processMarker);
      const probe = await probeLocal(driver);
      const metadata = ownPid !== undefined ? readMetadata(ctx, name) : undefined;
      return {
        ...base,
        state: probe.ok ? 'running' : ownPid !== undefined ? 'not-answering' : 'stopped',
        origin: probe.ok || ownPid !== undefined ? (ownPid !== undefined ? 'started' : 'reused') : null,
        version: probe.ok ? (probe.version ?? metadata?.version ?? null) : (metadata?.version ?? null),
        url: driver.defaultUrl,
        pid: ownPid ?? null,
        // A reused server's log is not ours; a stopped one's last log helps to see why it stopped.
        logPath: (ownPid !== undefined || !probe.ok) && existsSync(ctx.logFile) ? ctx.logFile : null,
        ...(probe.ok ? {} : { detail: probe.reason }),
      };
    }),
  );
}

export interface DownReport {
  name: ServerName;
  /** `stopped`/`killed` = we stopped our process; `not-running` = no process of ours (anything else is left alone). */
  result: 'stopped' | 'killed' | 'not-running';
  pid: number | null;
  ms: number;
}

/** Stops only processes this launcher started (pid file + matching command line). */
export async function down(options: { log?: (line: string) => void } = {}): Promise<DownReport[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const paths = cachePaths();
  ensureDir(paths.root);
  return withLock(paths.lockFile, log, async () => {
    const drivers = createDrivers(paths);
    const stopOne = async (name: ServerName): Promise<DownReport> => {
      const driver = drivers[name];
      const pidFile = join(serverRunDir(paths, name), `${name}.pid`);
      const started = Date.now();
      const pid = livePidFromFile(pidFile, driver.processMarker);
      if (pid === undefined) {
        if (readPidFile(pidFile) !== undefined) {
          removeFile(pidFile);
        }
        const report: DownReport = { name, result: 'not-running', pid: null, ms: 0 };
        const foreign = await isPortOpen(driver.port);
        log(`${name.padEnd(13)} ${foreign ? `left alone: port ${driver.port} is served by a process this launcher did not start` : 'not running'}`);
        return report;
      }
      const forced = await stopProcess(pid, driver.stop);
      removeFile(pidFile);
      const report: DownReport = { name, result: forced ? 'killed' : 'stopped', pid, ms: Date.now() - started };
      log(`${name.padEnd(13)} ${forced ? 'killed after timeout' : 'stopped'} (pid ${pid}) in ${seconds(report.ms)}`);
      return report;
    };
    // FerretDB first: PostgreSQL's fast shutdown would otherwise cut its open connections.
    const first = await Promise.all((['ferretdb', 'kafka', 'elasticsearch', 'redis', 'prometheus', 'maildev'] as const).map(stopOne));
    const postgres = await stopOne('postgres');
    return [...first, postgres];
  });
}

export function formatStatusTable(servers: ServerStatus[]): string {
  const rows = servers.map((server) => [
    server.name,
    server.state,
    server.origin ?? '-',
    server.version ?? '-',
    String(server.port),
    server.pid === null ? '-' : String(server.pid),
    server.logPath ?? '-',
  ]);
  const header = ['server', 'state', 'origin', 'version', 'port', 'pid', 'log'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const render = (row: string[]): string => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return [render(header), ...rows.map(render)].join('\n');
}
