import { randomUUID } from 'node:crypto';
import mongoose, { Schema, type Connection, type Document, type Model } from 'mongoose';
import { ConflictError } from '../http/errors.js';
import { backoffDelay, sleep } from '../events/backoff.js';

/**
 * One acquisition of one key: `<key>#<seq>`. The epochs of a key form a chain; its highest `seq`
 * is the current (or last) holder, and `seq` is that holder's fencing token.
 */
interface LockEpoch {
  _id: string;
  key: string;
  seq: number;
  owner: string;
  acquiredAt: Date;
  expiresAt: Date;
  released: boolean;
}

const LockEpochSchema = new Schema<LockEpoch>(
  {
    _id: String,
    // Plain single-field index: the lookup of a key's chain is an equality on `key`.
    key: { type: String, index: true },
    seq: Number,
    owner: String,
    acquiredAt: Date,
    expiresAt: Date,
    released: Boolean,
  },
  { collection: 'aggregate_locks', versionKey: false },
);

/** The field a fenced save stamps on the aggregate: the token of the holder that wrote it last. */
export const LOCK_TOKEN_FIELD = 'lockToken';

export interface AggregateLockOptions {
  /**
   * How long a holder that stops renewing (crashed, paused, partitioned) keeps the lock. While
   * `work` runs the lease is renewed, so long work is not robbed; keep it well above the longest
   * pause a live process can have (GC, a busy event loop).
   */
  leaseMs?: number;
  /** How often a holder renews its lease while `work` runs. Default: a third of `leaseMs`. */
  renewEveryMs?: number;
  /** How long a writer waits for the lock before giving up with 409. */
  waitMs?: number;
  /**
   * This process's wall clock (ms since the epoch). Leases are compared across processes, so
   * their clocks must agree to well within `leaseMs`; tests inject a skewed clock to play a
   * replica whose clock runs ahead and steals a live lease, which fencing must survive.
   */
  now?: () => number;
}

/**
 * Another writer holds the lock past the wait. A 409 to an HTTP client; a consumer retries it with
 * backoff (it is the definition of "try again later"), rather than dead-lettering at once as the
 * kit does for other 4xx errors.
 */
export class LockBusyError extends ConflictError {
  readonly retryable = true;
  constructor(readonly key: string) {
    super('Someone else is changing this right now; try again', { resource: key });
  }
}

/**
 * The holder's lease ran out or another writer took the lock over: nothing was saved. Retryable
 * for the same reason as LockBusyError: the next attempt reloads and redoes the change.
 */
export class LockLostError extends ConflictError {
  readonly retryable = true;
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super('Someone else took over this change; it was not saved, try again', { resource: key, reason });
  }
}

/**
 * What `work` gets while it holds a lock. Writes made through `save`/`fenced` are checked
 * against the holder's token, so a holder that lost its lease cannot overwrite its successor.
 */
export interface HeldLock {
  readonly key: string;
  /** Fencing token: strictly greater for every later holder of the same key. */
  readonly token: number;
  /** Aborted (with a LockLostError) as soon as the holder finds it has lost the lock. */
  readonly signal: AbortSignal;
  /** Throws LockLostError unless this holder's lease is live and no later holder exists. */
  assertHeld(): Promise<void>;
  /** `assertHeld()`, then `write()`. For writes that cannot carry `fenceFilter`. */
  fenced<T>(write: () => Promise<T>): Promise<T>;
  /**
   * Saves a mongoose document only if no later holder has saved it: stamps `lockToken` and adds
   * `fenceFilter` to the save's filter. Throws LockLostError when refused.
   */
  save<D extends Document<unknown>>(doc: D): Promise<D>;
  /**
   * Filter clause for a hand-written `updateOne` of an aggregate: matches only while no later
   * holder has stamped it. Pair it with `$set: { lockToken: token }`, and treat
   * `matchedCount === 0` as a lost lock.
   */
  readonly fenceFilter: Record<string, unknown>;
}

