import { chownSync, existsSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureDir, foreignUserRoot, isExecutable, isRoot, type CachePaths } from '../cache.js';
import { InfraError } from '../errors.js';
import { aptInstall } from '../prereqs.js';
import { commandLineOf, isAlive, runCommand, runOrFail, spawnDetached, userIds, which } from '../process.js';
import { DEFAULT_URLS, FERRETDB_PG_DATABASE, HOST, PORTS, POSTGRES_MAX_CONNECTIONS, POSTGRES_OS_USER } from '../versions.js';
import { hostPort, type ProbeResult, type ServerContext, type ServerDriver } from './driver.js';
import { GIN_COMPANIONS_INSTALL_SQL, GIN_COMPANIONS_SWEEP_SQL } from './gin-companions.js';
import { findPsql, installedMajors, psqlArgs } from './psql.js';

/** The plan cache mode FerretDB's lookups need; see postgresServerArgs. */
export const PLAN_CACHE_MODE = 'force_custom_plan';

/**
 * The launcher's own PostgreSQL cluster on port 5439, FerretDB's storage. It never touches the
 * machine's own cluster (Debian's runs on 5432): separate data dir, port and socket dir.
 */
export function postgresDriver(paths: CachePaths): ServerDriver {
  // Root cannot run postgres, and the postgres OS user cannot enter root's 0700 home.
  const clusterRoot = foreignUserRoot(paths, 'postgres');
  const dataDir = join(clusterRoot, 'data');
  const socketDir = join(clusterRoot, 'socket');
  let binDir: string | undefined;
  let runAs: { uid: number; gid: number; home: string } | undefined;

  const asPostgresUser = (): { uid?: number; gid?: number; env: NodeJS.ProcessEnv } => {
    if (!runAs) {
      return { env: process.env };
    }
    const env = { ...process.env, HOME: runAs.home, USER: POSTGRES_OS_USER, LOGNAME: POSTGRES_OS_USER };
    return { uid: runAs.uid, gid: runAs.gid, env };
  };

  return {
    name: 'postgres',
    label: 'PostgreSQL server',
    port: PORTS.postgres,
    defaultUrl: DEFAULT_URLS.postgres,
    version: 'debian',
    processMarker: dataDir,
    // SIGINT is PostgreSQL's "fast" shutdown; SIGTERM would wait for FerretDB's pooled clients.
    stop: { signal: 'SIGINT', group: false, timeoutMs: 30_000 },
    startTimeoutMs: 60_000,

    async install(ctx) {
      let cached = true;
      binDir = findPostgresBinDir(dataDir);
      if (!binDir) {
        await aptInstall(['postgresql'], 'PostgreSQL (the storage of FerretDB)');
        cached = false;
        binDir = findPostgresBinDir(dataDir);
        if (!binDir) {
          throw new InfraError('apt-get installed postgresql but no postgres/initdb binaries were found under /usr/lib/postgresql.');
        }
      }
      if (isRoot()) {
        runAs = await userIds(POSTGRES_OS_USER);
        if (!runAs) {
          throw new InfraError(`PostgreSQL refuses to run as root and there is no "${POSTGRES_OS_USER}" OS user: install the postgresql package (it creates that user).`);
        }
      }
      ensureDir(clusterRoot);
      ensureDir(socketDir);
      if (runAs) {
        chownSync(clusterRoot, runAs.uid, runAs.gid);
        chownSync(socketDir, runAs.uid, runAs.gid);
      }
      if (!existsSync(join(dataDir, 'PG_VERSION'))) {
        const user = asPostgresUser();
        const started = Date.now();
        await runOrFail('initdb of the launcher PostgreSQL cluster', join(binDir, 'initdb'), ['-D', dataDir, '--auth=trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'], {
          cwd: clusterRoot,
          ...user,
        });
        ctx.log(`postgres: initialised cluster in ${dataDir} (${Date.now() - started} ms)`);
        cached = false;
      }
      return { cached };
    },

    async start(ctx) {
      if (!binDir) {
        throw new InfraError('PostgreSQL was not installed before starting it.');
      }
      removeStalePostmasterPid(dataDir);
      const user = asPostgresUser();
      return spawnDetached({
        command: join(binDir, 'postgres'),
        args: ['-D', dataDir, ...postgresServerArgs(socketDir)],
        cwd: clusterRoot,
        logFile: ctx.logFile,
        pidFile: ctx.pidFile,
        ...user,
      });
    },

    probe: probePostgres,

    async afterReady(ctx: ServerContext) {
      const psql = findPsql(binDir ?? findPostgresBinDir(dataDir));
      await ensureDatabase(psql, FERRETDB_PG_DATABASE, ctx);
      await ensurePlanCacheMode(psql, ctx);
      await ensureGinCompanions(psql, ctx);
    },
  };
}

