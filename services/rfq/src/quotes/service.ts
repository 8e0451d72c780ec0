import { randomUUID } from 'node:crypto';
import { fromMinorUnits, lineTotalMinor, sumMinor, toMinorUnits, TOPICS } from '@foodxchange/contracts';
import { AuthorizationError, ConflictError, NotFoundError, stageEvent, ValidationError, type EventContext, type HeldLock } from '@foodxchange/service-kit';
import type { HydratedDocument } from 'mongoose';
import type { SourcingDeps } from '../deps.js';
import { expiryFields, type RfqDoc } from '../rfqs/model.js';
import { assertCanSee, expiryOf, isBuyerSide, isMatchedSupplier, quotingOpen, timelineEntry, withRfq, type Viewer } from '../rfqs/service.js';
import { quoteSubmittedData } from './events.js';
import type { QuoteDoc, QuoteLineDoc } from './model.js';
import type { Comparison, QuoteInput, QuoteList, QuoteView } from './schemas.js';

/** Quotes that can still be awarded. */
export const LIVE_STATUSES = ['submitted', 'accepted'] as const;

export function toQuoteView(quote: QuoteDoc, rfq: Pick<RfqDoc, 'items' | 'matches' | 'requiredCertifications'>): QuoteView {
  const itemOf = new Map(rfq.items.map((item) => [item.id, item]));
  const view: QuoteView = {
    id: quote._id,
    rfqId: quote.rfqId,
    supplierCompanyId: quote.supplierCompanyId,
    status: quote.status,
    currency: quote.currency,
    items: quote.items.map((line) => {
      const item = itemOf.get(line.rfqItemId);
      return {
        rfqItemId: line.rfqItemId,
        name: item?.name ?? line.rfqItemId,
        quantity: line.quantity,
        unit: item?.unit ?? '',
        unitPriceMinor: line.unitPriceMinor,
        unitPrice: fromMinorUnits(line.unitPriceMinor, quote.currency),
        lineTotalMinor: line.lineTotalMinor,
        ...(line.productId ? { productId: line.productId } : {}),
      };
    }),
    totalMinor: quote.totalMinor,
    total: fromMinorUnits(quote.totalMinor, quote.currency),
    complete: quote.complete,
    leadTimeDays: quote.leadTimeDays,
    validUntil: quote.validUntil,
    revision: quote.revision,
    submittedAt: quote.submittedAt.toISOString(),
    updatedAt: quote.updatedAt.toISOString(),
  };
  if (quote.notes) view.notes = quote.notes;
  if (quote.withdrawnAt) view.withdrawnAt = quote.withdrawnAt.toISOString();
  const match = rfq.matches.find((entry) => entry.supplierCompanyId === quote.supplierCompanyId);
  if (match) {
    view.match = {
      companyName: match.companyName,
      score: match.score,
      verified: match.verified,
      missingCertifications: match.missingCertifications,
      heldRequiredCertifications: rfq.requiredCertifications.filter((type) => !match.missingCertifications.includes(type)),
    };
  }
  return view;
}

/** The end of a quote's validity: a date means through that whole day (UTC). */
export function validityEnd(validUntil: string): Date {
  return /^\d{4}-\d{2}-\d{2}$/.test(validUntil) ? new Date(`${validUntil}T23:59:59.999Z`) : new Date(validUntil);
}

