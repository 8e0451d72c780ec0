/**
 * Which status moves the signed-in user may offer on an order (the order service's state
 * machine decides; this only avoids offering a button the API would refuse): the supplier ships
 * a confirmed order, the buyer takes delivery of a shipped one, either side may cancel before
 * shipping.
 */
export type OrderStatus = 'pending_compliance' | 'confirmed' | 'shipped' | 'delivered' | 'rejected' | 'cancelled';

export interface OrderAction {
  to: OrderStatus;
  label: string;
  tone: 'primary' | 'danger';
  confirm: string;
}

export function actionsFor(order: { status: OrderStatus; buyerCompanyId: string; supplierCompanyId: string }, companyId: string | undefined): OrderAction[] {
  if (!companyId) return [];
  const isSupplier = order.supplierCompanyId === companyId;
  const isBuyer = order.buyerCompanyId === companyId;
  const actions: OrderAction[] = [];
  if (isSupplier && order.status === 'confirmed') actions.push({ to: 'shipped', label: 'Mark shipped', tone: 'primary', confirm: 'The buyer is told the goods are on their way.' });
  if (isBuyer && order.status === 'shipped') actions.push({ to: 'delivered', label: 'Confirm delivery', tone: 'primary', confirm: 'You confirm the goods arrived as ordered. This closes the order.' });
  if ((isBuyer || isSupplier) && (order.status === 'pending_compliance' || order.status === 'confirmed'))
    actions.push({ to: 'cancelled', label: 'Cancel order', tone: 'danger', confirm: 'The other side is told the order is cancelled. This cannot be undone.' });
  return actions;
}

/** The steps of an order as a timeline: the ones passed with their time, the ones still ahead. */
export function timelineOf(order: { status: OrderStatus; statusHistory: { to: OrderStatus; at: string; note?: string }[] }) {
  const happy: OrderStatus[] = ['pending_compliance', 'confirmed', 'shipped', 'delivered'];
  const reached = new Map(order.statusHistory.map((entry) => [entry.to, entry] as const));
  const steps = happy.map((status) => ({ status, at: reached.get(status)?.at, note: reached.get(status)?.note, done: reached.has(status) }));
  if (order.status === 'rejected' || order.status === 'cancelled') {
    const end = reached.get(order.status);
    // A failed order ends where it stopped: the steps after it never come.
    const kept = steps.filter((step) => step.done);
    return [...kept, { status: order.status, at: end?.at, note: end?.note, done: true }];
  }
  return steps;
}
