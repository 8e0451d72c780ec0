import { TOPICS, type AwardLine } from '@foodxchange/contracts';
import { ConflictError, isDuplicateKeyError, NotFoundError, stageEvent, type EventContext, type HeldLock } from '@foodxchange/service-kit';
import type { FastifyBaseLogger } from 'fastify';
import type { HydratedDocument } from 'mongoose';
import type { SourcingDeps } from '../deps.js';
import { refreshLiveQuotes, validityEnd } from '../quotes/service.js';
import type { QuoteDoc } from '../quotes/model.js';
import { rfqLockKey, type RfqDoc } from '../rfqs/model.js';
import { isBuyerSide, timelineEntry, withRfq, type Viewer } from '../rfqs/service.js';
import { rfqAwardedData } from './events.js';
import { awardId, type AwardDoc } from './model.js';
import type { AwardInput, AwardView } from './schemas.js';

type RfqDocument = HydratedDocument<RfqDoc>;

export function toAwardView(award: AwardDoc): AwardView {
  return {
    id: award._id,
    rfqId: award.rfqId,
    round: award.round,
    quoteId: award.quoteId,
    quoteRevision: award.quoteRevision,
    supplierCompanyId: award.supplierCompanyId,
    buyerCompanyId: award.buyerCompanyId,
    currency: award.currency,
    lines: award.lines.map((line) => ({ ...line })),
    totalMinor: award.totalMinor,
    rejectedQuoteIds: award.rejectedQuoteIds,
    status: award.status,
    awardedBy: award.awardedBy,
    awardedAt: award.awardedAt.toISOString(),
    ...(award.orderId ? { orderId: award.orderId } : {}),
  };
}

function linesOf(rfq: RfqDoc, quote: QuoteDoc): AwardLine[] {
  const itemOf = new Map(rfq.items.map((item) => [item.id, item]));
  return quote.items.map((line) => {
    const item = itemOf.get(line.rfqItemId)!;
    return {
      rfqItemId: line.rfqItemId,
      name: item.name,
      category: item.category,
      quantity: line.quantity,
      unit: item.unit,
      unitPriceMinor: line.unitPriceMinor,
      lineTotalMinor: line.lineTotalMinor,
      ...(line.productId ? { productId: line.productId } : {}),
    };
  });
}

/**
 * The writes that follow an award's insert: the awarded quote `accepted`, the others `rejected`,
 * the RFQ `awarded`. Idempotent (a repair after a crash between the insert and these runs it again).
 */
export async function applyAward(deps: SourcingDeps, rfq: RfqDocument, award: AwardDoc, lock: HeldLock, now: Date): Promise<void> {
  if (award.applied) return;
  const decided = { decidedInRound: award.round, updatedAt: now };
  await lock.fenced(() => deps.quotes.updateOne({ _id: award.quoteId }, { $set: { status: 'accepted', ...decided } }));
  if (award.rejectedQuoteIds.length > 0) {
    await lock.fenced(() =>
      deps.quotes.updateMany({ _id: { $in: award.rejectedQuoteIds }, status: 'submitted' }, { $set: { status: 'rejected', ...decided } }),
    );
  }
  if (rfq.status === 'open' && rfq.round === award.round) {
    rfq.status = 'awarded';
    rfq.awardedQuoteId = award.quoteId;
    rfq.liveQuoteCount = 0;
    rfq.updatedAt = now;
    rfq.timeline.push(timelineEntry(rfq, 'awarded', award.awardedBy, award.awardedAt, { quoteId: award.quoteId }));
    await lock.save(rfq);
  }
  await lock.fenced(() => deps.awards.updateOne({ _id: award._id }, { $set: { applied: true } }));
  award.applied = true;
}

/**
 * The buyer awards one submitted quote → rfq.awarded, the other submitted quotes `rejected`, the
 * RFQ `awarded`. Exactly one award per RFQ and round: the insert of `<rfqId>:<round>` is the
 * guarantee (a second or concurrent award, from any replica, gets 409); the RFQ's lock only makes
 * the loser wait and answer from the RFQ's new status.
 */
