import { randomUUID } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import { ConflictError } from '../http/errors.js';
import { backoffDelay, sleep } from '../events/backoff.js';

interface LockDoc {
  _id: string;
  owner: string;
  acquiredAt: Date;
  expiresAt: Date;
}

const LockSchema = new Schema<LockDoc>(
  { _id: String, owner: String, acquiredAt: Date, expiresAt: { type: Date, index: true } },
  { collection: 'aggregate_locks', versionKey: false },
);

export interface AggregateLockOptions {
  /** A holder that died keeps the lock at most this long. Keep work under the lock far shorter. */
  leaseMs?: number;
  /** How long a writer waits for the lock before giving up with 409. */
  waitMs?: number;
}

/**
 * Serialises writers of one aggregate across requests, consumers and replicas.
 *
 * Why: FerretDB 1.x applies an update as read → modify → write of the whole document with no
 * lock, so two concurrent updates of one document keep only one (measured: 40 concurrent `$push`
 * → 13 kept), and DESIGN.md's load → modify → `$set` of an array races on MongoDB too. The lock
 * is a unique `_id` insert — the one operation both servers make exactly-once — with a lease, so a
 * crashed holder delays the next writer but never blocks it for good.
 */
export class AggregateLocks {
  private readonly locks: Model<LockDoc>;

  constructor(
    connection: Connection,
    private readonly options: AggregateLockOptions = {},
  ) {
    this.locks = (connection.models.AggregateLock as Model<LockDoc>) ?? connection.model<LockDoc>('AggregateLock', LockSchema);
  }

  /** Runs `work` while holding the lock on `key` (e.g. `order:<id>`); releases it afterwards. */
  async withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const owner = randomUUID();
    await this.acquire(key, owner);
    try {
      return await work();
    } finally {
      await this.locks.deleteOne({ _id: key, owner }).catch(() => undefined);
    }
  }

  private async acquire(key: string, owner: string): Promise<void> {
    const leaseMs = this.options.leaseMs ?? 15_000;
    const deadline = Date.now() + (this.options.waitMs ?? 5_000);
    for (let attempt = 1; ; attempt += 1) {
      const now = new Date();
      try {
        await this.locks.create({ _id: key, owner, acquiredAt: now, expiresAt: new Date(now.getTime() + leaseMs) });
        return;
      } catch (error) {
        if ((error as { code?: number }).code !== 11000) throw error;
      }
      // Taken. If its lease ran out, its holder died: remove exactly that stale lock (matched by
      // owner) and race for it again through the unique insert.
      const held = await this.locks.findById(key).lean();
      if (held && held.expiresAt.getTime() < Date.now()) {
        await this.locks.deleteOne({ _id: key, owner: held.owner });
        continue;
      }
      if (Date.now() >= deadline) {
        throw new ConflictError('Someone else is changing this right now; try again', { resource: key });
      }
      await sleep(Math.min(backoffDelay(attempt, 10, 200), Math.max(1, deadline - Date.now())));
    }
  }

  /** Removes leases left by holders that died (a field plus a job: no TTL indexes). */
  async cleanup(now = new Date()): Promise<number> {
    return (await this.locks.deleteMany({ expiresAt: { $lt: now } })).deletedCount ?? 0;
  }
}
