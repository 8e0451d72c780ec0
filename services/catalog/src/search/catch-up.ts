import { AggregateLocks, LockBusyError } from '@foodxchange/service-kit';
import type { Connection } from 'mongoose';
import { catchUpPending, type IndexerDeps } from './indexer.js';

/**
 * The loop that writes pending products (recorded while Elasticsearch was unavailable) once it
 * answers again. It runs on one replica at a time: each round first looks whether anything is
 * pending (one cheap read), then tries the lock `catalog-search-catch-up:<alias>` without waiting;
 * a replica that finds it held skips the round. The lease is renewed while a round runs, and a
 * crashed holder's lease runs out, so another replica takes over.
 */
export class CatchUpLoop {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private readonly controller = new AbortController();
  private readonly locks: AggregateLocks;
  private lastWarning = 0;

  constructor(
    private readonly deps: IndexerDeps,
    connection: Connection,
    private readonly options: { intervalMs: number; batchSize: number; leaseMs?: number },
  ) {
    // waitMs 0: a try-lock. The lease outlives a stalled holder by leaseMs at most.
    this.locks = new AggregateLocks(connection, { waitMs: 0, leaseMs: options.leaseMs ?? 30_000 });
  }

  start(): void {
    this.schedule();
  }

  /** Runs one round now (tests, and the first round after start-up). */
  async runOnce(): Promise<number> {
    if (this.controller.signal.aborted) return 0;
    if (!(await this.deps.pending.exists({}))) return 0;
    try {
      return await this.locks.withLock(`catalog-search-catch-up:${this.deps.alias}`, () =>
        catchUpPending(this.deps, { batchSize: this.options.batchSize, signal: this.controller.signal }),
      );
    } catch (error) {
      if (error instanceof LockBusyError) return 0;
      throw error;
    }
  }

  async stop(): Promise<void> {
    this.controller.abort();
    clearTimeout(this.timer);
    await this.round;
  }

  private schedule(): void {
    if (this.controller.signal.aborted) return;
    this.timer = setTimeout(() => {
      this.round = this.runOnce()
        .then((cleared) => {
          if (cleared > 0) this.deps.log.info({ cleared }, 'search index caught up with pending products');
        })
        .catch((error: unknown) => {
          // Mongo or Elasticsearch still away: the marks stay, the next round tries again.
          if (Date.now() - this.lastWarning > 60_000) {
            this.lastWarning = Date.now();
            this.deps.log.warn({ err: error }, 'search catch-up round failed');
          }
        })
        .finally(() => {
          this.round = undefined;
          this.schedule();
        });
    }, this.options.intervalMs);
    this.timer.unref();
  }
}
