import type { AggregateLocks } from '@foodxchange/service-kit';
import type { ProductCopyDoc, ProductCopyModel } from './model.js';

export interface ProductCopyDeps {
  products: ProductCopyModel;
  locks: AggregateLocks;
}

/** A product snapshot (product.created / product.updated) as the copy keeps it. */
export interface ProductSnapshot {
  productId: string;
  supplierCompanyId: string;
  sku: string;
  name: string;
  originCountry: string;
  allergens: readonly string[];
  certifications: readonly string[];
  status?: 'active' | 'inactive';
  /** 0 when the event carries none. */
  version: number;
}

export const productCopyLockKey = (productId: string) => `compliance-product:${productId}`;

/** Newer replaces older; an unversioned event (0) only applies while nothing versioned did. */
function newer(incoming: number, current: number | undefined): boolean {
  return current === undefined || incoming > current || (incoming === 0 && current === 0);
}

/** Replaces the copy with a newer snapshot. Returns whether it changed. */
export async function applyProductSnapshot(deps: ProductCopyDeps, snapshot: ProductSnapshot): Promise<boolean> {
  return deps.locks.withLock(productCopyLockKey(snapshot.productId), async (lock) => {
    const doc = await deps.products.findById(snapshot.productId);
    if (doc && !newer(snapshot.version, doc.version)) return false;
    const content = {
      supplierCompanyId: snapshot.supplierCompanyId,
      sku: snapshot.sku,
      name: snapshot.name,
      originCountry: snapshot.originCountry,
      allergens: [...snapshot.allergens],
      certifications: [...snapshot.certifications],
      status: snapshot.status ?? 'active',
      contentKnown: true,
      version: snapshot.version,
      updatedAt: new Date(),
    };
    if (doc) doc.set(content);
    await lock.save(doc ?? new deps.products({ _id: snapshot.productId, ...content }));
    return true;
  });
}

/** Marks the copy deleted at `version` (keeping its content), or records a tombstone. */
export async function applyProductDeleted(
  deps: ProductCopyDeps,
  deletion: { productId: string; supplierCompanyId: string; sku?: string; version: number },
): Promise<boolean> {
  return deps.locks.withLock(productCopyLockKey(deletion.productId), async (lock) => {
    const doc = await deps.products.findById(deletion.productId);
    if (doc && !newer(deletion.version, doc.version)) return false;
    if (doc) {
      doc.set({ status: 'deleted', version: deletion.version, updatedAt: new Date() });
      await lock.save(doc);
      return true;
    }
    await lock.save(
      new deps.products({
        _id: deletion.productId,
        supplierCompanyId: deletion.supplierCompanyId,
        ...(deletion.sku ? { sku: deletion.sku } : {}),
        allergens: [],
        certifications: [],
        status: 'deleted',
        contentKnown: false,
        version: deletion.version,
        updatedAt: new Date(),
      }),
    );
    return true;
  });
}

/** Copies of the given products by id (one equality lookup each: hot, and few per order). */
export async function findProductCopies(deps: Pick<ProductCopyDeps, 'products'>, ids: Iterable<string>): Promise<Map<string, ProductCopyDoc>> {
  const wanted = [...new Set(ids)];
  const found = await Promise.all(wanted.map((id) => deps.products.findById(id).lean<ProductCopyDoc>()));
  return new Map(found.filter((doc): doc is ProductCopyDoc => doc !== null).map((doc) => [doc._id, doc]));
}
