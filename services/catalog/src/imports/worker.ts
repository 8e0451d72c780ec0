import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Connection, UpdateQuery } from 'mongoose';
import {
  AggregateLocks,
  LockBusyError,
  LockLostError,
  isDuplicateKeyError,
  isRetryable,
  type EventContext,
  type HeldLock,
} from '@foodxchange/service-kit';
import { chunkId, type ImportChunkDoc, type ImportCounts, type ImportJobDoc, type ImportModels, type RowError, type StoredRow } from './model.js';
import { candidateOf, rowErrorsOf, type FieldProblems } from './rows.js';

/** What one row's upsert did (the product batch function's answer, one per row in order). */
export type UpsertResult =
  | { outcome: 'created' | 'updated' | 'unchanged'; productId: string }
  | { outcome: 'failed'; fields: Record<string, string[]> };

/** The product side of an import: the schema check of a row and the batch upsert by sku. */
export interface ImportProcessor {
  /** The row's field problems against the product body schema (`undefined`: valid; defaults are filled in). */
  validate(input: Record<string, unknown>): FieldProblems | undefined;
  upsert(
    supplierCompanyId: string,
    rows: Record<string, unknown>[],
    actor: { userId: string },
    context: EventContext,
  ): Promise<UpsertResult[]>;
}

export interface ImportWorkerOptions {
  pollMs: number;
  leaseMs: number;
  maxReportedErrors: number;
  /** Finished jobs older than this are deleted (expiry as a field plus a cleanup: no TTL indexes locally). */
  retentionMs: number;
  /** Consecutive failures of one chunk (the database away, a bug) after which the job fails. */
  maxChunkAttempts?: number;
}

export interface ImportWorkerDeps {
  models: ImportModels;
  processor: ImportProcessor;
  log: FastifyBaseLogger;
  context(correlationId: string): EventContext;
  /** Tells the outbox relay that product writes staged events. */
  published?: () => void;
}

/** Key of the lock under which one runner runs a company's imports, oldest first. */
export const importLockKey = (supplierCompanyId: string) => `catalog-import:${supplierCompanyId}`;

const UNFINISHED = ['queued', 'running'] as const;

const CLEANUP_EVERY_MS = 3600_000;

/** Where a chunk's time went (logged at debug level). */
interface ChunkTimings {
  checkMs: number;
  upsertMs: number;
}

type RunOutcome = 'progressed' | 'retry-later' | 'stopped';

/**
 * The background runner of import jobs, one per replica.
 *
 * Claiming: a company's unfinished jobs run one at a time, oldest first, under the kit's
 * aggregate lock `catalog-import:<companyId>` (a lease renewed while the job runs, with a
 * fencing token). So across replicas exactly one runner works on a company's imports at a time,
 * a later import of the same skus applies after an earlier one, and a runner that crashed
 * (stopped renewing) is taken over once its lease runs out: the successor resumes at the first
 * chunk not recorded as done. Each progress write is fenced: a runner that lost its lease cannot
 * record anything over its successor's.
 *
 * A chunk is recorded after its upserts: a runner that dies in between has its chunk done again
 * by the next one, which is harmless (an upsert by sku of the same row is `unchanged`), though
 * the rows the first run created or updated then count as unchanged.
 */
export class ImportWorker {
  readonly runnerId = randomUUID();
  private readonly locks: AggregateLocks;
  private readonly maxChunkAttempts: number;
  private stopped = true;
  private loop: Promise<void> | undefined;
  private woken = false;
  private lastCleanupAt = 0;
  private wakeIdle: (() => void) | undefined;

