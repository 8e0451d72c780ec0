import type { FoodXchangeEvent } from '@foodxchange/contracts';
import type { EventHandlerContext } from '@foodxchange/service-kit';
import { productCopyModel } from './model.js';
import { applyProductSnapshot, type ProductSnapshot } from './service.js';

type LiveProductEvent = FoodXchangeEvent<'product.created'> | FoodXchangeEvent<'product.updated'>;
type ProductEvent = LiveProductEvent | FoodXchangeEvent<'product.deleted'>;

/** The copy an event describes. */
export function snapshotOf(topic: string, event: ProductEvent): ProductSnapshot {
  if (topic === 'product.deleted') {
    const data = (event as FoodXchangeEvent<'product.deleted'>).data;
    return {
      _id: data.productId,
      supplierCompanyId: data.supplierCompanyId,
      ...(data.sku ? { sku: data.sku } : {}),
      priceTiers: [],
      certifications: [],
      allergens: [],
      status: 'deleted',
      version: data.version ?? 0,
    };
  }
  const data = (event as LiveProductEvent).data;
  return {
    _id: data.productId,
    supplierCompanyId: data.supplierCompanyId,
    ...(data.supplierName ? { supplierName: data.supplierName } : {}),
    sku: data.sku,
    name: data.name,
    category: data.category,
    originCountry: data.originCountry,
    unit: data.unit,
    moq: data.moq,
    priceTiers: data.priceTiers.map((tier) => ({ minQuantity: tier.minQuantity, unitPriceMinor: tier.unitPriceMinor, currency: tier.currency })),
    certifications: [...data.certifications],
    allergens: [...data.allergens],
    status: data.status ?? 'active',
    version: data.version ?? 0,
  };
}

/**
 * Consumer of `product.created|updated|deleted` (batch handler: no processed-event claims). Each
 * write is idempotent by itself — the product's version decides, an older or repeated snapshot
 * changes nothing — so events are taken a partition's batch at a time, and of several events of
 * one product only the newest is written.
 */
export async function onProductsChanged(events: ProductEvent[], context: EventHandlerContext): Promise<void> {
  const copies = productCopyModel(context.app.mongo);
  const newest = new Map<string, ProductSnapshot>();
  for (const event of events) {
    const snapshot = snapshotOf(context.topic, event);
    const held = newest.get(snapshot._id);
    if (!held || held.version <= snapshot.version) newest.set(snapshot._id, snapshot);
  }
  for (const snapshot of newest.values()) await applyProductSnapshot(copies, snapshot);
}
