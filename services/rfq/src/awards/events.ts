import { CONTRACT_LIMITS, type CertificationType, type EventData, type FoodXchangeEvent } from '@foodxchange/contracts';
import type { EventHandlerContext } from '@foodxchange/service-kit';
import type { QuoteDoc } from '../quotes/model.js';
import type { RfqDoc } from '../rfqs/model.js';
import type { AwardDoc } from './model.js';
import { recordOrder, reopenAfterRejectedOrder } from './service.js';

/**
 * `rfq.awarded` data: everything order needs to create the order and compliance to check it,
 * without calling rfq back (lines with prices and totals, the delivery, the market, the required
 * certifications) and the rejected quotes, whose suppliers are to be told.
 */
export function rfqAwardedData(
  award: Pick<AwardDoc, 'currency' | 'lines' | 'totalMinor' | 'awardedBy' | 'awardedAt'>,
  rfq: RfqDoc,
  quote: QuoteDoc,
  rejected: { _id: string; supplierCompanyId: string }[],
  supplierName?: string,
): EventData<'rfq.awarded'> {
  return {
    rfqId: rfq._id,
    quoteId: quote._id,
    title: rfq.title,
    buyerCompanyId: rfq.buyerCompanyId,
    buyerUserId: rfq.buyerUserId,
    supplierCompanyId: quote.supplierCompanyId,
    ...(supplierName ? { supplierName } : {}),
    currency: award.currency,
    lines: award.lines.map((line) => ({ ...line })),
    totalMinor: award.totalMinor,
    deliveryCountry: rfq.deliveryCountry,
    market: rfq.market,
    requiredCertifications: [...rfq.requiredCertifications] as CertificationType[],
    deliveryDate: rfq.deliveryDate,
    leadTimeDays: quote.leadTimeDays,
    awardedBy: award.awardedBy,
    awardedAt: award.awardedAt.toISOString(),
    rejectedQuotes: rejected.slice(0, CONTRACT_LIMITS.quotesPerRfq).map((other) => ({ quoteId: other._id, supplierCompanyId: other.supplierCompanyId })),
  };
}

/** `order.created` from an award → the award and the RFQ's timeline record the order (direct purchases are ignored). */
export async function onOrderCreated(event: FoodXchangeEvent<'order.created'>, { app, log }: EventHandlerContext): Promise<void> {
  const { orderId, rfqId, quoteId } = event.data;
  if (!rfqId || !quoteId) return;
  await recordOrder(app.sourcing, { orderId, rfqId, quoteId }, log);
}

/** `order.rejected` of an awarded RFQ's order → the RFQ reopens for another award (see reopenAfterRejectedOrder). */
export async function onOrderRejected(event: FoodXchangeEvent<'order.rejected'>, { app, log }: EventHandlerContext): Promise<void> {
  const { orderId, rfqId, quoteId, supplierCompanyId, violations } = event.data;
  if (!rfqId) return;
  const reasons = (violations ?? []).slice(0, 3).map((violation) => violation.message);
  await reopenAfterRejectedOrder(app.sourcing, { orderId, rfqId, supplierCompanyId, reasons, ...(quoteId ? { quoteId } : {}) }, log);
}
