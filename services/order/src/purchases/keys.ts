import { Schema, type Connection, type Model } from 'mongoose';
import type { FastifyInstance } from 'fastify';
import { LockBusyError, type AggregateLocks } from '@foodxchange/service-kit';

/**
 * One life of an Idempotency-Key: the first request with the key claims it (a unique insert on
 * `_id`) and names the order it makes before making it, so the order's own unique `_id` lets
 * exactly one order exist per claim (DESIGN.md rule 2). Kept apart from the order because a key
 * expires and the order does not: an expired claim is deleted (DESIGN.md rule 4: a field plus a
 * cleanup job, no TTL index) and the key can be claimed again.
 */
export interface IdempotencyKeyDoc {
  /** `<buyerCompanyId>|<Idempotency-Key>`: keys are per buyer company. */
  _id: string;
  /** The order this claim makes (it may not exist yet: its request is on its way). */
  orderId: string;
  /** SHA-256 of the request's canonical body: another body with the key is a 409. */
  requestHash: string;
  createdAt: Date;
  /** From then on the key is new, whether or not the cleanup job has deleted this record yet. */
  expiresAt: Date;
}

const IdempotencyKeySchema = new Schema<IdempotencyKeyDoc>(
  {
    _id: { type: String, required: true },
    orderId: { type: String, required: true },
    requestHash: { type: String, required: true },
    createdAt: { type: Date, required: true },
    // A plain index for the cleanup's range query.
    expiresAt: { type: Date, required: true, index: true },
  },
  { collection: 'order_idempotency_keys', versionKey: false },
);

export type IdempotencyKeyModel = Model<IdempotencyKeyDoc>;

export function idempotencyKeyModel(connection: Connection): IdempotencyKeyModel {
  return (connection.models.OrderIdempotencyKey as IdempotencyKeyModel) ?? connection.model<IdempotencyKeyDoc>('OrderIdempotencyKey', IdempotencyKeySchema);
}

export const isLive = (claim: Pick<IdempotencyKeyDoc, 'expiresAt'>, now: Date) => claim.expiresAt.getTime() > now.getTime();

/** The lock every deleter of a key's claim takes (DESIGN.md: FerretDB deletes by a read, then by `_id`). */
export const idempotencyLockKey = (scope: string) => `idempotency:${scope}`;

/**
 * Deletes the claim of `scope` if its retention is over, looked at again here: call it only while
 * holding `idempotencyLockKey(scope)`. A claim that is still live is left alone (`'live'`).
 */
export async function deleteExpiredClaim(keys: IdempotencyKeyModel, scope: string, now: Date): Promise<'absent' | 'deleted' | 'live'> {
  const current = await keys.findById(scope).lean<IdempotencyKeyDoc>();
  if (!current) return 'absent';
  if (isLive(current, now)) return 'live';
  // By the order it names too: the lock guards against a replacer, this against anything else.
  return (await keys.deleteOne({ _id: scope, orderId: current.orderId })).deletedCount > 0 ? 'deleted' : 'absent';
}

/**
 * Deletes the keys whose retention is over; the number deleted. Each under its key's lock, looked
 * at again there: a plain `deleteMany` by `expiresAt` reads the expired claim, then deletes by
 * `_id` on FerretDB, so it could delete the fresh claim a request put in its place meanwhile.
 */
export async function deleteExpiredKeys(keys: IdempotencyKeyModel, locks: AggregateLocks, now = new Date(), limit = 500): Promise<number> {
  const expired = await keys.find({ expiresAt: { $lte: now } }, { _id: 1 }).limit(limit).lean();
  let deleted = 0;
  for (const { _id } of expired) {
    try {
      await locks.withLock(idempotencyLockKey(_id), async () => {
        if ((await deleteExpiredClaim(keys, _id, now)) === 'deleted') deleted += 1;
      });
    } catch (error) {
      // A purchase is replacing that claim right now: it deletes the expired one itself.
      if (!(error instanceof LockBusyError)) throw error;
    }
  }
  return deleted;
}

/**
 * Once the app is ready, and every `intervalMs` after, deletes the expired idempotency keys. Runs
 * in every replica: a delete of what is already gone is harmless, and a claim made meanwhile
 * expires in the future, out of the filter's reach. Call at set-up, after the kit is registered
 * (its onReady builds the indexes; its onClose, registered earlier, closes the database after this
 * hook stopped the job).
 */
export function idempotencyKeyCleanup(app: FastifyInstance, keys: IdempotencyKeyModel, intervalMs: number): void {
  const locks = app.locks;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const sweep = () => {
    if (running) return;
    running = deleteExpiredKeys(keys, locks)
      .then((deleted) => {
        if (deleted > 0) app.log.info({ deleted }, 'deleted expired idempotency keys');
      })
      .catch((error: unknown) => app.log.warn({ err: error }, 'deleting expired idempotency keys failed; the next round retries'))
      .finally(() => {
        running = undefined;
      });
  };
  app.addHook('onReady', async () => {
    // At once: keys that expired while no replica ran go on start-up.
    sweep();
    timer = setInterval(sweep, intervalMs);
    timer.unref();
  });
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await running;
  });
}
