import { randomUUID } from 'node:crypto';
import { fromMinorUnits, isAdminRole, marketForCountry, toMinorUnits, TOPICS } from '@foodxchange/contracts';
import {
  AuthorizationError,
  ConflictError,
  NotFoundError,
  stageEvent,
  ValidationError,
  type EventContext,
  type HeldLock,
  type Identity,
} from '@foodxchange/service-kit';
import type { HydratedDocument } from 'mongoose';
import type { SourcingDeps } from '../deps.js';
import { rfqCancelledData, rfqCreatedData } from './events.js';
import { expiryFields, rfqLockKey, type MatchDoc, type RfqDoc, type RfqItemDoc, type TimelineEntry } from './model.js';
import type { CancelBody, RfqInput, RfqListQuery, RfqView } from './schemas.js';

/** Who is asking, as the RFQ rules need it. */
export interface Viewer {
  userId: string;
  companyId?: string;
  admin: boolean;
  supplier: boolean;
}

export function viewerOf(identity: Identity): Viewer {
  return {
    userId: identity.userId,
    ...(identity.companyId ? { companyId: identity.companyId } : {}),
    admin: isAdminRole(identity.role),
    supplier: identity.role === 'supplier',
  };
}

/** Platform admins and the buyer's own company: everything about the RFQ. */
export function isBuyerSide(viewer: Viewer, rfq: Pick<RfqDoc, 'buyerCompanyId'>): boolean {
  return viewer.admin || (viewer.companyId !== undefined && viewer.companyId === rfq.buyerCompanyId);
}

/** A supplier catalog's matcher named for this RFQ. */
export function isMatchedSupplier(viewer: Viewer, rfq: Pick<RfqDoc, 'matchedSupplierIds'>): boolean {
  return viewer.companyId !== undefined && rfq.matchedSupplierIds.includes(viewer.companyId);
}

/** Anyone else gets the 404 of an RFQ that does not exist: ids of others' RFQs are not confirmed. */
export function assertCanSee(viewer: Viewer, rfq: RfqDoc | null, id: string): asserts rfq is RfqDoc {
  if (!rfq || !(isBuyerSide(viewer, rfq) || isMatchedSupplier(viewer, rfq))) throw new NotFoundError(`RFQ ${id}`);
}

/** Start of the delivery: an ISO date means that whole day (UTC), so its first instant. */
export function deliveryStart(deliveryDate: string): Date {
  return new Date(/^\d{4}-\d{2}-\d{2}$/.test(deliveryDate) ? `${deliveryDate}T00:00:00.000Z` : deliveryDate);
}

/** Quotes are accepted while the RFQ is open and its deadline has not passed. */
export function quotingOpen(rfq: Pick<RfqDoc, 'status' | 'responseDeadline'>, now: Date): boolean {
  return rfq.status === 'open' && now.getTime() < rfq.responseDeadline.getTime();
}

/**
 * When an open RFQ expires (see README "Expiry"): with nothing to award (no live quote) at its
 * deadline; with live quotes, `awardGraceMs` after the deadline, so the buyer can still award
 * after quoting closed. A reopened RFQ restarts that window from its reopening.
 */
export function expiryOf(rfq: Pick<RfqDoc, 'responseDeadline' | 'reopenedAt'>, liveQuoteCount: number, awardGraceMs: number): Date {
  const from = Math.max(rfq.responseDeadline.getTime(), rfq.reopenedAt?.getTime() ?? 0);
  return new Date(liveQuoteCount > 0 ? from + awardGraceMs : from);
}

export function timelineEntry(rfq: Pick<RfqDoc, 'status' | 'round'>, type: TimelineEntry['type'], by: string, at: Date, extra: Partial<TimelineEntry> = {}): TimelineEntry {
  return { type, at, status: rfq.status, by, round: rfq.round, ...extra };
}

function itemView(item: RfqItemDoc): RfqView['items'][number] {
  const view: RfqView['items'][number] = { id: item.id, name: item.name, category: item.category, quantity: item.quantity, unit: item.unit };
  if (item.targetUnitPriceMinor !== undefined && item.targetUnitPriceMinor !== null && item.currency) {
    view.targetUnitPriceMinor = item.targetUnitPriceMinor;
    view.targetUnitPrice = fromMinorUnits(item.targetUnitPriceMinor, item.currency);
  }
  if (item.currency) view.currency = item.currency;
  if (item.description) view.description = item.description;
  return view;
}

