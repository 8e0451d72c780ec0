import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient, type FindCursor } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachePaths } from '../src/cache.js';
import { InfraError } from '../src/errors.js';
import { infraUp } from '../src/index.js';
import { ensureServer } from '../src/launcher.js';
import { isAlive, isPortOpen, livePidFromFile, stopProcess } from '../src/process.js';
import type { ServerContext } from '../src/servers/driver.js';
import { ferretdbDriver, probeMongo, type FerretdbInstance } from '../src/servers/ferretdb.js';
import { queryLauncherPostgres } from '../src/servers/psql.js';
import type { ServerUpReport } from '../src/types.js';

// A private FerretDB (own port, own database in the launcher's PostgreSQL, own state dir) with a
// pool of 4, so "every pooled connection held by an open cursor" takes 4 cursors, not 150. The
// shared FerretDB on 27017 is never touched.
const runId = randomUUID().slice(0, 8);
const instance: FerretdbInstance = { port: 27131, debugPort: 28131, pgDatabase: `infra_pool_${runId}`, poolMaxConns: 4 };
const paths = cachePaths();
const runDir = mkdtempSync(join(tmpdir(), 'fx-infra-ferretdb-pool-'));
const lines: string[] = [];
const ctx: ServerContext = { paths, runDir, logFile: join(runDir, 'ferretdb.log'), pidFile: join(runDir, 'ferretdb.pid'), log: (line) => lines.push(line) };
const driver = ferretdbDriver(paths, instance);
const url = driver.defaultUrl;
// Its PostgreSQL is the launcher's, already ensured in beforeAll.
const postgresIsUp = (): Promise<ServerUpReport> => Promise.resolve({} as ServerUpReport);
const clients: MongoClient[] = [];

function client(): MongoClient {
  // Bounded: a command on a stuck server must fail the test, never hang it.
  const created = new MongoClient(url, { serverSelectionTimeoutMS: 5_000, socketTimeoutMS: 20_000 });
  clients.push(created);
  return created;
}

/** Opens `count` finds that are not exhausted (2 of 20 documents read), on one client connection. */
async function openCursors(holder: MongoClient, count: number): Promise<FindCursor[]> {
  const cursors: FindCursor[] = [];
  for (let index = 0; index < count; index += 1) {
    const cursor = holder.db('source').collection('items').find({}, { batchSize: 2 });
    await cursor.next();
    cursors.push(cursor);
  }
  return cursors;
}

beforeAll(async () => {
  await infraUp({ only: ['postgres'], log: () => undefined });
  if (await isPortOpen(instance.port)) {
    throw new Error(`port ${instance.port} is taken: this test needs it for its private FerretDB`);
  }
  await queryLauncherPostgres(`CREATE DATABASE ${instance.pgDatabase}`, 'postgres');
});

afterAll(async () => {
  await Promise.all(clients.map((each) => each.close().catch(() => undefined)));
  const pid = livePidFromFile(ctx.pidFile, driver.processMarker);
  if (pid !== undefined) {
    await stopProcess(pid, { signal: 'SIGKILL', group: true, timeoutMs: 5_000 });
  }
  await queryLauncherPostgres(`DROP DATABASE IF EXISTS ${instance.pgDatabase} WITH (FORCE)`, 'postgres');
  rmSync(runDir, { recursive: true, force: true });
});

describe('FerretDB with every pooled PostgreSQL connection held by an open cursor', () => {
  let firstPid = 0;

  it('stalls ping and dropDatabase until the client holding the cursors disconnects', async () => {
    const started = await ensureServer(driver, ctx, {}, postgresIsUp);
    expect(started.action).toBe('started');
    firstPid = started.pid ?? 0;
    const setup = client();
    await setup.db('source').collection('items').insertMany(Array.from({ length: 20 }, (_, index) => ({ index })));
    await setup.db('victim').collection('things').insertOne({ doomed: true });

    const holder = client();
    await openCursors(holder, instance.poolMaxConns);
    // The drop waits for a connection while holding FerretDB's metadata lock: today's deadlock.
    const drop = client().db('victim').dropDatabase();
    drop.catch(() => undefined);
    expect(await probeMongo(url)).toMatchObject({ ok: false, unresponsive: true });

    await holder.close();
    await expect(drop).resolves.toBe(true);
    expect(await probeMongo(url)).toMatchObject({ ok: true });
  });

  it('is restarted by up when the launcher started it, with the reason logged and its goroutines saved', async () => {
    await client().db('victim').collection('things').insertOne({ doomed: true });
    const holder = client();
    await openCursors(holder, instance.poolMaxConns);
    client().db('victim').dropDatabase().catch(() => undefined);

    // Closed in any case, so a failure here cannot leave the next test a stuck server.
    const again = await ensureServer(driver, ctx, {}, postgresIsUp).finally(() => holder.close().catch(() => undefined));

    expect(again.action).toBe('started');
    expect(again.pid).not.toBe(firstPid);
    expect(isAlive(firstPid)).toBe(false);
    expect(again.restartedBecause).toMatch(/did not answer ping within 5 s, twice/);
    const logged = lines.find((line) => line.startsWith('ferretdb: restarting it:'));
    expect(logged).toContain('cursors clients left open');
    const dumpFile = /what it was doing is in (\S+)$/.exec(logged ?? '')?.[1] ?? '';
    expect(existsSync(dumpFile)).toBe(true);
    expect(readFileSync(dumpFile, 'utf8')).toContain('pgxpool.(*Pool).Acquire');
    // Same PostgreSQL database: the data is still there, and the new server answers.
    expect(await probeMongo(url)).toMatchObject({ ok: true });
    expect(await client().db('source').collection('items').countDocuments()).toBe(20);
  });

  it('is left alone, with one sentence, when the launcher did not start it', async () => {
    const holder = client();
    await openCursors(holder, instance.poolMaxConns);
    const stuckPid = livePidFromFile(ctx.pidFile, driver.processMarker) ?? 0;
    const foreignCtx: ServerContext = { ...ctx, pidFile: join(runDir, 'not-ours.pid') };

    const attempt = ensureServer(driver, foreignCtx, {}, postgresIsUp);

    await expect(attempt).rejects.toThrow(InfraError);
    await expect(attempt).rejects.toThrow(/did not answer ping within 5 s, twice, and this launcher did not start it/);
    expect(isAlive(stuckPid)).toBe(true);
  });
});
