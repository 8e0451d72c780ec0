import { AggregateLocks, LockBusyError } from '@foodxchange/service-kit';
import type { FastifyBaseLogger } from 'fastify';
import type { Connection } from 'mongoose';
import type { SourcingDeps } from '../deps.js';
import { repairUnappliedAwards } from '../awards/service.js';
import { expireRfq } from './service.js';
import type { EventContext } from '@foodxchange/service-kit';

const SCHEDULER_LOCK = 'rfq-expiry-scheduler';
/** RFQs expired per round at most; the next round continues. */
const BATCH = 200;

/**
 * Makes open RFQs past their `expiresAt` `expired` (rfq.cancelled with status `expired`), and
 * finishes awards a crash interrupted. Every replica runs the loop; a round first takes the lock
 * `rfq-expiry-scheduler` without waiting, so one replica at a time does the work, and a crashed
 * holder's lease runs out for another to take over. Nothing lives in memory: what is due is read
 * from the RFQs (`status` + `expiresAt`) each round, so a restart loses nothing, and each RFQ is
 * expired under its own lock after re-reading it, so an award or quote that came first wins.
 */
export class ExpiryScheduler {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<unknown> | undefined;
  private stopped = false;
  private readonly schedulerLocks: AggregateLocks;

  constructor(
    private readonly deps: SourcingDeps,
    connection: Connection,
    private readonly context: () => EventContext,
    private readonly log: FastifyBaseLogger,
    private readonly intervalMs: number,
  ) {
    this.schedulerLocks = new AggregateLocks(connection, { waitMs: 0, leaseMs: 30_000 });
  }

  start(): void {
    // First round at once: what fell due while no replica ran is handled on start-up.
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round?.catch(() => undefined);
  }

  /** One round now; the number of RFQs it expired (0 when another replica holds the round). */
  async runOnce(now = new Date()): Promise<number> {
    try {
      return await this.schedulerLocks.withLock(SCHEDULER_LOCK, async () => {
        await repairUnappliedAwards(this.deps, this.log, now);
        const due = await this.deps.rfqs.find({ status: 'open', expiresAt: { $lte: now } }, { _id: 1 }).limit(BATCH).lean();
        let expired = 0;
        for (const { _id } of due) {
          if (this.stopped) break;
          try {
            if (await expireRfq(this.deps, _id, this.context(), now)) expired += 1;
          } catch (error) {
            // Busy (an award in progress): the next round looks again.
            if (!(error instanceof LockBusyError)) throw error;
          }
        }
        if (expired > 0) this.log.info({ expired }, 'expired RFQs past their deadline');
        return expired;
      });
    } catch (error) {
      if (error instanceof LockBusyError) return 0;
      throw error;
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.round = this.runOnce()
        .catch((error: unknown) => this.log.warn({ err: error }, 'RFQ expiry round failed; the next one retries'))
        .finally(() => {
          this.round = undefined;
          this.schedule(this.intervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }
}