export async function awardQuote(deps: SourcingDeps, viewer: Viewer, rfqId: string, input: AwardInput, context: EventContext, now = new Date()): Promise<AwardView> {
  const award = await withRfq(deps, rfqId, async (rfq, lock) => {
    if (!isBuyerSide(viewer, rfq)) throw new NotFoundError(`RFQ ${rfqId}`);
    if (rfq.status !== 'open') throw new ConflictError(`RFQ ${rfq.number} is ${rfq.status}: it cannot be awarded`, { status: rfq.status });
    const id = awardId(rfqId, rfq.round);
    const earlier = await deps.awards.findById(id).lean<AwardDoc>();
    if (earlier) {
      await applyAward(deps, rfq, earlier, lock, now);
      throw new ConflictError(`RFQ ${rfq.number} is already awarded`, { awardId: id, quoteId: earlier.quoteId });
    }
    const quote = await deps.quotes.findById(input.quoteId).lean<QuoteDoc>();
    if (!quote || quote.rfqId !== rfqId) throw new NotFoundError(`Quote ${input.quoteId}`);
    if (quote.status !== 'submitted') throw new ConflictError(`The quote is ${quote.status}: only a submitted quote can be awarded`, { status: quote.status });
    if (validityEnd(quote.validUntil).getTime() < now.getTime()) throw new ConflictError(`The quote was valid until ${quote.validUntil}`, { validUntil: quote.validUntil });
    if (input.revision !== undefined && input.revision !== quote.revision) {
      throw new ConflictError(`The quote was revised (revision ${quote.revision}); compare it again`, { revision: quote.revision });
    }
    const others = await deps.quotes.find({ rfqId, status: 'submitted' }, { supplierCompanyId: 1 }).lean();
    const rejected = others.filter((other) => other._id !== quote._id);
    const fields: Omit<AwardDoc, 'outbox' | 'eventId'> = {
      _id: id,
      rfqId,
      round: rfq.round,
      quoteId: quote._id,
      quoteRevision: quote.revision,
      buyerCompanyId: rfq.buyerCompanyId,
      supplierCompanyId: quote.supplierCompanyId,
      awardedBy: viewer.userId,
      awardedAt: now,
      currency: quote.currency,
      lines: linesOf(rfq, quote),
      totalMinor: quote.totalMinor,
      rejectedQuoteIds: rejected.map((other) => other._id),
      status: 'live',
      applied: false,
      orderId: null,
    };
    const doc = new deps.awards({ ...fields, eventId: 'pending' });
    const supplierName = rfq.matches.find((match) => match.supplierCompanyId === quote.supplierCompanyId)?.companyName;
    // Built from the plain fields: the document's sub-documents are not plain data.
    doc.eventId = stageEvent(doc, TOPICS.rfqAwarded, rfqId, rfqAwardedData(fields, rfq, quote, rejected, supplierName), context).id;
    try {
      await lock.fenced(() => doc.save());
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new ConflictError(`RFQ ${rfq.number} is already awarded`, { awardId: id });
      throw error;
    }
    const saved = doc.toObject() as AwardDoc;
    await applyAward(deps, rfq, saved, lock, now);
    return saved;
  });
  deps.published();
  return toAwardView(award);
}

/** Finds awards whose follow-up writes a crash cut short, and finishes them (the scheduler's repair pass). */
export async function repairUnappliedAwards(deps: SourcingDeps, log: FastifyBaseLogger, now = new Date()): Promise<number> {
  const pending = await deps.awards.find({ applied: false }, { rfqId: 1 }).limit(100).lean();
  let repaired = 0;
  for (const { _id, rfqId } of pending) {
    await deps.locks.withLock(rfqLockKey(rfqId), async (lock) => {
      const award = await deps.awards.findById(_id).lean<AwardDoc>();
      const rfq = await deps.rfqs.findById(rfqId);
      if (!award || award.applied || !rfq) return;
      await applyAward(deps, rfq, award, lock, now);
      repaired += 1;
      log.warn({ rfqId, awardId: _id }, 'finished an award a crash had interrupted');
    });
  }
  return repaired;
}

/** Runs `work` on an RFQ under its lock, or does nothing for an RFQ this service does not hold. */
async function withKnownRfq(deps: SourcingDeps, rfqId: string, work: (rfq: RfqDocument, lock: HeldLock) => Promise<void>): Promise<boolean> {
  if (!(await deps.rfqs.exists({ _id: rfqId }))) return false;
  await withRfq(deps, rfqId, work);
  return true;
}

