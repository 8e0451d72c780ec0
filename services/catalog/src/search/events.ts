import type { FoodXchangeEvent } from '@foodxchange/contracts';
import type { EventHandlerContext } from '@foodxchange/service-kit';
import type { IndexableProduct } from './index-documents.js';
import { indexLoaded, indexProducts } from './indexer.js';

/**
 * The product index's consumers of `product.*` (shared: one replica handles each event), batch
 * handlers: the events of a partition arrive several at a time and are written in one bulk
 * request. They keep no processed-event claims because every write is idempotent by itself: an
 * event carries the product's full snapshot and version, indexed with that version as an
 * external version, so a redelivered or older snapshot is refused by Elasticsearch and changes
 * nothing. An event without a version makes the indexer read the product's current state
 * instead. A deleted product becomes its deleted marker and leaves search. Elasticsearch being
 * away does not fail the events: the products are recorded as pending and caught up later.
 */
type ProductEvent = FoodXchangeEvent<'product.created'> | FoodXchangeEvent<'product.updated'>;
type AnyProductEvent = ProductEvent | FoodXchangeEvent<'product.deleted'>;

export async function onProductsChanged(events: AnyProductEvent[], context: EventHandlerContext): Promise<void> {
  const indexer = context.app.productSearch.indexer;
  // Of several events of one product in a batch only the newest snapshot needs writing.
  const newest = new Map<string, IndexableProduct>();
  const toRead = new Set<string>();
  for (const event of events) {
    const snapshot = snapshotOf(context.topic, event);
    if (!snapshot) {
      toRead.add(event.data.productId);
      continue;
    }
    const held = newest.get(snapshot._id);
    if (!held || held.version <= snapshot.version) newest.set(snapshot._id, snapshot);
  }
  if (newest.size > 0) await indexLoaded(indexer, [...newest.values()]);
  if (toRead.size > 0) await indexProducts(indexer, [...toRead]);
}

/** The product as the index reads it, from an event that carries enough of it; else undefined. */
export function snapshotOf(topic: string, event: AnyProductEvent): IndexableProduct | undefined {
  if (event.data.version === undefined) return undefined;
  if (topic === 'product.deleted') {
    const data = (event as FoodXchangeEvent<'product.deleted'>).data;
    return {
      _id: data.productId,
      supplierCompanyId: data.supplierCompanyId,
      sku: data.sku ?? '',
      name: '',
      category: '',
      originCountry: '',
      unit: '',
      moq: 0,
      priceTiers: [],
      certifications: [],
      allergens: [],
      status: 'deleted',
      version: data.version!,
      deletedAt: data.deletedAt ?? null,
    };
  }
  const product = (event as ProductEvent).data;
  // Only a live snapshot is indexed as it is; anything else is read from Mongo.
  if (product.status !== undefined && product.status !== 'active') return undefined;
  return {
    _id: product.productId,
    supplierCompanyId: product.supplierCompanyId,
    sku: product.sku,
    name: product.name,
    description: product.description ?? null,
    language: product.language ?? 'en',
    translations: (product.translations as IndexableProduct['translations']) ?? null,
    category: product.category,
    originCountry: product.originCountry,
    unit: product.unit,
    moq: product.moq,
    currency: product.priceTiers[0]?.currency ?? null,
    priceTiers: product.priceTiers,
    certifications: product.certifications,
    allergens: product.allergens,
    storage: product.storage ?? null,
    status: 'active',
    version: product.version!,
    createdAt: product.createdAt ?? null,
    updatedAt: product.updatedAt ?? null,
  };
}
