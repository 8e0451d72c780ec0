import type { EventHandlerContext } from '@foodxchange/service-kit';
import type { FoodXchangeEvent } from '@foodxchange/contracts';

/**
 * Broadcast consumers (every replica): another replica changed or deleted a product, so this
 * replica's in-process cache must not serve the older version any longer. Redis was already set
 * by the writer.
 */
export async function onProductChangedForCache(
  event: FoodXchangeEvent<'product.updated'> | FoodXchangeEvent<'product.deleted'>,
  { app }: EventHandlerContext,
): Promise<void> {
  const { productId, version } = event.data;
  // An event without a version (not ours) still drops this replica's copy.
  if (version === undefined) app.productCache.dropLocal(productId);
  else app.productCache.invalidate(productId, version);
}
