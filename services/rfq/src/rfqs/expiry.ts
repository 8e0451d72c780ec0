import { AggregateLocks, LockBusyError, type EventContext, type HeldLock } from '@foodxchange/service-kit';
import type { FastifyBaseLogger } from 'fastify';
import { Schema, type Connection, type Model } from 'mongoose';
import type { SourcingDeps } from '../deps.js';
import { repairUnappliedAwards } from '../awards/service.js';
import { EXPIRY_SLOT_MS, expiryFields, expirySlotOf, expirySlotStart } from './model.js';
import { expireRfq, withRfq } from './service.js';

const SCHEDULER_LOCK = 'rfq-expiry-scheduler';
/** RFQs expired per round at most; the next round continues. */
const BATCH = 200;
/** Slot-less open RFQs one sweep gives a slot at most; the next round sweeps on. */
const BACKFILL_BATCH = 500;

/** The scheduler's own book: how far its slot rounds got, and when it last swept. */
export interface ExpiryWatermark {
  _id: string;
  /** Start of the first slot the next round reads: every due RFQ in earlier slots was handled. */
  slotFrom: Date;
  /** When the last complete sweep began (see ExpirySchedulerOptions.sweepIntervalMs). */
  sweptAt?: Date;
}

const WatermarkSchema = new Schema<ExpiryWatermark>(
  { _id: String, slotFrom: Date, sweptAt: Date },
  { collection: 'rfq_expiry_watermarks', versionKey: false },
);
const WATERMARK_ID = 'rfqs';

function watermarkModel(connection: Connection): Model<ExpiryWatermark> {
  return (connection.models.RfqExpiryWatermark as Model<ExpiryWatermark>) ?? connection.model<ExpiryWatermark>('RfqExpiryWatermark', WatermarkSchema);
}

export interface ExpirySchedulerOptions {
  /**
   * How far behind the round's start the watermark stays: covers a write committed a while after
   * it computed its slot and replica clocks apart. Those slots are read again next round.
   */
  lateMarginMs?: number;
  /** A watermark further behind than this (a scheduler down for hours) is caught up by one range read. */
  maxSlotSpanMs?: number;
  /**
   * How often a round reads the range `expiresAt <= now` instead of the slots (and each process's
   * first round does): the safety net for RFQs written without a slot. One scan of the open RFQs.
   */
  sweepIntervalMs?: number;
}

/** What one round did, and the earliest slot (its start) it left due work in. */
interface RoundOutcome {
  expired: number;
  retryFrom?: number;
  /** A sweep that left slot-less work behind (busy, or over its batch) is repeated next round. */
  complete: boolean;
}

type ExpireOutcome = 'expired' | 'unchanged' | 'busy';

/**
 * Makes open RFQs past their `expiresAt` `expired` (rfq.cancelled with status `expired`), and
 * finishes awards a crash interrupted. Every replica runs the loop; a round first takes the lock
 * `rfq-expiry-scheduler` without waiting, so one replica at a time does the work, and a crashed
 * holder's lease runs out for another to take over.
 *
 * A round finds due RFQs by equality, slot by slot (`{ status: 'open', expirySlot }`), from its
 * persisted watermark up to the current slot, and checks `expiresAt <= now` on what it found: the
 * local server serves an equality from an index but filters a range only after decoding every open
 * RFQ. The watermark moves past a slot only once every due RFQ in it was handled (one whose lock
 * was busy is read again next round), so a restart loses nothing. A sweep with the range runs on
 * each process's first round and then at most hourly, for RFQs without a slot (written before
 * slots, or by an older replica during a rolling deploy), and gives those their slot; a watermark
 * far behind is caught up by that range read too. Each RFQ is expired under its own lock after
 * re-reading it, so an award or quote that came first wins.
 */
export class ExpiryScheduler {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<unknown> | undefined;
  private stopped = false;
  /** This process has completed a sweep (its first round sweeps whatever the watermark says). */
  private swept = false;
  private readonly schedulerLocks: AggregateLocks;
  private readonly watermarks: Model<ExpiryWatermark>;

