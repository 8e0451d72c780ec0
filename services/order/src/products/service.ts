import { isDuplicateKeyError } from '@foodxchange/service-kit';
import type { ProductCopyDoc, ProductCopyModel } from './model.js';

/** What one product event says: a whole snapshot, or the product's deletion. */
export type ProductSnapshot = Omit<ProductCopyDoc, 'copiedAt'>;

/**
 * Whether a snapshot at `incoming` replaces the copy at `current`: strictly newer, or — for an
 * event without a version (0) — only while no versioned snapshot is held. A deleted copy stays
 * deleted: the catalogue never reuses a product id.
 */
export function supersedes(incoming: Pick<ProductSnapshot, 'version' | 'status'>, current: Pick<ProductCopyDoc, 'version' | 'status'>): boolean {
  if (current.status === 'deleted') return false;
  if (incoming.status === 'deleted') return incoming.version === 0 || incoming.version >= current.version;
  return incoming.version > current.version || (incoming.version === 0 && current.version === 0);
}

const MAX_ROUNDS = 5;

/**
 * Applies a snapshot to the copy: insert when absent, otherwise a compare-and-set on the version
 * it was read at, so a newer snapshot written meanwhile (another replica, during a rebalance) is
 * never overwritten by an older one. Idempotent: the same snapshot again changes nothing.
 * Returns whether the copy changed.
 */
export async function applyProductSnapshot(copies: ProductCopyModel, snapshot: ProductSnapshot): Promise<boolean> {
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const current = await copies.findById(snapshot._id).select({ version: 1, status: 1 }).lean();
    if (!current) {
      try {
        await copies.create({ ...snapshot, copiedAt: new Date() });
        return true;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        continue; // created meanwhile: compare with it
      }
    }
    if (!supersedes(snapshot, current)) return false;
    const { _id, ...fields } = snapshot;
    // A versionless deletion keeps the version it deletes (so "newest wins" still orders later reads).
    const version = snapshot.status === 'deleted' && snapshot.version === 0 ? current.version : snapshot.version;
    const result = await copies.updateOne(
      { _id, version: current.version, status: current.status },
      { $set: { ...fields, version, copiedAt: new Date() } },
    );
    if (result.matchedCount === 1) return true;
  }
  throw new Error(`product copy ${snapshot._id} kept changing while it was being updated`);
}

export async function findProductCopy(copies: ProductCopyModel, productId: string): Promise<ProductCopyDoc | null> {
  return copies.findById(productId).lean<ProductCopyDoc>();
}

/** Copies of several products, each read by its id (an equality the local server serves from an index; `$in` it scans). */
export async function findProductCopies(copies: ProductCopyModel, productIds: Iterable<string>): Promise<Map<string, ProductCopyDoc>> {
  const ids = [...new Set(productIds)];
  const found = await Promise.all(ids.map((id) => findProductCopy(copies, id)));
  return new Map(found.filter((copy): copy is ProductCopyDoc => copy !== null).map((copy) => [copy._id, copy]));
}
