import { CONTRACT_LIMITS, TOPICS, type EventData, type FoodXchangeEvent } from '@foodxchange/contracts';
import { isDuplicateKeyError, stageEvent, type EventHandlerContext } from '@foodxchange/service-kit';
import type { MatchRequest, RankedMatch } from './ranking.js';
import { deliveryInstant } from './service.js';

/** The RFQ as matching sees it: items keep their position and id. */
export function matchRequestOfRfq(data: EventData<'rfq.created'>, now: Date): MatchRequest {
  return {
    items: data.items.map((item, index) => ({
      index,
      rfqItemId: item.id,
      name: item.name,
      category: item.category,
      quantity: item.quantity,
      unit: item.unit,
      ...(item.targetUnitPriceMinor !== undefined && item.currency ? { targetUnitPriceMinor: item.targetUnitPriceMinor, currency: item.currency } : {}),
    })),
    requiredCertifications: [...data.requiredCertifications],
    deliveryCountry: data.deliveryCountry,
    // The RFQ's own market (rfq maps the country with the contracts' marketForCountry).
    market: data.market,
    deliveryDate: deliveryInstant(data.deliveryDate, now),
  };
}

/** `rfq.matched` data: the contract's shape (the request-only itemIndex left out). */
export function rfqMatchedData(data: EventData<'rfq.created'>, matches: RankedMatch[], matchedAt: Date): EventData<'rfq.matched'> {
  return {
    rfqId: data.rfqId,
    buyerCompanyId: data.buyerCompanyId,
    title: data.title,
    market: data.market,
    deliveryCountry: data.deliveryCountry,
    ...(data.responseDeadline ? { responseDeadline: data.responseDeadline } : {}),
    matches: matches.slice(0, CONTRACT_LIMITS.supplierMatches).map((match) => ({
      supplierCompanyId: match.supplierCompanyId,
      companyName: match.companyName,
      score: match.score,
      matchedItems: match.matchedItems.map(({ itemIndex: _position, ...item }) => item),
      matchedItemCount: match.matchedItemCount,
      missingCertifications: match.missingCertifications,
      verified: match.verified,
    })),
    matchedAt: matchedAt.toISOString(),
  };
}

/**
 * `rfq.created` → match suppliers → `rfq.matched` (also when nobody matched: `matches: []`),
 * exactly once per RFQ: the run document is inserted with the event in its outbox, and a second
 * run for the same RFQ (a redelivery, a replica that took over, a re-sent event with a new id)
 * fails that insert with 11000 and publishes nothing. Matching failures (the index unreachable)
 * throw, so the kit retries the event with backoff and dead-letters it in the end.
 */
export async function onRfqCreated(event: FoodXchangeEvent<'rfq.created'>, { app, log }: EventHandlerContext): Promise<void> {
  const data = event.data;
  const { runs } = app.matching;
  // A shortcut only (the unique insert below is the guarantee): skip the searches of a known run.
  if (await runs.exists({ _id: data.rfqId })) {
    log.info({ rfqId: data.rfqId, eventId: event.id }, 'rfq already matched; nothing published');
    return;
  }
  const started = Date.now();
  const matchedAt = new Date();
  const matches = await app.matching.match(matchRequestOfRfq(data, matchedAt));
  const context = app.events.context(undefined, event.correlationid);
  const doc = new runs({
    _id: data.rfqId,
    sourceEventId: event.id,
    buyerCompanyId: data.buyerCompanyId,
    market: data.market,
    deliveryCountry: data.deliveryCountry,
    deliveryDate: data.deliveryDate,
    itemCount: data.items.length,
    matches: matches.map((match) => ({ supplierCompanyId: match.supplierCompanyId, score: match.score, matchedItemCount: match.matchedItemCount })),
    correlationId: context.correlationId,
    matchedAt,
    durationMs: Date.now() - started,
  });
  doc.eventId = stageEvent(doc, TOPICS.rfqMatched, data.rfqId, rfqMatchedData(data, matches, matchedAt), context).id;
  try {
    await doc.save();
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    log.info({ rfqId: data.rfqId, eventId: event.id }, 'rfq matched by another run meanwhile; nothing published');
    return;
  }
  app.events.published();
  log.info({ rfqId: data.rfqId, matches: matches.length, durationMs: doc.durationMs }, 'rfq matched');
}