  constructor(
    private readonly deps: SourcingDeps,
    connection: Connection,
    private readonly context: () => EventContext,
    private readonly log: FastifyBaseLogger,
    private readonly intervalMs: number,
    private readonly options: ExpirySchedulerOptions = {},
  ) {
    this.schedulerLocks = new AggregateLocks(connection, { waitMs: 0, leaseMs: 30_000 });
    this.watermarks = watermarkModel(connection);
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

  /** The scheduler's persisted watermark (null before its first round completed). */
  async watermark(): Promise<ExpiryWatermark | null> {
    return this.watermarks.findById(WATERMARK_ID).lean<ExpiryWatermark>();
  }

  /** One round now; the number of RFQs it expired (0 when another replica holds the round). */
  async runOnce(now = new Date()): Promise<number> {
    try {
      return await this.schedulerLocks.withLock(SCHEDULER_LOCK, async (lock) => {
        await repairUnappliedAwards(this.deps, this.log, now);
        return this.expireDue(now, lock);
      });
    } catch (error) {
      if (error instanceof LockBusyError) return 0;
      throw error;
    }
  }

  private async expireDue(now: Date, lock: HeldLock): Promise<number> {
    // Bookkeeping follows the real clock: a round asked about a later `now` (a test, a clock
    // ahead) must not mark the minutes until then as read, nor postpone the next sweep.
    const startedAt = Date.now();
    const mark = await this.watermark();
    const sweepInterval = this.options.sweepIntervalMs ?? 3600_000;
    const behindMs = mark ? now.getTime() - mark.slotFrom.getTime() : Infinity;
    const sweep =
      !mark ||
      !this.swept ||
      startedAt - (mark.sweptAt?.getTime() ?? 0) >= sweepInterval ||
      behindMs > (this.options.maxSlotSpanMs ?? 6 * 3600_000);
    const outcome = sweep ? await this.sweepRound(now) : await this.slotRound(mark.slotFrom.getTime(), now);

    // Everything written from here on lands in this slot or a later one (expiryFields).
    const settledFrom = slotStartOf(Math.min(now.getTime(), startedAt) - (this.options.lateMarginMs ?? 2 * EXPIRY_SLOT_MS));
    if (!sweep || outcome.complete) {
      const slotFrom = Math.min(outcome.retryFrom ?? Infinity, settledFrom);
      if (!mark || mark.slotFrom.getTime() !== slotFrom || sweep) {
        await lock.fenced(() =>
          this.watermarks.updateOne(
            { _id: WATERMARK_ID },
            { $set: { slotFrom: new Date(slotFrom), ...(sweep ? { sweptAt: new Date(startedAt) } : {}) } },
            { upsert: true },
          ),
        );
      }
      if (sweep) this.swept = true;
    }
    if (outcome.expired > 0) this.log.info({ expired: outcome.expired, sweep }, 'expired RFQs past their deadline');
    return outcome.expired;
  }

  /** Due RFQs of each slot from `from` to `now`'s, by equality. */
  private async slotRound(from: number, now: Date): Promise<RoundOutcome> {
    let expired = 0;
    let budget = BATCH;
    let retryFrom: number | undefined;
    const leaveFrom = (at: number) => {
      retryFrom = Math.min(retryFrom ?? Infinity, at);
    };
    const last = slotStartOf(now.getTime());
    for (let at = slotStartOf(from); at <= last; at += EXPIRY_SLOT_MS) {
      if (this.stopped || budget <= 0) {
        leaveFrom(at);
        break;
      }
      const slot = expirySlotOf(new Date(at));
      const found = await this.deps.rfqs.find({ status: 'open', expirySlot: slot }, { _id: 1, expiresAt: 1 }).lean();
      for (const rfq of found) {
        if (rfq.expiresAt.getTime() <= now.getTime()) {
          if (this.stopped || budget <= 0) {
            leaveFrom(at);
            continue;
          }
          budget -= 1;
          const outcome = await this.expire(rfq._id, now);
          if (outcome === 'expired') expired += 1;
          else if (outcome === 'busy') leaveFrom(at);
        } else if (expirySlotOf(rfq.expiresAt) > slot) {
          // An older replica moved the expiry later and left the slot: move it to the expiry's.
          if (!(await this.reslot(rfq._id, now))) leaveFrom(at);
        }
      }
    }
    return { expired, complete: true, ...(retryFrom === undefined ? {} : { retryFrom }) };
  }

  /** Due RFQs by the range, whatever their slot; then open RFQs without a slot get theirs. */
  private async sweepRound(now: Date): Promise<RoundOutcome> {
    let expired = 0;
    let complete = true;
    let retryFrom: number | undefined;
    const due = await this.deps.rfqs.find({ status: 'open', expiresAt: { $lte: now } }, { _id: 1, expirySlot: 1 }).limit(BATCH).lean();
    if (due.length >= BATCH) complete = false;
    for (const rfq of due) {
      if (this.stopped) return { expired, complete: false };
      const outcome = await this.expire(rfq._id, now);
      if (outcome === 'expired') expired += 1;
      else if (outcome === 'busy') {
        // A slot round finds it again from its slot; without one only another sweep does.
        if (rfq.expirySlot) retryFrom = Math.min(retryFrom ?? Infinity, expirySlotStart(rfq.expirySlot));
        else complete = false;
      }
    }
    const unslotted = await this.deps.rfqs.find({ status: 'open', expirySlot: null }, { _id: 1 }).limit(BACKFILL_BATCH).lean();
    if (unslotted.length >= BACKFILL_BATCH) complete = false;
    let backfilled = 0;
    for (const rfq of unslotted) {
      if (this.stopped) return { expired, complete: false };
      if (await this.reslot(rfq._id, now)) backfilled += 1;
      else complete = false;
    }
    if (backfilled > 0) this.log.info({ backfilled }, 'gave open RFQs without an expiry slot theirs');
    return { expired, complete, ...(retryFrom === undefined ? {} : { retryFrom }) };
  }

  private async expire(id: string, now: Date): Promise<ExpireOutcome> {
    try {
      return (await expireRfq(this.deps, id, this.context(), now)) ? 'expired' : 'unchanged';
    } catch (error) {
      // Busy (an award in progress): a later round looks again.
      if (error instanceof LockBusyError) return 'busy';
      throw error;
    }
  }

  /** Sets an open RFQ's slot from its `expiresAt` under its lock; false when the lock was busy. */
  private async reslot(id: string, now: Date): Promise<boolean> {
    try {
      await withRfq(this.deps, id, async (rfq, lock) => {
        if (rfq.status !== 'open') return;
        const fields = expiryFields(rfq.expiresAt, now);
        if (rfq.expirySlot === fields.expirySlot) return;
        rfq.expirySlot = fields.expirySlot;
        await lock.save(rfq);
      });
      return true;
    } catch (error) {
      if (error instanceof LockBusyError) return false;
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

function slotStartOf(ms: number): number {
  return Math.floor(ms / EXPIRY_SLOT_MS) * EXPIRY_SLOT_MS;
}
