import type { FoodXchangeEvent } from '@foodxchange/contracts';
import type { EventHandlerContext } from '@foodxchange/service-kit';
import '../deps.js';
import { productKey, recheckWaitingFor } from '../verdicts/service.js';
import { applyProductDeleted, applyProductSnapshot } from './service.js';

/**
 * Consumers of catalog's product events: the snapshot (allergens, origin, certifications, status)
 * replaces compliance's copy when its version is newer; a deletion marks it. Then any order that
 * was waiting for this product is re-checked.
 */
export async function onProductChanged(
  event: FoodXchangeEvent<'product.created'> | FoodXchangeEvent<'product.updated'>,
  context: EventHandlerContext,
): Promise<void> {
  const data = event.data;
  const deps = context.app.compliance;
  await applyProductSnapshot(deps.products, {
    productId: data.productId,
    supplierCompanyId: data.supplierCompanyId,
    sku: data.sku,
    name: data.name,
    originCountry: data.originCountry,
    allergens: data.allergens,
    certifications: data.certifications,
    ...(data.status ? { status: data.status } : {}),
    version: data.version ?? 0,
  });
  await recheckWaitingFor(deps.verdicts, productKey(data.productId));
}

export async function onProductDeleted(event: FoodXchangeEvent<'product.deleted'>, context: EventHandlerContext): Promise<void> {
  const { productId, supplierCompanyId, sku, version = 0 } = event.data;
  const deps = context.app.compliance;
  await applyProductDeleted(deps.products, { productId, supplierCompanyId, ...(sku ? { sku } : {}), version });
  await recheckWaitingFor(deps.verdicts, productKey(productId));
}
