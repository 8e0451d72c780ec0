import { chmodSync, cpSync, existsSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import { ensureDir, isExecutable, type CachePaths } from '../cache.js';
import { InfraError } from '../errors.js';
import { requireGo } from '../prereqs.js';
import { runOrFail, spawnDetached } from '../process.js';
import { DEFAULT_URLS, FERRETDB_PG_DATABASE, FERRETDB_PG_POOL_MAX_CONNS, FERRETDB_VERSION, HOST, PORTS } from '../versions.js';
import type { ProbeResult, ServerContext, ServerDriver } from './driver.js';

const MODULE = 'github.com/FerretDB/FerretDB';

/**
 * How long a connected client waits for `ping` before calling FerretDB unresponsive. FerretDB's
 * ping takes a PostgreSQL connection from its pool, so it stalls exactly when that pool is
 * exhausted; a healthy server answers in milliseconds even on a loaded 2-core machine.
 */
export const FERRETDB_PING_TIMEOUT_MS = 5_000;

/** Where one FerretDB listens and stores: the launcher's own on the standard ports, or a test's private one. */
export interface FerretdbInstance {
  port: number;
  debugPort: number;
  /** The database in the launcher's PostgreSQL that holds its data. */
  pgDatabase: string;
  poolMaxConns: number;
}

export const LAUNCHER_FERRETDB: FerretdbInstance = {
  port: PORTS.ferretdb,
  debugPort: PORTS.ferretdbDebug,
  pgDatabase: FERRETDB_PG_DATABASE,
  poolMaxConns: FERRETDB_PG_POOL_MAX_CONNS,
};

/**
 * FerretDB 1.24 (MongoDB wire protocol) on the launcher's PostgreSQL, built from the Go module
 * proxy because that is the only registry that carries it. The binary is cached by version.
 */
export function ferretdbDriver(paths: CachePaths, instance: FerretdbInstance = LAUNCHER_FERRETDB): ServerDriver {
  const binary = join(paths.bin, `ferretdb-${FERRETDB_VERSION}`);
  return {
    name: 'ferretdb',
    label: 'MongoDB-compatible server',
    port: instance.port,
    defaultUrl: instance === LAUNCHER_FERRETDB ? DEFAULT_URLS.ferretdb : `mongodb://${HOST}:${instance.port}/?directConnection=true`,
    envVar: 'MONGO_URL',
    requires: ['postgres'],
    version: FERRETDB_VERSION,
    processMarker: `ferretdb-${FERRETDB_VERSION}`,
    stop: { signal: 'SIGTERM', group: true, timeoutMs: 15_000 },
    startTimeoutMs: 30_000,

    async install(ctx) {
      if (isExecutable(binary)) {
        return { cached: true };
      }
      await buildFerretdb(paths, binary, ctx.log);
      return { cached: false };
    },

    start(ctx) {
      return spawnDetached({
        command: binary,
        args: ferretdbArgs(ctx.runDir, instance),
        cwd: ctx.runDir,
        logFile: ctx.logFile,
        pidFile: ctx.pidFile,
      });
    },

    probe: probeMongo,

    outdatedCommandLine: (commandLine) => (commandLine.includes(`pool_max_conns=${instance.poolMaxConns}`) ? undefined : `its PostgreSQL pool of ${instance.poolMaxConns} (it has FerretDB's default of 50)`),
    unresponsiveHint: 'its PostgreSQL connection pool is exhausted, typically by cursors clients left open; see infra/README.md',
    saveDiagnostics: (ctx) => saveGoroutineDump(instance.debugPort, ctx),
  };
}

export function ferretdbArgs(stateDir: string, instance: FerretdbInstance = LAUNCHER_FERRETDB): string[] {
  // pgx reads its pool settings from the URL. The idle time is set because FerretDB 1.24 only
  // applies its own 1 min when the parameter is present (pgx's default is 30 min): a pool that
  // grew for a burst of cursors shrinks back instead of holding PostgreSQL backends.
  const pool = `pool_max_conns=${instance.poolMaxConns}&pool_max_conn_idle_time=1m`;
  return [
    '--handler=postgresql',
    `--postgresql-url=postgres://postgres@${HOST}:${PORTS.postgres}/${instance.pgDatabase}?${pool}`,
    `--listen-addr=${HOST}:${instance.port}`,
    // Its own metrics/pprof listener defaults to :8088, a port dev tools like to use.
    `--debug-addr=${HOST}:${instance.debugPort}`,
    `--state-dir=${stateDir}`,
    // No reports to the vendor from dev machines or CI (and CI has no internet anyway).
    '--telemetry=disable',
    '--log-level=warn',
  ];
}

async function buildFerretdb(paths: CachePaths, binary: string, log: (line: string) => void): Promise<void> {
  const go = await requireGo();
  const env = { ...process.env, ...go.env, CGO_ENABLED: '0' };
  log(`ferretdb: building ${FERRETDB_VERSION} from the Go module proxy (about 90 s on 2 cores, once)...`);
  const download = await runOrFail(`go mod download ${MODULE}@v${FERRETDB_VERSION}`, go.goBin, ['mod', 'download', '-json', `${MODULE}@v${FERRETDB_VERSION}`], {
    env,
    cwd: ensureDir(paths.build),
  });
  const moduleDir = (JSON.parse(download.stdout) as { Dir?: string }).Dir;
  if (!moduleDir || !existsSync(moduleDir)) {
    throw new InfraError(`go mod download did not return a source folder for ${MODULE}@v${FERRETDB_VERSION}.`);
  }
  // The module cache is read-only and FerretDB needs one generated file added: build a copy.
  const sourceDir = join(paths.build, 'ferretdb-src');
  rmSync(sourceDir, { recursive: true, force: true });
  cpSync(moduleDir, sourceDir, { recursive: true });
  makeWritable(sourceDir);
  // build/version/version.txt is generated from `git describe` in FerretDB's own builds and is
  // not in the module: without it the binary panics at start-up.
  writeFileSync(join(sourceDir, 'build', 'version', 'version.txt'), `v${FERRETDB_VERSION}\n`);
  ensureDir(paths.bin);
  const partial = `${binary}.partial`;
  await runOrFail(`go build of FerretDB ${FERRETDB_VERSION}`, go.goBin, ['build', '-buildvcs=false', '-trimpath', '-o', partial, './cmd/ferretdb'], {
    env,
    cwd: sourceDir,
  });
  // Rename last, so an interrupted build never leaves a binary that looks complete.
  renameSync(partial, binary);
  rmSync(sourceDir, { recursive: true, force: true });
}

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      makeWritable(full);
    } else {
      chmodSync(full, 0o644);
    }
  }
}

