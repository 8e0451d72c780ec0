import { randomUUID } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';

/**
 * Products whose index document could not be written because Elasticsearch was unavailable: the
 * catch-up loop writes them once it answers again, so no change is lost while it is down.
 *
 * One document per product (`_id` = product id), written by an upsert of that document alone, so
 * writers of different products never touch a shared document (DESIGN.md: FerretDB keeps one of
 * two concurrent updates of a document). Each mark stamps a fresh `token`; the catch-up removes a
 * mark only if its token is still the one it read before loading the product, so a product marked
 * again while it was being caught up stays pending for the next round.
 */
export interface PendingIndexDoc {
  _id: string;
  token: string;
  markedAt: Date;
  reason: string;
}

const PendingIndexSchema = new Schema<PendingIndexDoc>(
  {
    _id: { type: String, required: true },
    token: { type: String, required: true },
    markedAt: { type: Date, required: true, index: true },
    reason: { type: String, required: true },
  },
  { collection: 'search_pending', versionKey: false },
);

export type PendingIndexModel = Model<PendingIndexDoc>;

export function pendingIndexModel(connection: Connection): PendingIndexModel {
  return (connection.models.SearchPending as PendingIndexModel) ?? connection.model<PendingIndexDoc>('SearchPending', PendingIndexSchema);
}

/** Records that these products' index documents must be written again. */
export async function markPending(pending: PendingIndexModel, productIds: readonly string[], reason: string): Promise<void> {
  if (productIds.length === 0) return;
  const markedAt = new Date();
  await pending.bulkWrite(
    [...new Set(productIds)].map((_id) => ({
      updateOne: { filter: { _id }, update: { $set: { token: randomUUID(), markedAt, reason: reason.slice(0, 500) } }, upsert: true },
    })),
    { ordered: false },
  );
}

/** Removes the marks a catch-up round handled (only those not marked again since it read them). */
export async function clearPending(pending: PendingIndexModel, handled: ReadonlyArray<{ _id: string; token: string }>): Promise<void> {
  if (handled.length === 0) return;
  await pending.bulkWrite(
    handled.map(({ _id, token }) => ({ deleteOne: { filter: { _id, token } } })),
    { ordered: false },
  );
}
