import type { EventData, OrderStatus } from '@foodxchange/contracts';
import type { OrderDoc, StatusChange } from './model.js';

/** The contract's bound on an event's note. */
const NOTE_LIMIT = 2000;

export function clip(text: string, limit = NOTE_LIMIT): string {
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

/** A stored sub-document without the keys it does not have (events refuse null). */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined && field !== null)) as T;
}

/** `order.created`: the order as compliance needs it, lines with what is known about the goods. */
export function orderCreatedData(order: OrderDoc): EventData<'order.created'> {
  const data: EventData<'order.created'> = {
    orderId: order._id,
    orderNumber: order.orderNumber,
    createdFrom: order.createdFrom,
    buyerCompanyId: order.buyerCompanyId,
    supplierCompanyId: order.supplierCompanyId,
    status: 'pending_compliance',
    currency: order.currency,
    items: order.items.map((line) => {
      const item: EventData<'order.created'>['items'][number] = {
        lineId: line.lineId,
        name: line.name,
        quantity: line.quantity,
        unit: line.unit,
        unitPriceMinor: line.unitPriceMinor,
        lineTotalMinor: line.lineTotalMinor,
      };
      if (line.rfqItemId) item.rfqItemId = line.rfqItemId;
      if (line.productId) item.productId = line.productId;
      if (line.sku) item.sku = line.sku;
      if (line.category) item.category = line.category;
      if (line.originCountry) item.originCountry = line.originCountry;
      if (line.allergens) item.allergens = [...line.allergens];
      if (line.certifications) item.certifications = [...line.certifications];
      return item;
    }),
    totalMinor: order.totalMinor,
    deliveryCountry: order.deliveryCountry,
    market: order.market,
    requiredCertifications: [...order.requiredCertifications],
    createdAt: order.createdAt.toISOString(),
  };
  if (order.rfqId) data.rfqId = order.rfqId;
  if (order.quoteId) data.quoteId = order.quoteId;
  if (order.buyerUserId) data.buyerUserId = order.buyerUserId;
  if (order.supplierName) data.supplierName = order.supplierName;
  if (order.deliveryDate) data.deliveryDate = order.deliveryDate;
  return data;
}

/** What every status event carries about one transition. */
function transitionData(order: OrderDoc, change: StatusChange & { from: OrderStatus }) {
  return {
    orderId: order._id,
    buyerCompanyId: order.buyerCompanyId,
    supplierCompanyId: order.supplierCompanyId,
    from: change.from,
    changedBy: change.by,
    changedAt: change.at.toISOString(),
    ...(change.note ? { note: clip(change.note) } : {}),
    ...(order.rfqId ? { rfqId: order.rfqId } : {}),
    ...(order.quoteId ? { quoteId: order.quoteId } : {}),
  };
}

export function statusChangedData(order: OrderDoc, change: StatusChange & { from: OrderStatus }): EventData<'order.status-changed'> {
  return { ...transitionData(order, change), to: change.to };
}

export function orderConfirmedData(order: OrderDoc, change: StatusChange & { from: OrderStatus }): EventData<'order.confirmed'> {
  return {
    ...transitionData(order, change),
    to: 'confirmed',
    market: order.market,
    currency: order.currency,
    totalMinor: order.totalMinor,
    ...(order.compliance ? { checkId: order.compliance.checkId } : {}),
  };
}

/** `order.rejected` carries `rfqId` (when the order came from an award) so the RFQ can reopen. */
export function orderRejectedData(order: OrderDoc, change: StatusChange & { from: OrderStatus }): EventData<'order.rejected'> {
  return {
    ...transitionData(order, change),
    to: 'rejected',
    market: order.market,
    ...(order.compliance
      ? {
          checkId: order.compliance.checkId,
          violations: order.compliance.violations.map((violation) => compact(violation)),
          violationCount: order.compliance.violationCount,
        }
      : {}),
  };
}
