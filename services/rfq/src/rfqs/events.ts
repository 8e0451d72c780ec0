import { CONTRACT_LIMITS, type CertificationType, type EventData, type FoodXchangeEvent } from '@foodxchange/contracts';
import type { EventHandlerContext } from '@foodxchange/service-kit';
import type { RfqDoc } from './model.js';
import { timelineEntry, withRfq } from './service.js';

/** `rfq.created` data: everything catalog's matcher needs. */
export function rfqCreatedData(rfq: RfqDoc): EventData<'rfq.created'> {
  return {
    rfqId: rfq._id,
    number: rfq.number,
    title: rfq.title,
    buyerCompanyId: rfq.buyerCompanyId,
    buyerUserId: rfq.buyerUserId,
    status: 'open',
    items: rfq.items.map((item) => ({
      id: item.id,
      name: item.name,
      category: item.category,
      quantity: item.quantity,
      unit: item.unit,
      ...(item.targetUnitPriceMinor !== undefined && item.targetUnitPriceMinor !== null && item.currency
        ? { targetUnitPriceMinor: item.targetUnitPriceMinor }
        : {}),
      ...(item.currency ? { currency: item.currency } : {}),
      ...(item.description ? { description: item.description } : {}),
    })),
    requiredCertifications: [...rfq.requiredCertifications] as CertificationType[],
    deliveryCountry: rfq.deliveryCountry,
    market: rfq.market,
    deliveryDate: rfq.deliveryDate,
    responseDeadline: rfq.responseDeadline.toISOString(),
    createdAt: rfq.createdAt.toISOString(),
  };
}

/** `rfq.cancelled` data (also for `expired`): the suppliers matched to or quoting on it are to be told. */
export function rfqCancelledData(
  rfq: RfqDoc,
  quotingSupplierIds: string[],
  { by, at, reason }: { by: string; at: Date; reason?: string | undefined },
): EventData<'rfq.cancelled'> {
  const suppliers = [...new Set([...rfq.matchedSupplierIds, ...quotingSupplierIds])].slice(0, CONTRACT_LIMITS.suppliersPerRfq);
  return {
    rfqId: rfq._id,
    buyerCompanyId: rfq.buyerCompanyId,
    title: rfq.title,
    status: rfq.status === 'expired' ? 'expired' : 'cancelled',
    ...(reason ? { reason } : {}),
    cancelledBy: by,
    cancelledAt: at.toISOString(),
    matchedSupplierCompanyIds: suppliers,
  };
}

/**
 * `rfq.matched` → the RFQ keeps the matches. The first rfq.matched of an RFQ wins: a redelivery
 * (the kit's claim already stops the same event id) or a second matching run with another event id
 * changes nothing, so suppliers who may already be quoting keep their place. An RFQ this service
 * does not hold (another environment's) or of another buyer is ignored.
 */
export async function onRfqMatched(event: FoodXchangeEvent<'rfq.matched'>, { app, log }: EventHandlerContext): Promise<void> {
  const data = event.data;
  const deps = app.sourcing;
  if (!(await deps.rfqs.exists({ _id: data.rfqId }))) {
    log.info({ rfqId: data.rfqId, eventId: event.id }, 'rfq.matched for an unknown RFQ; ignored');
    return;
  }
  await withRfq(deps, data.rfqId, async (rfq, lock) => {
    if (rfq.buyerCompanyId !== data.buyerCompanyId) {
      log.warn({ rfqId: data.rfqId, eventId: event.id }, 'rfq.matched names another buyer; ignored');
      return;
    }
    if (rfq.matchEventId) {
      if (rfq.matchEventId !== event.id) log.info({ rfqId: data.rfqId, eventId: event.id, first: rfq.matchEventId }, 'rfq already matched; later match ignored');
      return;
    }
    const now = new Date();
    rfq.matches = data.matches.map((match) => ({
      supplierCompanyId: match.supplierCompanyId,
      companyName: match.companyName,
      score: match.score,
      matchedItems: match.matchedItems.map((item) => ({ ...item })),
      ...(match.matchedItemCount !== undefined ? { matchedItemCount: match.matchedItemCount } : {}),
      missingCertifications: [...match.missingCertifications],
      verified: match.verified,
    }));
    rfq.matchedSupplierIds = [...new Set(data.matches.map((match) => match.supplierCompanyId))];
    rfq.matchedAt = data.matchedAt ? new Date(data.matchedAt) : now;
    rfq.matchEventId = event.id;
    rfq.updatedAt = now;
    rfq.timeline.push(timelineEntry(rfq, 'matched', 'system', now, { matchCount: data.matches.length }));
    await lock.save(rfq);
  });
}