/**
 * A postmaster killed without shutdown (the machine's session ended, OOM) leaves postmaster.pid
 * behind. PostgreSQL removes it itself unless that pid now belongs to another process, which
 * after a restart is likely: then it refuses to start. Called only when nothing answers on our
 * port, so the file is stale unless its pid is a postgres on this very data dir.
 */
function removeStalePostmasterPid(dataDir: string): void {
  const lockFile = join(dataDir, 'postmaster.pid');
  const pid = Number.parseInt(existsSync(lockFile) ? (readFileSync(lockFile, 'utf8').split('\n')[0] ?? '') : '', 10);
  if (!Number.isInteger(pid) || pid <= 0) {
    return;
  }
  if (isAlive(pid) && commandLineOf(pid).includes(dataDir)) {
    return;
  }
  rmSync(lockFile, { force: true });
}

/**
 * Server settings. fsync, synchronous_commit and full_page_writes are off: this cluster holds
 * dev and CI data only, and crash safety costs a lot of time there (a crash means re-seeding).
 */
export function postgresServerArgs(socketDir: string): string[] {
  const settings: Record<string, string> = {
    listen_addresses: HOST,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    // FerretDB's pool (FERRETDB_PG_POOL_MAX_CONNS) with headroom; applies when the cluster starts.
    max_connections: String(POSTGRES_MAX_CONNECTIONS),
    shared_buffers: '128MB',
    // FerretDB prepares its statements with the field name as a parameter (`_jsonb->$1 @> $2`);
    // a generic plan cannot match that to the GIN index on `_jsonb->'field'`, so after a few
    // executions PostgreSQL would settle on a sequential scan. Plan each execution instead.
    plan_cache_mode: PLAN_CACHE_MODE,
  };
  return ['-p', String(PORTS.postgres), '-k', socketDir, ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`])];
}

/**
 * The newest /usr/lib/postgresql/<major>/bin (Debian's layout), or the one matching an existing
 * data dir (a cluster only starts with the major version that created it).
 */
export function findPostgresBinDir(dataDir: string): string | undefined {
  const usable = (dir: string): boolean => isExecutable(join(dir, 'postgres')) && isExecutable(join(dir, 'initdb'));
  let clusterMajor: string | undefined;
  try {
    clusterMajor = readFileSync(join(dataDir, 'PG_VERSION'), 'utf8').trim();
  } catch {
    clusterMajor = undefined;
  }
  const majors = installedMajors();
  if (clusterMajor) {
    const dir = `/usr/lib/postgresql/${clusterMajor}/bin`;
    if (usable(dir)) {
      return dir;
    }
    if (majors.length > 0) {
      throw new InfraError(`The launcher's PostgreSQL cluster in ${dataDir} was made by PostgreSQL ${clusterMajor}, which is not installed: install postgresql-${clusterMajor} or delete that folder.`);
    }
  }
  for (const major of majors) {
    const dir = `/usr/lib/postgresql/${major}/bin`;
    if (usable(dir)) {
      return dir;
    }
  }
  const onPath = which('postgres');
  if (onPath) {
    const dir = dirname(realpathSync(onPath));
    return usable(dir) ? dir : undefined;
  }
  return undefined;
}

async function ensureDatabase(psql: string, database: string, ctx: ServerContext): Promise<void> {
  const exists = await runCommand(psql, psqlArgs('postgres', [`SELECT 1 FROM pg_database WHERE datname = '${database}'`]), { cwd: '/' });
  if (exists.code !== 0) {
    throw new InfraError(`Cannot query the PostgreSQL on port ${PORTS.postgres} as user postgres without a password: ${exists.stderr.trim()}`);
  }
  if (exists.stdout.trim() !== '1') {
    await runOrFail(`CREATE DATABASE ${database}`, psql, psqlArgs('postgres', [`CREATE DATABASE ${database}`]), { cwd: '/' });
    ctx.log(`postgres: created database ${database}`);
  }
}

/**
 * A cluster started by an older launcher (or by hand) lacks the command-line setting: write it
 * with ALTER SYSTEM (postgresql.auto.conf, so it survives restarts) and reload. A reload reaches
 * FerretDB's pooled connections too, and their prepared statements choose a plan per execution
 * under the mode in force then, so no restart is needed.
 */
