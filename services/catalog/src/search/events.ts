import type { FoodXchangeEvent } from '@foodxchange/contracts';
import type { EventHandlerContext } from '@foodxchange/service-kit';
import { indexProducts } from './indexer.js';

/**
 * The product index's consumers of `product.*` (shared: one replica handles each event). Each
 * indexes the product's current state from Mongo, which is at least as new as the event (see
 * indexer.ts); a deleted product becomes its deleted marker and leaves search. Elasticsearch
 * being away does not fail the event: the product is recorded as pending and caught up later.
 */
export async function onProductChanged(
  event: FoodXchangeEvent<'product.created'> | FoodXchangeEvent<'product.updated'> | FoodXchangeEvent<'product.deleted'>,
  context: EventHandlerContext,
): Promise<void> {
  await indexProducts(context.app.productSearch.indexer, [event.data.productId]);
}