/** The quote's lines with the RFQ's quantities and server-side totals (400 with field errors for bad lines). */
function linesOf(rfq: RfqDoc, input: QuoteInput, now: Date): QuoteLineDoc[] {
  const fields: Record<string, string[]> = {};
  const quantityOf = new Map(rfq.items.map((item) => [item.id, item.quantity]));
  const seen = new Set<string>();
  const lines: QuoteLineDoc[] = [];
  input.items.forEach((item, index) => {
    const at = `body.items.${index}`;
    const quantity = quantityOf.get(item.rfqItemId);
    if (quantity === undefined) {
      fields[`${at}.rfqItemId`] = ['is not an item of this RFQ'];
      return;
    }
    if (seen.has(item.rfqItemId)) {
      fields[`${at}.rfqItemId`] = ['is priced twice'];
      return;
    }
    seen.add(item.rfqItemId);
    let unitPriceMinor: number | undefined;
    if (item.unitPrice !== undefined && item.unitPriceMinor !== undefined) fields[`${at}.unitPrice`] = ['give unitPrice or unitPriceMinor, not both'];
    else if (item.unitPriceMinor !== undefined) unitPriceMinor = item.unitPriceMinor;
    else if (item.unitPrice !== undefined) {
      try {
        unitPriceMinor = toMinorUnits(item.unitPrice, input.currency);
      } catch (error) {
        fields[`${at}.unitPrice`] = [(error as Error).message];
      }
    } else fields[`${at}.unitPriceMinor`] = ['is required (or unitPrice)'];
    if (unitPriceMinor === undefined) return;
    try {
      lines.push({ rfqItemId: item.rfqItemId, unitPriceMinor, quantity, lineTotalMinor: lineTotalMinor(quantity, unitPriceMinor), ...(item.productId ? { productId: item.productId } : {}) });
    } catch (error) {
      fields[`${at}.unitPriceMinor`] = [(error as Error).message];
    }
  });
  const end = validityEnd(input.validUntil);
  if (Number.isNaN(end.getTime())) fields['body.validUntil'] = ['is not a date'];
  else if (end.getTime() < now.getTime()) fields['body.validUntil'] = ['must not be in the past'];
  if (Object.keys(fields).length > 0) throw new ValidationError('Some quote fields are invalid', fields);
  // A total too large for an exact integer is refused, not rounded.
  try {
    sumMinor(lines.map((line) => line.lineTotalMinor));
  } catch {
    throw new ValidationError('The quote total is too large', { 'body.items': ['the total exceeds the largest exact amount'] });
  }
  return lines;
}

/** Counts the awardable quotes and moves the RFQ's expiry (and its slot) with them (the count is re-read, never kept by hand). */
export async function refreshLiveQuotes(deps: SourcingDeps, rfq: RfqDoc, now = new Date()): Promise<void> {
  rfq.liveQuoteCount = await deps.quotes.countDocuments({ rfqId: rfq._id, status: 'submitted' });
  Object.assign(rfq, expiryFields(expiryOf(rfq, rfq.liveQuoteCount, deps.settings.awardGraceMs), now));
}

async function saveQuote(lock: HeldLock, quote: HydratedDocument<QuoteDoc>): Promise<void> {
  // Every writer of a quote holds its RFQ's lock: the fence refuses a holder that lost it.
  await lock.fenced(() => quote.save());
}

/**
 * A matched supplier quotes (or revises its quote) while the RFQ is open and before the deadline
 * (409 otherwise). One quote per supplier and RFQ: a second submission revises it (revision + 1),
 * one after a withdrawal brings it back. Every submission publishes quote.submitted.
 */