function matchView(match: MatchDoc): RfqView['matches'][number] {
  return {
    supplierCompanyId: match.supplierCompanyId,
    companyName: match.companyName,
    score: match.score,
    matchedItems: match.matchedItems.map((item) => ({
      ...(item.rfqItemId ? { rfqItemId: item.rfqItemId } : {}),
      name: item.name,
      ...(item.productIds ? { productIds: item.productIds } : {}),
      ...(item.reason ? { reason: item.reason } : {}),
    })),
    ...(typeof match.matchedItemCount === 'number' ? { matchedItemCount: match.matchedItemCount } : {}),
    missingCertifications: match.missingCertifications,
    verified: match.verified,
  };
}

function timelineView(entry: TimelineEntry): NonNullable<RfqView['timeline']>[number] {
  const view: NonNullable<RfqView['timeline']>[number] = { type: entry.type, at: entry.at.toISOString(), status: entry.status, by: entry.by, round: entry.round };
  for (const key of ['note', 'quoteId', 'supplierCompanyId', 'orderId', 'matchCount'] as const) {
    const value = entry[key];
    if (value !== undefined && value !== null) (view as Record<string, unknown>)[key] = value;
  }
  return view;
}

/**
 * The RFQ as `viewer` may see it: the buyer side sees every match and timeline entry; a matched
 * supplier sees its own match only, and of the quote entries only its own (competitors stay unnamed).
 */
export function toRfqView(rfq: RfqDoc, viewer: Viewer, now: Date, { withTimeline = false } = {}): RfqView {
  const buyerSide = isBuyerSide(viewer, rfq);
  const matches = buyerSide ? rfq.matches : rfq.matches.filter((match) => match.supplierCompanyId === viewer.companyId);
  const view: RfqView = {
    id: rfq._id,
    number: rfq.number,
    title: rfq.title,
    status: rfq.status,
    buyerCompanyId: rfq.buyerCompanyId,
    buyerUserId: rfq.buyerUserId,
    items: rfq.items.map(itemView),
    requiredCertifications: rfq.requiredCertifications,
    deliveryCountry: rfq.deliveryCountry,
    market: rfq.market,
    deliveryDate: rfq.deliveryDate,
    responseDeadline: rfq.responseDeadline.toISOString(),
    quotingOpen: quotingOpen(rfq, now),
    round: rfq.round,
    matches: matches.map(matchView),
    expiresAt: rfq.expiresAt.toISOString(),
    createdAt: rfq.createdAt.toISOString(),
    updatedAt: rfq.updatedAt.toISOString(),
  };
  if (rfq.matchedAt) view.matchedAt = rfq.matchedAt.toISOString();
  if (rfq.awardedQuoteId) view.awardedQuoteId = rfq.awardedQuoteId;
  if (withTimeline) {
    const entries = buyerSide ? rfq.timeline : rfq.timeline.filter((entry) => !entry.supplierCompanyId || entry.supplierCompanyId === viewer.companyId);
    view.timeline = entries.map(timelineView);
  }
  return view;
}

/** The RFQ's items with their server-side ids; prices as integer minor units (400 with field errors otherwise). */
function itemsOf(input: RfqInput): RfqItemDoc[] {
  const fields: Record<string, string[]> = {};
  const items = input.items.map((item, index) => {
    const at = `body.items.${index}`;
    const doc: RfqItemDoc = { id: randomUUID(), name: item.name, category: item.category, quantity: item.quantity, unit: item.unit };
    if (item.description) doc.description = item.description;
    if (item.currency) doc.currency = item.currency;
    if (item.targetUnitPrice !== undefined && item.targetUnitPriceMinor !== undefined) {
      fields[`${at}.targetUnitPrice`] = ['give targetUnitPrice or targetUnitPriceMinor, not both'];
    } else if (item.targetUnitPrice !== undefined || item.targetUnitPriceMinor !== undefined) {
      if (!item.currency) fields[`${at}.currency`] = ['is required with a target price'];
      else if (item.targetUnitPriceMinor !== undefined) doc.targetUnitPriceMinor = item.targetUnitPriceMinor;
      else {
        try {
          doc.targetUnitPriceMinor = toMinorUnits(item.targetUnitPrice!, item.currency);
        } catch (error) {
          fields[`${at}.targetUnitPrice`] = [(error as Error).message];
        }
      }
    }
    return doc;
  });
  if (Object.keys(fields).length > 0) throw new ValidationError('Some items are invalid', fields);
  return items;
}

