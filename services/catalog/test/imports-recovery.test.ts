import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Connection } from 'mongoose';
import { AggregateLocks, buildService, connectMongo } from '@foodxchange/service-kit';
import { isolatedEnv, startTestIssuer, uniqueSuffix, waitFor, type TestIssuer } from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';
import { importLockKey } from '../src/imports/worker.js';
import { csv, csvRow, finished, jobOf, productsOf, supplierCompany, upload } from './imports-fixtures.js';

/**
 * Import jobs across restarts and replicas: every app here runs on one database, as the
 * replicas of one deployment do.
 */

const alias = `test-products-import-replicas-${uniqueSuffix()}`;
let issuer: TestIssuer;
let env: Record<string, unknown>;
const apps: FastifyInstance[] = [];
/** The shared database, read by the test itself (also while no app runs). */
let db: Connection;

async function start(extra: Record<string, unknown> = {}): Promise<FastifyInstance> {
  const started = await buildService(service, app, { ...env, ...extra });
  apps.push(started);
  return started;
}

async function stop(stopped: FastifyInstance): Promise<void> {
  apps.splice(apps.indexOf(stopped), 1);
  await stopped.close();
}

interface StoredJob {
  status: string;
  chunksDone: number;
  chunkCount: number;
  runs: Array<{ runner: string; token: number; startedAt: Date; fromChunk: number }>;
  startedAt?: Date;
}

const storedJob = (id: string) => db.collection<StoredJob & { _id: string }>('import_jobs').findOne({ _id: id });

const rowsOf = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => csvRow(`${prefix}-${String(index).padStart(5, '0')}`));

