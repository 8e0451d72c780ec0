import type { FoodXchangeEvent } from '@foodxchange/contracts';
import type { EventHandlerContext } from '@foodxchange/service-kit';
import { applyComplianceVerdict, createOrderFromAward } from './service.js';

/**
 * `rfq.awarded` → the award's order (`pending_compliance`) and its `order.created`. The kit's claim
 * per event id stops a redelivery; the unique award key stops a second event of the same award
 * and two replicas racing on it.
 */
export async function onRfqAwarded(event: FoodXchangeEvent<'rfq.awarded'>, context: EventHandlerContext): Promise<void> {
  const { order, created } = await createOrderFromAward(
    context.app.orders,
    event.data,
    context.app.events.context(undefined, event.correlationid),
    context.log,
  );
  if (created) context.log.info({ orderId: order._id, orderNumber: order.orderNumber, rfqId: event.data.rfqId }, 'order created from award');
  else context.log.info({ orderId: order._id, rfqId: event.data.rfqId, eventId: event.id }, 'award already has its order; event ignored');
}

/**
 * `compliance.checked` → the order confirmed or rejected. A verdict that cannot apply (unknown
 * order, already decided, other parties) is logged and acknowledged: no retry could change it.
 */
export async function onComplianceChecked(event: FoodXchangeEvent<'compliance.checked'>, context: EventHandlerContext): Promise<void> {
  const outcome = await applyComplianceVerdict(context.app.orders, event.data, context.app.events.context(undefined, event.correlationid));
  const facts = { orderId: event.data.orderId, checkId: event.data.checkId, eventId: event.id, outcome };
  if (outcome === 'confirmed' || outcome === 'rejected') context.log.info(facts, `order ${outcome} by its compliance check`);
  else if (outcome === 'already-applied') context.log.info(facts, 'compliance verdict already applied; event ignored');
  else context.log.warn(facts, 'compliance verdict ignored: it cannot apply to this order');
}