/**
 * Serialises writers of one aggregate across requests, consumers and replicas, with leases that
 * are renewed while held and fencing tokens that refuse the writes of a holder that lost its
 * lease.
 *
 * Why a lock: FerretDB 1.x applies an update as read → modify → write of the whole document with
 * no lock, so two concurrent updates of one document keep only one (measured: 40 concurrent
 * `$push` → 13 kept), and DESIGN.md's load → modify → `$set` of an array races on MongoDB too.
 *
 * Why an insert-only chain: the same FerretDB behaviour applies to conditional deletes and
 * updates (it reads the matching documents, then writes or deletes them by `_id`), so "delete the
 * stale lock if its owner is still X" or "extend the lease if it is still mine" can act on a
 * document another process replaced in between. The one operation both servers make exactly-once
 * is a unique `_id` insert. So every acquisition inserts `<key>#<head + 1>`: of two writers
 * racing for the same key exactly one insert wins, and the winner's `seq` is its fencing token
 * (monotonic per key, with no counter to `$inc`). Each epoch document is written only by its own
 * holder (renewal, release); others only read it, and a successor deletes the epochs below its
 * own. The head of a chain is never deleted (that would restart the tokens), so the collection
 * keeps one small document per key ever locked.
 *
 * After its insert, a winner checks that no higher epoch exists (one could have been inserted by
 * a writer that read the chain before an older epoch was cleared) and only then holds the lock;
 * a holder stays the holder while no higher epoch exists. A successor may only insert on top of
 * an epoch that is released or past its `expiresAt`.
 *
 * The guarantee for writes (`HeldLock.save`, `fenced`):
 * - every fenced write first checks, locally, that the lease last confirmed has not run out, and
 *   in the database, that this holder's epoch is still the head. A holder that was paused past its
 *   lease (and taken over) is refused here, on both servers.
 * - `save` additionally conditions the write itself on the aggregate's `lockToken` not being
 *   newer than ours. On MongoDB that update is atomic, so once a successor has saved, no write of
 *   an older holder can land, whatever the timing. On FerretDB 1.x the condition is evaluated on a
 *   read that precedes the write inside the server, so one window remains: a holder that passes
 *   the database check and then stalls for the rest of its lease (at least two thirds of
 *   `leaseMs` while renewals keep up), with its save reaching the server in the very
 *   milliseconds in which the successor's own save is being applied. Everything short of that is
 *   refused there too.
 * - A write of the old holder that lands before the successor's first save is not refused (the
 *   successor's save then overwrites the fields it sets): fencing orders writers, it does not
 *   merge them.
 */
export class AggregateLocks {
  private readonly epochs: Model<LockEpoch>;
  private readonly leaseMs: number;
  private readonly renewEveryMs: number;
  private readonly waitMs: number;
  private readonly now: () => number;

  constructor(connection: Connection, options: AggregateLockOptions = {}) {
    this.epochs = (connection.models.AggregateLock as Model<LockEpoch>) ?? connection.model<LockEpoch>('AggregateLock', LockEpochSchema);
    this.leaseMs = options.leaseMs ?? 15_000;
    this.renewEveryMs = options.renewEveryMs ?? Math.max(1, Math.floor(this.leaseMs / 3));
    this.waitMs = options.waitMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Runs `work` while holding the lock on `key` (e.g. `order:<id>`), renewing the lease until it
   * returns, then releases it. `work` may ignore its argument (renewal still protects it); to have
   * its writes fenced, save through `lock.save(doc)` / `lock.fenced(...)`.
   */
  async withLock<T>(key: string, work: (lock: HeldLock) => Promise<T>): Promise<T> {
    const lease = await this.acquire(key);
    try {
      return await work(lease);
    } finally {
      await lease.release();
    }
  }

  private async acquire(key: string): Promise<Lease> {
    const owner = randomUUID();
    const deadline = Date.now() + this.waitMs;
    for (let attempt = 1; ; attempt += 1) {
      const chain = await this.epochs.find({ key }, { seq: 1, released: 1, expiresAt: 1 }).lean();
      const head = chain.reduce<(typeof chain)[number] | undefined>((top, epoch) => (top && top.seq > epoch.seq ? top : epoch), undefined);
      if (!head || head.released || head.expiresAt.getTime() <= this.now()) {
        const seq = (head?.seq ?? 0) + 1;
        const _id = `${key}#${seq}`;
        // Taken before the insert is sent: the lease we count on never outlives the stored one.
        const startedAt = this.now();
        let inserted = false;
        try {
          await this.epochs.create({ _id, key, seq, owner, acquiredAt: new Date(startedAt), expiresAt: new Date(startedAt + this.leaseMs), released: false });
          inserted = true;
        } catch (error) {
          if ((error as { code?: number }).code !== 11000) throw error;
        }
        if (inserted) {
          if (!(await this.epochs.exists({ key, seq: { $gt: seq } }))) {
            // Ours. Epochs below are finished (released, expired, or lost): clear them so the
            // chain stays one document per key; a stale holder among them sees its epoch gone.
            await this.epochs.deleteMany({ key, seq: { $lt: seq } }).catch(() => undefined);
            return new Lease(this.epochs, key, seq, _id, owner, startedAt + this.leaseMs, this.leaseMs, this.renewEveryMs, this.now);
          }
          // We built on a chain someone had already moved past: step aside and look again.
          await this.epochs.deleteOne({ _id, owner }).catch(() => undefined);
        }
        if (Date.now() < deadline) continue;
      }
      if (Date.now() >= deadline) {
        throw new LockBusyError(key);
      }
      await sleep(Math.min(backoffDelay(attempt, 10, 200), Math.max(1, deadline - Date.now())));
    }
  }
}

/** One holder's lease: renews it, answers whether it is still held, fences writes. */
class Lease implements HeldLock {
  private readonly controller = new AbortController();
  private readonly renewTimer: NodeJS.Timeout;
  private renewing: Promise<void> | undefined;
  private lost: LockLostError | undefined;
  private released = false;