export async function submitQuote(deps: SourcingDeps, viewer: Viewer, rfqId: string, input: QuoteInput, context: EventContext, now = new Date()): Promise<{ quote: QuoteView; created: boolean }> {
  if (!viewer.companyId) throw new AuthorizationError('Quote as a member of a supplier company');
  const supplierCompanyId = viewer.companyId;
  const result = await withRfq(deps, rfqId, async (rfq, lock) => {
    if (!isMatchedSupplier(viewer, rfq)) throw new NotFoundError(`RFQ ${rfqId}`);
    if (rfq.status !== 'open') throw new ConflictError(`RFQ ${rfq.number} is ${rfq.status}: it takes no quotes`, { status: rfq.status });
    if (!quotingOpen(rfq, now)) throw new ConflictError(`Quoting on RFQ ${rfq.number} closed at ${rfq.responseDeadline.toISOString()}`, { responseDeadline: rfq.responseDeadline.toISOString() });
    const lines = linesOf(rfq, input, now);
    if (validityEnd(input.validUntil).getTime() < rfq.responseDeadline.getTime()) {
      // Valid at least until quoting closes, or the buyer could not award it in time.
      throw new ValidationError('The quote must stay valid until the response deadline', { 'body.validUntil': ['must not be before the response deadline'] });
    }
    const fields = {
      items: lines,
      currency: input.currency,
      totalMinor: sumMinor(lines.map((line) => line.lineTotalMinor)),
      complete: rfq.items.every((item) => lines.some((line) => line.rfqItemId === item.id)),
      leadTimeDays: input.leadTimeDays,
      validUntil: input.validUntil,
      notes: input.notes,
      supplierUserId: viewer.userId,
      updatedAt: now,
    };
    let quote = await deps.quotes.findOne({ rfqId, supplierCompanyId });
    let type: 'quote_submitted' | 'quote_revised' = 'quote_revised';
    if (!quote) {
      type = 'quote_submitted';
      quote = new deps.quotes({ _id: randomUUID(), rfqId, buyerCompanyId: rfq.buyerCompanyId, supplierCompanyId, status: 'submitted', revision: 1, submittedAt: now, ...fields });
    } else {
      if (quote.status === 'accepted' || quote.status === 'rejected') {
        throw new ConflictError(`Your quote is ${quote.status}: it can no longer be revised`, { status: quote.status });
      }
      if (quote.revision >= deps.settings.maxQuoteRevisions) {
        throw new ConflictError(`A quote may be revised ${deps.settings.maxQuoteRevisions - 1} times`, { revision: quote.revision });
      }
      if (quote.status === 'withdrawn') type = 'quote_submitted';
      quote.set({ ...fields, status: 'submitted', revision: quote.revision + 1, submittedAt: now, withdrawnAt: null });
    }
    const supplierName = rfq.matches.find((match) => match.supplierCompanyId === supplierCompanyId)?.companyName;
    stageEvent(quote, TOPICS.quoteSubmitted, quote._id, quoteSubmittedData(quote, rfq, supplierName), context);
    await saveQuote(lock, quote);
    await refreshLiveQuotes(deps, rfq, now);
    rfq.updatedAt = now;
    rfq.timeline.push(timelineEntry(rfq, type, viewer.userId, now, { quoteId: quote._id, supplierCompanyId, note: `revision ${quote.revision}` }));
    await lock.save(rfq);
    return { quote: toQuoteView(quote.toObject(), rfq), created: quote.revision === 1 };
  });
  deps.published();
  return result;
}

/** A supplier withdraws its submitted quote while the RFQ is open (no event: the contract has no topic for it). */
export async function withdrawQuote(deps: SourcingDeps, viewer: Viewer, rfqId: string, quoteId: string, now = new Date()): Promise<QuoteView> {
  return withRfq(deps, rfqId, async (rfq, lock) => {
    if (!isMatchedSupplier(viewer, rfq) && !viewer.admin) throw new NotFoundError(`RFQ ${rfqId}`);
    const quote = await deps.quotes.findById(quoteId);
    if (!quote || quote.rfqId !== rfqId || (!viewer.admin && quote.supplierCompanyId !== viewer.companyId)) throw new NotFoundError(`Quote ${quoteId}`);
    if (quote.status !== 'submitted') throw new ConflictError(`The quote is ${quote.status}: only a submitted quote can be withdrawn`, { status: quote.status });
    if (rfq.status !== 'open') throw new ConflictError(`RFQ ${rfq.number} is ${rfq.status}`, { status: rfq.status });
    quote.set({ status: 'withdrawn', withdrawnAt: now, updatedAt: now });
    await saveQuote(lock, quote);
    await refreshLiveQuotes(deps, rfq, now);
    rfq.updatedAt = now;
    rfq.timeline.push(timelineEntry(rfq, 'quote_withdrawn', viewer.userId, now, { quoteId, supplierCompanyId: quote.supplierCompanyId }));
    await lock.save(rfq);
    return toQuoteView(quote.toObject(), rfq);
  });
}