/** `order.created` for an award: the award and the RFQ's timeline record the order id (once). */
export async function recordOrder(
  deps: SourcingDeps,
  order: { orderId: string; rfqId: string; quoteId: string },
  log: FastifyBaseLogger,
  now = new Date(),
): Promise<void> {
  const known = await withKnownRfq(deps, order.rfqId, async (rfq, lock) => {
    const awards = await deps.awards.find({ rfqId: order.rfqId, quoteId: order.quoteId });
    const award = awards.sort((a, b) => b.round - a.round)[0];
    if (!award) return void log.info(order, 'order.created for a quote that was not awarded; ignored');
    if (award.orderId) {
      if (award.orderId !== order.orderId) log.warn({ ...order, recorded: award.orderId }, 'a second order for one award; not recorded');
      return;
    }
    award.orderId = order.orderId;
    await lock.fenced(() => award.save());
    rfq.updatedAt = now;
    rfq.timeline.push({ ...timelineEntry(rfq, 'order_created', 'system', now, { orderId: order.orderId, quoteId: order.quoteId }), round: award.round });
    await lock.save(rfq);
  });
  if (!known) log.info(order, 'order.created for an unknown RFQ; ignored');
}

const NOTE_LIMIT = 500;

/**
 * `order.rejected` for the RFQ's live award: compliance refused the order, so the buyer may award
 * another quote. The RFQ goes `awarded → open` in the next round (`reopened` in the timeline), the
 * refused quote stays `rejected`, the quotes this award had rejected are `submitted` again. An
 * order.rejected that is not about the live award (an older round, another supplier, another
 * order than the one recorded, a direct purchase) changes nothing.
 */
export async function reopenAfterRejectedOrder(
  deps: SourcingDeps,
  rejection: { orderId: string; rfqId: string; supplierCompanyId: string; reasons: string[]; quoteId?: string },
  log: FastifyBaseLogger,
  now = new Date(),
): Promise<void> {
  const known = await withKnownRfq(deps, rejection.rfqId, async (rfq, lock) => {
    if (rfq.status !== 'awarded') return void log.info({ ...rejection, status: rfq.status }, 'order.rejected for an RFQ that is not awarded; ignored');
    const award = await deps.awards.findById(awardId(rfq._id, rfq.round));
    if (!award || award.status !== 'live') return void log.info(rejection, 'order.rejected without a live award; ignored');
    // The quote names the award exactly (order sends it); without it, the supplier and the recorded order do.
    const otherQuote = rejection.quoteId !== undefined && rejection.quoteId !== award.quoteId;
    if (otherQuote || award.supplierCompanyId !== rejection.supplierCompanyId || (award.orderId && award.orderId !== rejection.orderId)) {
      return void log.info({ ...rejection, awardId: award._id }, 'order.rejected is not about the live award; ignored');
    }
    award.status = 'order_rejected';
    award.orderId = rejection.orderId;
    await lock.fenced(() => award.save());
    await lock.fenced(() =>
      deps.quotes.updateOne({ _id: award.quoteId }, { $set: { status: 'rejected', decidedInRound: award.round, updatedAt: now } }),
    );
    if (award.rejectedQuoteIds.length > 0) {
      await lock.fenced(() =>
        deps.quotes.updateMany(
          { _id: { $in: award.rejectedQuoteIds }, status: 'rejected', decidedInRound: award.round },
          { $set: { status: 'submitted', decidedInRound: null, updatedAt: now } },
        ),
      );
    }
    rfq.status = 'open';
    rfq.round += 1;
    rfq.awardedQuoteId = null;
    rfq.reopenedAt = now;
    rfq.updatedAt = now;
    await refreshLiveQuotes(deps, rfq, now);
    const reasons = rejection.reasons.join('; ');
    const note = `order ${rejection.orderId} rejected${reasons ? `: ${reasons}` : ''}`;
    rfq.timeline.push(
      timelineEntry(rfq, 'reopened', 'system', now, {
        orderId: rejection.orderId,
        quoteId: award.quoteId,
        note: note.length > NOTE_LIMIT ? `${note.slice(0, NOTE_LIMIT - 1)}…` : note,
      }),
    );
    await lock.save(rfq);
    log.info({ rfqId: rfq._id, round: rfq.round, orderId: rejection.orderId }, 'RFQ reopened after a rejected order');
  });
  if (!known) log.info(rejection, 'order.rejected for an unknown RFQ; ignored');
}
