import type { FoodXchangeEvent } from '@foodxchange/contracts';
import type { EventHandlerContext } from '@foodxchange/service-kit';
import '../deps.js';
import { decideOrder } from './service.js';

/**
 * `order.created` → the order's verdict (`compliance.checked`), from the copies compliance holds.
 * Exactly one per order whatever the deliveries (see decideOrder); an order whose copies are
 * missing waits in pending_orders and this handler returns, so the partition moves on.
 */
export async function onOrderCreated(event: FoodXchangeEvent<'order.created'>, context: EventHandlerContext): Promise<void> {
  const outcome = await decideOrder(context.app.compliance.verdicts, {
    order: event.data,
    eventId: event.id,
    correlationId: event.correlationid,
  });
  if (outcome.status === 'already-decided') context.log.info({ orderId: event.data.orderId }, 'order already has its verdict');
}