/**
 * Keeps what FerretDB's goroutines were doing before a hung server is restarted (which pool or
 * lock they wait on), from its debug listener. Best effort: never delays the restart by long.
 */
async function saveGoroutineDump(debugPort: number, ctx: ServerContext): Promise<string | undefined> {
  try {
    const response = await fetch(`http://${HOST}:${debugPort}/debug/pprof/goroutine?debug=1`, { signal: AbortSignal.timeout(3_000) });
    if (!response.ok) {
      return undefined;
    }
    const file = join(ctx.runDir, `hung-goroutines-${new Date().toISOString().replace(/[:.]/g, '-')}.txt`);
    writeFileSync(file, await response.text());
    return file;
  } catch {
    return undefined;
  }
}

/**
 * A real `ping` plus `buildInfo` through the MongoDB driver; FerretDB adds its own version. A
 * server that completes the handshake (FerretDB answers `hello` without its backend) but not the
 * ping within FERRETDB_PING_TIMEOUT_MS is reported `unresponsive`: alive but stuck.
 */
export async function probeMongo(url: string): Promise<ProbeResult> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 2_000, connectTimeoutMS: 2_000, socketTimeoutMS: FERRETDB_PING_TIMEOUT_MS + 5_000 });
  try {
    await client.connect();
    const admin = client.db('admin');
    const pinged = await Promise.race([
      admin.command({ ping: 1 }).then(() => true),
      sleep(FERRETDB_PING_TIMEOUT_MS, false, { ref: false }),
    ]);
    if (!pinged) {
      return { ok: false, unresponsive: true, reason: `it accepts connections but did not answer ping within ${FERRETDB_PING_TIMEOUT_MS / 1000} s` };
    }
    const info = (await admin.command({ buildInfo: 1 })) as { version?: string; ferretdbVersion?: string };
    if (info.ferretdbVersion) {
      return { ok: true, version: `FerretDB ${info.ferretdbVersion.replace(/^v/, '')} (MongoDB ${info.version ?? '?'})` };
    }
    return info.version ? { ok: true, version: `MongoDB ${info.version}` } : { ok: true };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  } finally {
    await client.close().catch(() => undefined);
  }
}
