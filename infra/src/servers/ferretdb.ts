import { chmodSync, cpSync, existsSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { ensureDir, isExecutable, type CachePaths } from '../cache.js';
import { InfraError } from '../errors.js';
import { requireGo } from '../prereqs.js';
import { runOrFail, spawnDetached } from '../process.js';
import { DEFAULT_URLS, FERRETDB_PG_DATABASE, FERRETDB_VERSION, HOST, PORTS } from '../versions.js';
import type { ProbeResult, ServerDriver } from './driver.js';

const MODULE = 'github.com/FerretDB/FerretDB';

/**
 * FerretDB 1.24 (MongoDB wire protocol) on the launcher's PostgreSQL, built from the Go module
 * proxy because that is the only registry that carries it. The binary is cached by version.
 */
export function ferretdbDriver(paths: CachePaths): ServerDriver {
  const binary = join(paths.bin, `ferretdb-${FERRETDB_VERSION}`);
  return {
    name: 'ferretdb',
    label: 'MongoDB-compatible server',
    port: PORTS.ferretdb,
    defaultUrl: DEFAULT_URLS.ferretdb,
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
        args: ferretdbArgs(ctx.runDir),
        cwd: ctx.runDir,
        logFile: ctx.logFile,
        pidFile: ctx.pidFile,
      });
    },

    probe: probeMongo,
  };
}

export function ferretdbArgs(stateDir: string): string[] {
  return [
    '--handler=postgresql',
    `--postgresql-url=postgres://postgres@${HOST}:${PORTS.postgres}/${FERRETDB_PG_DATABASE}`,
    `--listen-addr=${HOST}:${PORTS.ferretdb}`,
    // Its own metrics/pprof listener defaults to :8088, a port dev tools like to use.
    `--debug-addr=${HOST}:${PORTS.ferretdbDebug}`,
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

/** A real `ping` plus `buildInfo` through the MongoDB driver; FerretDB adds its own version. */
export async function probeMongo(url: string): Promise<ProbeResult> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 2_000, connectTimeoutMS: 2_000, socketTimeoutMS: 5_000 });
  try {
    await client.connect();
    const admin = client.db('admin');
    await admin.command({ ping: 1 });
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