function checkDates(input: RfqInput, now: Date): { deadline: Date } {
  const fields: Record<string, string[]> = {};
  const deadline = new Date(input.responseDeadline);
  const delivery = deliveryStart(input.deliveryDate);
  if (Number.isNaN(delivery.getTime())) fields['body.deliveryDate'] = ['is not a date'];
  else if (delivery.getTime() <= now.getTime()) fields['body.deliveryDate'] = ['must be in the future'];
  if (Number.isNaN(deadline.getTime())) fields['body.responseDeadline'] = ['is not a date-time'];
  else if (deadline.getTime() <= now.getTime()) fields['body.responseDeadline'] = ['must be in the future'];
  else if (!fields['body.deliveryDate'] && deadline.getTime() >= delivery.getTime()) fields['body.responseDeadline'] = ['must be before the delivery date'];
  if (Object.keys(fields).length > 0) throw new ValidationError('Check the dates', fields);
  return { deadline };
}

/**
 * A buyer's new RFQ, numbered `RFQ-<year>-<seq>`, inserted with its rfq.created event in the
 * same write. The market is the delivery country's (the contracts' mapping every service shares).
 */
export async function createRfq(deps: SourcingDeps, viewer: Viewer, input: RfqInput, context: EventContext, now = new Date()): Promise<RfqView> {
  if (!viewer.companyId) throw new AuthorizationError('Create RFQs as a member of a buyer company');
  const items = itemsOf(input);
  const { deadline } = checkDates(input, now);
  const id = randomUUID();
  const year = now.getUTCFullYear();
  const saved = await deps.numbers.insertWithNumber(year, async (number, seq) => {
    const doc = new deps.rfqs({
      _id: id,
      number,
      numberYear: year,
      numberSeq: seq,
      title: input.title,
      buyerCompanyId: viewer.companyId,
      buyerUserId: viewer.userId,
      items,
      categories: [...new Set(items.map((item) => item.category))],
      requiredCertifications: input.requiredCertifications ?? [],
      deliveryCountry: input.deliveryCountry,
      market: marketForCountry(input.deliveryCountry),
      deliveryDate: input.deliveryDate,
      responseDeadline: deadline,
      status: 'open',
      round: 1,
      matches: [],
      matchedSupplierIds: [],
      liveQuoteCount: 0,
      ...expiryFields(deadline, now),
      awardedQuoteId: null,
      timeline: [],
      createdAt: now,
      updatedAt: now,
    });
    doc.timeline.push(timelineEntry(doc, 'created', viewer.userId, now, { note: number }));
    stageEvent(doc, TOPICS.rfqCreated, id, rfqCreatedData(doc), context);
    return doc.save();
  });
  deps.published();
  return toRfqView(saved.toObject(), viewer, now, { withTimeline: true });
}

export async function getRfq(deps: SourcingDeps, viewer: Viewer, id: string, now = new Date()): Promise<RfqView> {
  const rfq = await deps.rfqs.findById(id).select({ outbox: 0 }).lean<RfqDoc>();
  assertCanSee(viewer, rfq, id);
  return toRfqView(rfq, viewer, now, { withTimeline: true });
}

/** A value no company id can have: a caller without a company lists nothing. */
const NO_COMPANY = '\u0001no-company';

/**
 * Buyers list their company's RFQs; suppliers the RFQs they were matched to (`quotable=true`:
 * only those still taking quotes); admins every RFQ.
 */