  constructor(
    private readonly deps: ImportWorkerDeps,
    private readonly options: ImportWorkerOptions,
    connection: Connection,
  ) {
    // waitMs 0: a company another runner is busy with is skipped at once, not waited for.
    this.locks = new AggregateLocks(connection, { leaseMs: options.leaseMs, waitMs: 0 });
    this.maxChunkAttempts = options.maxChunkAttempts ?? 5;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  /** A job was queued here: look now rather than at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeIdle?.();
  }

  /** Stops after the chunk in progress is recorded, releasing the lock so another replica can resume at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let outcome: RunOutcome | 'idle' = 'idle';
      try {
        await this.cleanUp();
        outcome = await this.runNext();
      } catch (error) {
        this.deps.log.error({ err: error }, 'import worker: looking for work failed');
      }
      if (outcome !== 'progressed' && !this.stopped) await this.idle();
    }
  }

  private idle(): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(timer);
        this.wakeIdle = undefined;
        resolve();
      };
      timer = setTimeout(finish, this.options.pollMs);
      this.wakeIdle = () => {
        this.woken = false;
        finish();
      };
    });
  }

  /** Deletes jobs finished longer ago than the retention, at start and then hourly (idempotent, so every replica may). */
  private async cleanUp(): Promise<void> {
    if (Date.now() - this.lastCleanupAt < CLEANUP_EVERY_MS) return;
    this.lastCleanupAt = Date.now();
    const cutoff = new Date(Date.now() - this.options.retentionMs);
    for (const status of ['completed', 'failed'] as const) {
      const { deletedCount } = await this.deps.models.jobs.deleteMany({ status, finishedAt: { $lt: cutoff } });
      if (deletedCount > 0) this.deps.log.info({ status, deletedCount }, 'import worker: deleted old import jobs');
    }
  }

  /**
   * Unfinished jobs (of one company), oldest first. One equality query per status rather than an
   * `$in`: the local server hands equality filters to PostgreSQL (and its indexes), an `$in` it
   * evaluates by reading every job.
   */
  private async unfinished(filter: { supplierCompanyId?: string }, limit: number): Promise<Array<Pick<ImportJobDoc, '_id' | 'supplierCompanyId' | 'createdAt'>>> {
    const found = await Promise.all(
      UNFINISHED.map((status) =>
        this.deps.models.jobs
          .find({ ...filter, status }, { _id: 1, supplierCompanyId: 1, createdAt: 1 })
          .sort({ createdAt: 1, _id: 1 })
          .limit(limit)
          .lean<Array<Pick<ImportJobDoc, '_id' | 'supplierCompanyId' | 'createdAt'>>>(),
      ),
    );
    return found
      .flat()
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0))
      .slice(0, limit);
  }

  /** Runs the oldest unfinished job of the first company no other runner holds. */
  private async runNext(): Promise<RunOutcome | 'idle'> {
    const pending = await this.unfinished({}, 200);
    const companies = [...new Set(pending.map((job) => job.supplierCompanyId))];
    for (const companyId of companies) {
      if (this.stopped) return 'stopped';
      try {
        const outcome = await this.locks.withLock(importLockKey(companyId), (lock) => this.runCompany(companyId, lock));
        // 'idle': its job was finished by the runner before us; the next company may have work.
        if (outcome !== 'idle') return outcome;
      } catch (error) {
        if (error instanceof LockBusyError) continue;
        if (error instanceof LockLostError) {
          this.deps.log.warn({ companyId, reason: error.reason }, 'import worker: another runner took over');
          return 'progressed';
        }
        throw error;
      }
    }
    return 'idle';
  }

  private async runCompany(companyId: string, lock: HeldLock): Promise<RunOutcome | 'idle'> {
    // Read again under the lock: the runner before us may have finished it meanwhile.
    const [oldest] = await this.unfinished({ supplierCompanyId: companyId }, 1);
    const job = oldest && (await this.deps.models.jobs.findById(oldest._id).lean<ImportJobDoc>());
    if (!job || (job.status !== 'queued' && job.status !== 'running')) return 'idle';
    return this.runJob(job, lock);
  }

  /** An update of the job that lands only while we hold the lock and no later holder wrote it. */
  private async record(lock: HeldLock, jobId: string, update: UpdateQuery<ImportJobDoc>): Promise<void> {
    const result = await lock.fenced(() =>
      this.deps.models.jobs.updateOne({ _id: jobId, ...lock.fenceFilter }, { ...update, $set: { ...update.$set, lockToken: lock.token, updatedAt: new Date() } }),
    );
    if (result.matchedCount === 0) throw new LockLostError(lock.key, 'the import job was written by a later runner');
  }

  private async finish(lock: HeldLock, job: ImportJobDoc, status: 'completed' | 'failed', failure?: string): Promise<void> {
    await this.record(lock, job._id, { $set: { status, finishedAt: new Date(), ...(failure ? { failure } : {}) } });
    this.deps.log.info({ importId: job._id, status, failure }, 'import finished');
    // The rows have served their purpose; the job keeps the outcome.
    await this.deps.models.chunks.deleteMany({ jobId: job._id }).catch(() => undefined);
  }

  private async runJob(job: ImportJobDoc, lock: HeldLock): Promise<RunOutcome> {
    const startedAt = new Date();
    await this.record(lock, job._id, {
      $set: { status: 'running', startedAt: job.startedAt ?? startedAt },
      $push: { runs: { runner: this.runnerId, token: lock.token, startedAt, fromChunk: job.chunksDone } },
    });
    let reported = job.rowErrors.length;
    let failedAttempts = job.failedAttempts;
    for (let seq = job.chunksDone; seq < job.chunkCount; seq += 1) {
      if (this.stopped) return 'stopped';
      let result: { counts: ImportCounts; errors: RowError[]; timings: ChunkTimings };
      const chunkStartedAt = performance.now();
      try {
        const chunk = await this.deps.models.chunks.findById(chunkId(job._id, seq)).lean();
        if (!chunk) {
          await this.finish(lock, job, 'failed', `Chunk ${seq + 1} of ${job.chunkCount} of the import is missing`);
          return 'progressed';
        }
        result = await this.processChunk(job, chunk);
      } catch (error) {
        if (error instanceof LockLostError) throw error;
        failedAttempts += 1;
        const fatal = !isRetryable(error) && !isDuplicateKeyError(error);
        this.deps.log.error({ err: error, importId: job._id, chunk: seq, attempt: failedAttempts, fatal }, 'import chunk failed');
        if (fatal || failedAttempts >= this.maxChunkAttempts) {
          await this.finish(lock, job, 'failed', `Chunk ${seq + 1} of ${job.chunkCount} could not be imported: ${(error as Error).message}`);
          return 'progressed';
        }
        await this.record(lock, job._id, { $set: { failedAttempts } });
        return 'retry-later';
      }
      failedAttempts = 0;
      const room = Math.max(0, this.options.maxReportedErrors - reported);
      const kept = result.errors.slice(0, room);
      reported += kept.length;
      const { counts } = result;
      await this.record(lock, job._id, {
        $set: { chunksDone: seq + 1, failedAttempts: 0 },
        $inc: {
          'counts.processed': counts.processed,
          'counts.created': counts.created,
          'counts.updated': counts.updated,
          'counts.unchanged': counts.unchanged,
          'counts.failed': counts.failed,
          errorCount: result.errors.length,
        },
        ...(kept.length > 0 ? { $push: { rowErrors: { $each: kept } } } : {}),
      });
      this.deps.log.debug(
        { importId: job._id, chunk: seq, rows: counts.processed, ...result.timings, totalMs: Math.round(performance.now() - chunkStartedAt) },
        'import chunk recorded',
      );
    }
    await this.finish(lock, job, 'completed');
    return 'progressed';
  }

  /**
   * One chunk: each row read and checked against the product schema (its problems become row
   * errors), then the valid rows upserted in batches. A sku that occurs twice in the chunk goes
   * into the next batch, so rows apply in file order: the later row of a sku wins.
   */
  async processChunk(job: ImportJobDoc, chunk: Pick<ImportChunkDoc, 'rows'>): Promise<{ counts: ImportCounts; errors: RowError[]; timings: ChunkTimings }> {
    const startedAt = performance.now();
    const counts: ImportCounts = { processed: chunk.rows.length, created: 0, updated: 0, unchanged: 0, failed: 0 };
    const errors: RowError[] = [];
    const fail = (row: StoredRow, problems: FieldProblems) => {
      counts.failed += 1;
      errors.push(...rowErrorsOf(row, problems, job.columns));
    };
    const batches: Array<Array<{ row: StoredRow; input: Record<string, unknown> }>> = [];
    const batchOfSku = new Map<string, number>();
    for (const row of chunk.rows) {
      const candidate = candidateOf(job.format, job.columns, row);
      if ('problems' in candidate) {
        fail(row, candidate.problems);
        continue;
      }
      const problems = this.deps.processor.validate(candidate.input);
      if (problems) {
        fail(row, problems);
        continue;
      }
      const sku = String(candidate.input.sku);
      const batch = (batchOfSku.get(sku) ?? -1) + 1;
      batchOfSku.set(sku, batch);
      (batches[batch] ??= []).push({ row, input: candidate.input });
    }
    const context = this.deps.context(job.correlationId);
    const checkedAt = performance.now();
    for (const batch of batches) {
      const results = await this.deps.processor.upsert(job.supplierCompanyId, batch.map((entry) => entry.input), { userId: job.createdBy }, context);
      if (results.length !== batch.length) throw new Error(`the product batch answered ${results.length} results for ${batch.length} rows`);
      results.forEach((result, index) => {
        if (result.outcome === 'failed') fail(batch[index]!.row, result.fields);
        else counts[result.outcome] += 1;
      });
    }
    if (batches.length > 0) this.deps.published?.();
    errors.sort((a, b) => a.row - b.row);
    const upsertedAt = performance.now();
    return { counts, errors, timings: { checkMs: Math.round(checkedAt - startedAt), upsertMs: Math.round(upsertedAt - checkedAt) } };
  }
}
