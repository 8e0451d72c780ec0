import type { EventData } from '@foodxchange/contracts';
import type { RfqDoc } from '../rfqs/model.js';
import type { QuoteDoc } from './model.js';

/** `quote.submitted` data, for a first submission and for every revision (the buyer is told). */
export function quoteSubmittedData(quote: QuoteDoc, rfq: Pick<RfqDoc, 'title' | 'buyerCompanyId'>, supplierName?: string): EventData<'quote.submitted'> {
  return {
    quoteId: quote._id,
    rfqId: quote.rfqId,
    rfqTitle: rfq.title,
    buyerCompanyId: rfq.buyerCompanyId,
    supplierCompanyId: quote.supplierCompanyId,
    ...(supplierName ? { supplierName } : {}),
    submittedBy: quote.supplierUserId,
    currency: quote.currency,
    items: quote.items.map((line) => ({
      rfqItemId: line.rfqItemId,
      unitPriceMinor: line.unitPriceMinor,
      quantity: line.quantity,
      lineTotalMinor: line.lineTotalMinor,
      ...(line.productId ? { productId: line.productId } : {}),
    })),
    totalMinor: quote.totalMinor,
    leadTimeDays: quote.leadTimeDays,
    validUntil: quote.validUntil,
    status: 'submitted',
    submittedAt: quote.submittedAt.toISOString(),
  };
}