/** Orders quotes for "lowest": lower price, then the earlier submission, then the id (stable answers). */
function cheaper(a: { price: number; quote: QuoteDoc }, b: { price: number; quote: QuoteDoc }): boolean {
  if (a.price !== b.price) return a.price < b.price;
  const at = a.quote.submittedAt.getTime() - b.quote.submittedAt.getTime();
  return at !== 0 ? at < 0 : a.quote._id < b.quote._id;
}

/** The buyer's comparison, per currency: the lowest unit price of each item and the cheapest complete quote. */
export function compareQuotes(rfq: Pick<RfqDoc, 'items'>, quotes: QuoteDoc[]): Comparison[] {
  const live = quotes.filter((quote) => (LIVE_STATUSES as readonly string[]).includes(quote.status));
  const currencies = [...new Set(live.map((quote) => quote.currency))].sort();
  return currencies.map((currency) => {
    const inCurrency = live.filter((quote) => quote.currency === currency);
    const lowestPerItem: Comparison['lowestPerItem'] = [];
    for (const item of rfq.items) {
      let best: { price: number; quote: QuoteDoc; line: QuoteLineDoc } | undefined;
      let count = 0;
      for (const quote of inCurrency) {
        const line = quote.items.find((candidate) => candidate.rfqItemId === item.id);
        if (!line) continue;
        count += 1;
        const candidate = { price: line.unitPriceMinor, quote, line };
        if (!best || cheaper(candidate, best)) best = candidate;
      }
      if (best) {
        lowestPerItem.push({
          rfqItemId: item.id,
          name: item.name,
          quoteId: best.quote._id,
          supplierCompanyId: best.quote.supplierCompanyId,
          unitPriceMinor: best.line.unitPriceMinor,
          lineTotalMinor: best.line.lineTotalMinor,
          quoteCount: count,
        });
      }
    }
    let cheapest: { price: number; quote: QuoteDoc } | undefined;
    for (const quote of inCurrency.filter((candidate) => candidate.complete)) {
      const candidate = { price: quote.totalMinor, quote };
      if (!cheapest || cheaper(candidate, cheapest)) cheapest = candidate;
    }
    return {
      currency,
      quoteCount: inCurrency.length,
      lowestPerItem,
      cheapestCompleteQuote: cheapest ? { quoteId: cheapest.quote._id, supplierCompanyId: cheapest.quote.supplierCompanyId, totalMinor: cheapest.quote.totalMinor } : null,
    };
  });
}

/**
 * The quotes on an RFQ: its buyer company (and admins) see all of them with the comparison; a
 * matched supplier sees only its own quote; anyone else gets 404.
 */
export async function listQuotes(deps: SourcingDeps, viewer: Viewer, rfqId: string): Promise<QuoteList> {
  const rfq = await deps.rfqs.findById(rfqId).select({ outbox: 0, timeline: 0 }).lean<RfqDoc>();
  assertCanSee(viewer, rfq, rfqId);
  if (isBuyerSide(viewer, rfq)) {
    const quotes = await deps.quotes.find({ rfqId }).select({ outbox: 0 }).sort({ submittedAt: 1, _id: 1 }).lean<QuoteDoc[]>();
    return { quotes: quotes.map((quote) => toQuoteView(quote, rfq)), comparison: compareQuotes(rfq, quotes) };
  }
  const own = await deps.quotes.findOne({ rfqId, supplierCompanyId: viewer.companyId }).select({ outbox: 0 }).lean<QuoteDoc>();
  return { quotes: own ? [toQuoteView(own, rfq)] : [] };
}