beforeAll(async () => {
  issuer = await startTestIssuer();
  // One database and consumer group for every app of this file; small chunks so jobs have many.
  env = isolatedEnv('catalog', { ...issuer.env, SEARCH_INDEX_ALIAS: alias, IMPORT_CHUNK_ROWS: 25, IMPORT_POLL_MS: 100 });
  db = await connectMongo({ url: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017/?directConnection=true', dbName: env.MONGO_DB as string });
});
afterAll(async () => {
  const last = apps[0];
  await last?.elastic.indices.delete({ index: `${alias}*`, ignore_unavailable: true, allow_no_indices: true }).catch(() => undefined);
  for (const open of [...apps]) await open.close();
  await db?.dropDatabase().catch(() => undefined);
  await db?.close();
  await issuer?.close();
});

describe('import jobs across restarts and replicas', () => {
  it('resumes a job after the app that ran it closed mid-job, with the right totals and no duplicates', { timeout: 180_000 }, async () => {
    const first = await start();
    const supplier = await supplierCompany(first, issuer);
    const rows = rowsOf('RST', 1500);
    const res = await upload(first, supplier.headers, csv(rows));
    expect(res.statusCode).toBe(202);
    const id = res.json().data.id;

    await waitFor(async () => (await jobOf(first, supplier.headers, id)).progress.chunksDone >= 3, { what: 'three chunks done', timeoutMs: 60_000, intervalMs: 20 });
    await stop(first);
    // Closed mid-job: it recorded the chunk it was on and let go.
    const paused = (await storedJob(id))!;
    expect(paused.status).toBe('running');
    expect(paused.chunksDone).toBeGreaterThanOrEqual(3);
    expect(paused.chunksDone).toBeLessThan(paused.chunkCount);

    // A job finished long ago, which the next app to start deletes (the retention).
    const old = new Date(Date.now() - 40 * 86_400_000);
    await db.collection('import_jobs').insertOne({ _id: `old-${id}`, supplierCompanyId: supplier.companyId, status: 'completed', createdAt: old, finishedAt: old } as never);

    const second = await start();
    await waitFor(async () => !(await db.collection('import_jobs').findOne({ _id: `old-${id}` } as never)), { what: 'the old job deleted' });
    const done = await finished(second, supplier.headers, id, 170_000);
    expect(done).toMatchObject({ status: 'completed', totalRows: 1500, counts: { processed: 1500, created: 1500, updated: 0, unchanged: 0, failed: 0 } });
    const stored = (await storedJob(id))!;
    expect(stored.runs).toHaveLength(2);
    expect(stored.runs[1]!.fromChunk).toBe(paused.chunksDone);
    expect(stored.runs[1]!.token).toBeGreaterThan(stored.runs[0]!.token);
    const products = await second.mongo.collection('products').countDocuments({ supplierCompanyId: supplier.companyId });
    expect(products).toBe(1500);
    expect((await productsOf(second, supplier.companyId)).size).toBe(1500);
  });

  it("takes over a job whose runner stopped renewing its lease, once the lease has run out", { timeout: 120_000 }, async () => {
    const server = apps[0] ?? (await start());
    const supplier = await supplierCompany(server, issuer);
    // A runner that claimed the company's imports and then hung: it never renews its 2 s lease.
    const hungRunner = new AggregateLocks(server.mongo, { leaseMs: 2000, renewEveryMs: 1_000_000_000 });
    let release!: () => void;
    // Its lease runs out 2 s after a moment no earlier than this.
    const claimedAt = Date.now();
    const claimed = new Promise<void>((resolve) => {
      void hungRunner.withLock(importLockKey(supplier.companyId), async () => {
        resolve();
        await new Promise<void>((done) => (release = done));
      }).catch(() => undefined);
    });
    await claimed;

    const res = await upload(server, supplier.headers, csv(rowsOf('HUNG', 100)));
    const id = res.json().data.id;
    const done = await finished(server, supplier.headers, id, 60_000);
    release();
    expect(done).toMatchObject({ status: 'completed', counts: { processed: 100, created: 100 } });
    // Not before the hung runner's lease ran out.
    expect(Date.parse(done.startedAt!)).toBeGreaterThanOrEqual(claimedAt + 2000);
  });

  it('fails a job whose rows are gone (a fatal problem), saying why', { timeout: 60_000 }, async () => {
    const server = apps[0] ?? (await start());
    const supplier = await supplierCompany(server, issuer);
    // Held while the job is accepted and its chunks removed, so no runner starts it before.
    const locks = new AggregateLocks(server.mongo);
    const id = await locks.withLock(importLockKey(supplier.companyId), async () => {
      const res = await upload(server, supplier.headers, csv(rowsOf('GONE', 60)));
      const accepted = res.json().data.id as string;
      await db.collection('import_chunks').deleteMany({ jobId: accepted, seq: { $gte: 1 } });
      return accepted;
    });
    const done = await finished(server, supplier.headers, id);
    expect(done).toMatchObject({ status: 'failed', counts: { processed: 25, created: 25 }, progress: { chunksDone: 1, chunkCount: 3 } });
    expect(done.failure).toBe('Chunk 2 of 3 of the import is missing');
  });

  it('runs each job once when two replicas share the database', { timeout: 180_000 }, async () => {
    const one = apps[0] ?? (await start());
    const two = await start();
    const suppliers = [await supplierCompany(one, issuer), await supplierCompany(one, issuer), await supplierCompany(one, issuer)];
    const jobs: Array<{ id: string; supplier: (typeof suppliers)[number]; rows: number }> = [];
    for (const [index, supplier] of suppliers.entries()) {
      // Two jobs per company, accepted by alternating replicas: a company's jobs run one at a time, in order.
      for (const round of [0, 1]) {
        const via = (index + round) % 2 === 0 ? one : two;
        const res = await upload(via, supplier.headers, csv(rowsOf(`REP${index}-${round}`, 400)));
        expect(res.statusCode).toBe(202);
        jobs.push({ id: res.json().data.id, supplier, rows: 400 });
      }
    }
    for (const job of jobs) {
      const done = await finished(one, job.supplier.headers, job.id, 170_000);
      expect(done).toMatchObject({ status: 'completed', counts: { processed: job.rows, created: job.rows, updated: 0, unchanged: 0, failed: 0 } });
      const stored = (await storedJob(job.id))!;
      expect(stored.runs).toHaveLength(1);
    }
    for (const supplier of suppliers) {
      expect(await one.mongo.collection('products').countDocuments({ supplierCompanyId: supplier.companyId })).toBe(800);
    }
    // A company's second job started only after its first finished.
    for (let index = 0; index < jobs.length; index += 2) {
      const [earlier, later] = [await jobOf(one, jobs[index]!.supplier.headers, jobs[index]!.id), await jobOf(one, jobs[index + 1]!.supplier.headers, jobs[index + 1]!.id)];
      expect(Date.parse(later.startedAt!)).toBeGreaterThanOrEqual(Date.parse(earlier.finishedAt!));
    }
  });
});