async function ensurePlanCacheMode(psql: string, ctx: ServerContext): Promise<void> {
  const current = async (): Promise<string> =>
    (await runOrFail('reading plan_cache_mode', psql, psqlArgs('postgres', ['SHOW plan_cache_mode']), { cwd: '/' })).stdout.trim();
  if ((await current()) === PLAN_CACHE_MODE) {
    return;
  }
  await runOrFail('ALTER SYSTEM SET plan_cache_mode', psql, psqlArgs('postgres', [`ALTER SYSTEM SET plan_cache_mode = '${PLAN_CACHE_MODE}'`, 'SELECT pg_reload_conf()']), { cwd: '/' });
  // The postmaster applies the reload asynchronously: wait until a new session sees it.
  const deadline = Date.now() + 10_000;
  while ((await current()) !== PLAN_CACHE_MODE) {
    if (Date.now() > deadline) {
      throw new InfraError(`PostgreSQL on port ${PORTS.postgres} did not take plan_cache_mode = ${PLAN_CACHE_MODE} after a reload: see its log.`);
    }
    await sleep(100);
  }
  ctx.log(`postgres: set plan_cache_mode = ${PLAN_CACHE_MODE} (ALTER SYSTEM + reload)`);
}

/**
 * Installs (or updates) the triggers that keep a GIN index beside every index FerretDB creates,
 * then gives every existing index its companion. See gin-companions.ts and infra/README.md.
 */
async function ensureGinCompanions(psql: string, ctx: ServerContext): Promise<void> {
  const result = await runOrFail('installing the GIN companion triggers', psql, psqlArgs(FERRETDB_PG_DATABASE, [`SET client_min_messages = warning; ${GIN_COMPANIONS_INSTALL_SQL}`, GIN_COMPANIONS_SWEEP_SQL]), { cwd: '/' });
  const created = Number.parseInt(result.stdout.trim().split('\n').at(-1) ?? '0', 10);
  if (created > 0) {
    ctx.log(`postgres: created ${created} GIN companion index${created === 1 ? '' : 'es'} for existing FerretDB indexes`);
  }
  // Warnings are companions the sweep could not make (a table dropped meanwhile): speed only.
  for (const line of result.stderr.split('\n').filter((text) => text.includes('WARNING'))) {
    ctx.log(`postgres: ${line.trim()}`);
  }
}

/**
 * Speaks just enough of the PostgreSQL wire protocol to log in as `postgres` and read the
 * server_version parameter: proves it is PostgreSQL and that trust login works, without psql.
 */
export function probePostgres(url: string): Promise<ProbeResult> {
  const { host, port } = hostPort(url, PORTS.postgres);
  const parsed = new URL(url);
  const user = decodeURIComponent(parsed.username || 'postgres');
  return new Promise((resolveProbe) => {
    const socket = connect({ host, port });
    let buffer = Buffer.alloc(0);
    let version: string | undefined;
    const finish = (result: ProbeResult): void => {
      socket.destroy();
      resolveProbe(result);
    };
    socket.setTimeout(2_000, () => finish({ ok: false, reason: `no answer from ${host}:${port}` }));
    socket.once('error', (error) => finish({ ok: false, reason: error.message }));
    socket.once('close', () => finish({ ok: false, reason: 'connection closed before the login completed' }));
    socket.once('connect', () => {
      const body = Buffer.from(`user\0${user}\0database\0postgres\0\0`, 'utf8');
      const header = Buffer.alloc(8);
      header.writeInt32BE(8 + body.length, 0);
      header.writeInt32BE(196_608, 4); // protocol 3.0
      socket.write(Buffer.concat([header, body]));
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 5) {
        const type = String.fromCharCode(buffer[0] ?? 0);
        const length = buffer.readInt32BE(1);
        if (buffer.length < 1 + length) {
          return;
        }
        const payload = buffer.subarray(5, 1 + length);
        buffer = buffer.subarray(1 + length);
        if (type === 'R') {
          const code = payload.readInt32BE(0);
          if (code !== 0) {
            finish({ ok: false, reason: `PostgreSQL asks user ${user} for a password (auth method ${code})` });
            return;
          }
        } else if (type === 'S') {
          const [name, value] = payload.toString('utf8').split('\0');
          if (name === 'server_version') {
            version = value;
          }
        } else if (type === 'E') {
          const message = payload.toString('utf8').split('\0').find((field) => field.startsWith('M'))?.slice(1) ?? 'error';
          finish({ ok: false, reason: message });
          return;
        } else if (type === 'Z') {
          socket.write(Buffer.from([0x58, 0, 0, 0, 4])); // Terminate
          finish(version ? { ok: true, version } : { ok: true });
          return;
        } else if (type !== 'K' && type !== 'N') {
          finish({ ok: false, reason: 'not a PostgreSQL server' });
          return;
        }
      }
    });
  });
}