export async function listRfqs(deps: SourcingDeps, viewer: Viewer, query: RfqListQuery, now = new Date()): Promise<{ items: RfqView[]; total: number }> {
  const filter: Record<string, unknown> = {};
  if (!viewer.admin) {
    if (viewer.supplier) filter.matchedSupplierIds = viewer.companyId ?? NO_COMPANY;
    else filter.buyerCompanyId = viewer.companyId ?? NO_COMPANY;
  }
  if (query.status) filter.status = query.status;
  if (query.quotable) {
    if (query.status && query.status !== 'open') return { items: [], total: 0 };
    filter.status = 'open';
    filter.responseDeadline = { $gt: now };
  }
  if (query.createdFrom || query.createdTo) {
    const range: Record<string, Date> = {};
    if (query.createdFrom) range.$gte = new Date(query.createdFrom);
    if (query.createdTo) range.$lt = new Date(query.createdTo);
    filter.createdAt = range;
  }
  const [docs, total] = await Promise.all([
    deps.rfqs
      .find(filter)
      .select({ outbox: 0, timeline: 0 })
      .sort({ createdAt: -1, _id: -1 })
      .skip((query.page - 1) * query.limit)
      .limit(query.limit)
      .lean<RfqDoc[]>(),
    deps.rfqs.countDocuments(filter),
  ]);
  return { items: docs.map((doc) => toRfqView({ ...doc, timeline: [] }, viewer, now)), total };
}

/** Loads an RFQ under its lock for a change; `work` saves through `lock.save`. */
export async function withRfq<T>(deps: SourcingDeps, id: string, work: (rfq: HydratedDocument<RfqDoc>, lock: HeldLock) => Promise<T>): Promise<T> {
  return deps.locks.withLock(rfqLockKey(id), async (lock) => {
    const rfq = await deps.rfqs.findById(id);
    if (!rfq) throw new NotFoundError(`RFQ ${id}`);
    return work(rfq, lock);
  });
}

/** The buyer (or an admin) cancels an open RFQ → rfq.cancelled. Anything but `open` is 409. */
export async function cancelRfq(deps: SourcingDeps, viewer: Viewer, id: string, body: CancelBody, context: EventContext, now = new Date()): Promise<RfqView> {
  const saved = await withRfq(deps, id, async (rfq, lock) => {
    if (!isBuyerSide(viewer, rfq)) throw new NotFoundError(`RFQ ${id}`);
    if (rfq.status !== 'open') throw new ConflictError(`RFQ ${rfq.number} is ${rfq.status}: only an open RFQ can be cancelled`, { status: rfq.status });
    rfq.status = 'cancelled';
    rfq.updatedAt = now;
    rfq.timeline.push(timelineEntry(rfq, 'cancelled', viewer.userId, now, body.reason ? { note: body.reason } : {}));
    const quoting = await deps.quotes.find({ rfqId: id }, { supplierCompanyId: 1 }).lean();
    stageEvent(rfq, TOPICS.rfqCancelled, id, rfqCancelledData(rfq, quoting.map((quote) => quote.supplierCompanyId), { by: viewer.userId, at: now, reason: body.reason }), context);
    return lock.save(rfq);
  });
  deps.published();
  return toRfqView(saved.toObject(), viewer, now, { withTimeline: true });
}

/**
 * The scheduler's step for one RFQ: still open and past its expiry (re-read under the lock, so an
 * award or a quote that came first wins) → `expired` with rfq.cancelled (status `expired`).
 */
export async function expireRfq(deps: SourcingDeps, id: string, context: EventContext, now = new Date()): Promise<boolean> {
  const expired = await withRfq(deps, id, async (rfq, lock) => {
    if (rfq.status !== 'open' || rfq.expiresAt.getTime() > now.getTime()) return false;
    rfq.status = 'expired';
    rfq.updatedAt = now;
    const reason = rfq.liveQuoteCount > 0 ? 'no quote was awarded in time' : 'no quote was submitted before the response deadline';
    rfq.timeline.push(timelineEntry(rfq, 'expired', 'system', now, { note: reason }));
    const quoting = await deps.quotes.find({ rfqId: id }, { supplierCompanyId: 1 }).lean();
    stageEvent(rfq, TOPICS.rfqCancelled, id, rfqCancelledData(rfq, quoting.map((quote) => quote.supplierCompanyId), { by: 'system', at: now, reason }), context);
    await lock.save(rfq);
    return true;
  });
  if (expired) deps.published();
  return expired;
}