  constructor(
    private readonly epochs: Model<LockEpoch>,
    readonly key: string,
    readonly token: number,
    private readonly epochId: string,
    private readonly owner: string,
    /** Local time until which the database holds our lease, as last confirmed. */
    private confirmedUntil: number,
    private readonly leaseMs: number,
    renewEveryMs: number,
    private readonly now: () => number,
  ) {
    this.renewTimer = setInterval(() => {
      // One renewal at a time: on FerretDB two updates of one document lose one of them.
      this.renewing ??= this.renew().finally(() => (this.renewing = undefined));
    }, renewEveryMs);
    this.renewTimer.unref();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get fenceFilter(): Record<string, unknown> {
    return { $or: [{ [LOCK_TOKEN_FIELD]: { $lte: this.token } }, { [LOCK_TOKEN_FIELD]: { $exists: false } }] };
  }

  async assertHeld(): Promise<void> {
    this.throwIfLost();
    const chain = await this.epochs.find({ key: this.key, seq: { $gte: this.token } }, { seq: 1, owner: 1 }).lean();
    if (!chain.some((epoch) => epoch.seq === this.token && epoch.owner === this.owner)) this.lose('our lease was taken over');
    if (chain.some((epoch) => epoch.seq > this.token)) this.lose('a later holder took the lock');
    this.throwIfLost();
  }

  async fenced<T>(write: () => Promise<T>): Promise<T> {
    await this.assertHeld();
    return write();
  }

  async save<D extends Document<unknown>>(doc: D): Promise<D> {
    await this.assertHeld();
    // Stamped even where the schema doesn't declare the field, so any aggregate can be fenced.
    doc.set(LOCK_TOKEN_FIELD, this.token, { strict: false });
    const ownWhere = doc.$where as Record<string, unknown> | undefined;
    doc.$where = ownWhere ? { ...ownWhere, $and: [...((ownWhere.$and as unknown[]) ?? []), this.fenceFilter] } : this.fenceFilter;
    try {
      return await doc.save();
    } catch (error) {
      // Not matched: either a later holder stamped it (fenced out) or something unrelated.
      if (error instanceof mongoose.Error.DocumentNotFoundError || error instanceof mongoose.Error.VersionError) {
        const stored = await (doc.constructor as Model<unknown>).collection.findOne({ _id: doc._id } as never, { projection: { [LOCK_TOKEN_FIELD]: 1 } });
        const storedToken = stored?.[LOCK_TOKEN_FIELD];
        if (typeof storedToken === 'number' && storedToken > this.token) {
          this.lose(`the aggregate was saved by a later holder (token ${storedToken} > ${this.token})`);
          this.throwIfLost();
        }
      }
      throw error;
    } finally {
      doc.$where = ownWhere as Record<string, unknown>;
    }
  }

  async release(): Promise<void> {
    this.released = true;
    clearInterval(this.renewTimer);
    await this.renewing;
    // Only our own epoch, and only marked: the head of the chain must stay (it carries the token).
    await this.epochs.updateOne({ _id: this.epochId, owner: this.owner }, { $set: { released: true, expiresAt: new Date(this.now()) } }).catch(() => undefined);
  }

  private async renew(): Promise<void> {
    if (this.lost || this.released) return;
    const startedAt = this.now();
    if (startedAt >= this.confirmedUntil) return this.lose('the lease ran out before it was renewed');
    try {
      const result = await this.epochs.updateOne({ _id: this.epochId, owner: this.owner }, { $set: { expiresAt: new Date(startedAt + this.leaseMs) } });
      // Our epoch is deleted by the successor that built on it.
      if (result.matchedCount === 0) return this.lose('our lease was taken over');
      if (await this.epochs.exists({ key: this.key, seq: { $gt: this.token } })) return this.lose('a later holder took the lock');
      if (!this.lost && !this.released) this.confirmedUntil = startedAt + this.leaseMs;
    } catch {
      // The database is unreachable: keep trying; the lease runs out on its own (checked above).
    }
  }

  private throwIfLost(): void {
    // A write after `work` returned is outside the critical section, even if nobody took over.
    if (this.released) throw this.lost ?? new LockLostError(this.key, 'the lock was already released');
    if (!this.lost && this.now() >= this.confirmedUntil) this.lose('the lease ran out');
    if (this.lost) throw this.lost;
  }

  private lose(reason: string): void {
    if (this.lost) return;
    this.lost = new LockLostError(this.key, reason);
    clearInterval(this.renewTimer);
    this.controller.abort(this.lost);
  }
}
