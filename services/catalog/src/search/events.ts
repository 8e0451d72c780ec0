import type { FoodXchangeEvent } from '@foodxchange/contracts';
import type { EventHandlerContext } from '@foodxchange/service-kit';
import type { IndexableProduct } from './index-documents.js';
import { indexLoaded, indexProducts } from './indexer.js';

/**
 * The product index's consumers of `product.*` (shared: one replica handles each event). An event
 * carries the product's full snapshot and version, which is indexed as it is (no read of the
 * product; the external version refuses a snapshot older than the index's document); an event
 * without a version makes the indexer read the product's current state instead. A deleted product
 * becomes its deleted marker and leaves search. Elasticsearch being away does not fail the event:
 * the product is recorded as pending and caught up later.
 */
type ProductEvent = FoodXchangeEvent<'product.created'> | FoodXchangeEvent<'product.updated'>;

export async function onProductChanged(event: ProductEvent | FoodXchangeEvent<'product.deleted'>, context: EventHandlerContext): Promise<void> {
  const indexer = context.app.productSearch.indexer;
  const snapshot = snapshotOf(context.topic, event);
  await (snapshot ? indexLoaded(indexer, [snapshot]) : indexProducts(indexer, [event.data.productId]));
}

/** The product as the index reads it, from an event that carries enough of it; else undefined. */
export function snapshotOf(topic: string, event: ProductEvent | FoodXchangeEvent<'product.deleted'>): IndexableProduct | undefined {
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
