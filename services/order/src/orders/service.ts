import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import {
  AuthorizationError,
  ConflictError,
  NotFoundError,
  ServiceUnavailableError,
  isDuplicateKeyError,
  stageEvent,
  type AggregateLocks,
  type EventContext,
} from '@foodxchange/service-kit';
import {
  ORDER_TRANSITIONS,
  TOPICS,
  isAdminRole,
  isLegalOrderTransition,
  lineTotalMinor,
  sumMinor,
  type EventData,
  type OrderStatus,
  type Role,
} from '@foodxchange/contracts';
import type { ProductCopyDoc, ProductCopyModel } from '../products/model.js';
import type { IdempotencyKeyModel } from '../purchases/keys.js';
import { findProductCopies } from '../products/service.js';
import { clip, compact, orderConfirmedData, orderCreatedData, orderRejectedData, statusChangedData } from './event-data.js';
import type { ComplianceOutcome, OrderDoc, OrderDocument, OrderLine, OrderModel, StatusChange } from './model.js';
import { formatOrderNumber, type OrderNumberAllocator } from './numbers.js';
import { COMPANY_FILTERS, type OrderListQuery, type OrderView, type StatusChangeBody } from './schemas.js';

export interface OrderDeps {
  orders: OrderModel;
  products: ProductCopyModel;
  numbers: OrderNumberAllocator;
  locks: AggregateLocks;
  /** Purchases' Idempotency-Key claims, and how long one is kept (ORDER_IDEMPOTENCY_RETENTION_HOURS). */
  idempotencyKeys: IdempotencyKeyModel;
  idempotencyRetentionMs: number;
  /** Tells the outbox relay a write staged events. */
  published: () => void;
}

/** Who acts on an order: a signed-in user (from the token), or the saga itself. */
export interface Actor {
  userId: string;
  role: Role;
  companyId?: string;
}

/** The name status history and events give the saga's own steps. */
export const SYSTEM_ACTOR = 'system';

export const orderLockKey = (orderId: string) => `order:${orderId}`;

/** Probing this many taken numbers in a row means something else is wrong: retry later. */
const MAX_NUMBER_ATTEMPTS = 50;

const iso = (date: Date | undefined) => (date ? new Date(date).toISOString() : undefined);

export function toOrderView(doc: OrderDoc): OrderView {
  const view: OrderView = {
    id: doc._id,
    orderNumber: doc.orderNumber,
    createdFrom: doc.createdFrom,
    status: doc.status,
    buyerCompanyId: doc.buyerCompanyId,
    supplierCompanyId: doc.supplierCompanyId,
    currency: doc.currency,
    items: doc.items.map((line) => compact({ ...line })),
    totalMinor: doc.totalMinor,
    deliveryCountry: doc.deliveryCountry,
    market: doc.market,
    requiredCertifications: [...doc.requiredCertifications],
    statusHistory: doc.statusHistory.map((change) => compact({ ...change, at: iso(change.at)! })),
    createdAt: iso(doc.createdAt)!,
    updatedAt: iso(doc.updatedAt)!,
  };
  for (const key of ['rfqId', 'quoteId', 'title', 'buyerUserId', 'supplierName', 'deliveryDate', 'note'] as const) {
    const value = doc[key];
    if (value !== undefined && value !== null) view[key] = value;
  }
  if (doc.compliance) {
    const { checkedAt, receivedAt, violations, warnings, ...rest } = doc.compliance;
    view.compliance = compact({
      ...rest,
      violations: violations.map((finding) => compact({ ...finding })),
      warnings: warnings.map((finding) => compact({ ...finding })),
      checkedAt: iso(checkedAt),
      receivedAt: iso(receivedAt)!,
    });
  }
  return view;
}

/** The fields of a new order; its id and number are given when it is inserted. */
export type NewOrder = Omit<OrderDoc, '_id' | 'orderNumber' | 'outbox' | 'outboxStagedAt' | 'outboxBucket' | 'lockToken'>;

/**
 * Inserts a new order with its `order.created` event (one write: DESIGN.md rule 1), numbering it
 * by insert-and-retry on the unique order number. A collision on another unique field (the award,
 * or the `_id` an idempotency key's claim chose) means the order already exists: `findExisting`
 * returns it and nothing is written (DESIGN.md rule 2: exactly-once is a unique insert).
 */
export async function insertOrder(
  deps: OrderDeps,
  fields: NewOrder,
  context: EventContext,
  findExisting: () => Promise<OrderDoc | null>,
  orderId: string = randomUUID(),
): Promise<{ order: OrderDoc; created: boolean }> {
  const year = fields.createdAt.getUTCFullYear();
  for (let attempt = 1; ; attempt += 1) {
    const sequence = await deps.numbers.candidate(year);
    const doc = new deps.orders({ ...fields, _id: orderId, orderNumber: formatOrderNumber(year, sequence) });
    stageEvent(doc, TOPICS.orderCreated, doc._id, orderCreatedData(doc.toObject() as OrderDoc), context);
    try {
      await doc.save();
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const existing = await findExisting();
      if (existing) return { order: existing, created: false };
      if (attempt >= MAX_NUMBER_ATTEMPTS) {
        throw new ServiceUnavailableError('Could not find a free order number; try again', { year, attempts: attempt });
      }
      await deps.numbers.collided(year);
      continue;
    }
    void deps.numbers.taken(year, sequence);
    deps.published();
    return { order: doc.toObject() as OrderDoc, created: true };
  }
}

/** What an award line's product copy adds to its order line, when the copy is the supplier's own live product. */
function enrichment(copy: ProductCopyDoc | undefined, supplierCompanyId: string): Partial<OrderLine> {
  if (!copy || copy.status === 'deleted' || copy.supplierCompanyId !== supplierCompanyId) return {};
  return compact({
    sku: copy.sku,
    originCountry: copy.originCountry,
    allergens: [...copy.allergens],
    certifications: [...copy.certifications],
  });
}

export const awardKeyOf = (award: Pick<EventData<'rfq.awarded'>, 'rfqId' | 'quoteId'>) => `${award.rfqId}:${award.quoteId}`;

/**
 * The order of an award (`rfq.awarded`): `pending_compliance`, lines and totals from the award in
 * integer minor units (line totals recomputed here), lines that name a catalogue product enriched
 * from this service's copy of it. Exactly one per award: a redelivered event, a second event of
 * the same award or two replicas handling it at once return the order that exists.
 */
export async function createOrderFromAward(
  deps: OrderDeps,
  award: EventData<'rfq.awarded'>,
  context: EventContext,
  log?: FastifyBaseLogger,
  now = new Date(),
): Promise<{ order: OrderDoc; created: boolean }> {
  const awardKey = awardKeyOf(award);
  const findExisting = () => deps.orders.findOne({ awardKey }).lean<OrderDoc>();
  const existing = await findExisting();
  if (existing) return { order: existing, created: false };

  const copies = await findProductCopies(
    deps.products,
    award.lines.flatMap((line) => (line.productId ? [line.productId] : [])),
  );
  const items: OrderLine[] = award.lines.map((line, index) => {
    const total = lineTotalMinor(line.quantity, line.unitPriceMinor);
    if (total !== line.lineTotalMinor) {
      log?.warn({ rfqId: award.rfqId, rfqItemId: line.rfqItemId, awarded: line.lineTotalMinor, computed: total }, 'award line total differs from quantity × unit price; the computed total is used');
    }
    return compact({
      lineId: `line-${index + 1}`,
      rfqItemId: line.rfqItemId,
      productId: line.productId,
      name: line.name,
      category: line.category,
      quantity: line.quantity,
      unit: line.unit,
      unitPriceMinor: line.unitPriceMinor,
      lineTotalMinor: total,
      ...enrichment(line.productId ? copies.get(line.productId) : undefined, award.supplierCompanyId),
    });
  });
  const totalMinor = sumMinor(items.map((line) => line.lineTotalMinor));
  if (totalMinor !== award.totalMinor) {
    log?.warn({ rfqId: award.rfqId, awarded: award.totalMinor, computed: totalMinor }, 'award total differs from the sum of its lines; the computed total is used');
  }
  const fields: NewOrder = compact({
    createdFrom: 'rfq' as const,
    awardKey,
    rfqId: award.rfqId,
    quoteId: award.quoteId,
    title: award.title,
    buyerCompanyId: award.buyerCompanyId,
    buyerUserId: award.buyerUserId,
    supplierCompanyId: award.supplierCompanyId,
    supplierName: award.supplierName,
    partyCompanyIds: [...new Set([award.buyerCompanyId, award.supplierCompanyId])],
    status: 'pending_compliance' as const,
    currency: award.currency,
    items,
    totalMinor,
    deliveryCountry: award.deliveryCountry,
    market: award.market,
    requiredCertifications: [...award.requiredCertifications],
    deliveryDate: award.deliveryDate,
    statusHistory: [{ to: 'pending_compliance' as const, by: SYSTEM_ACTOR, at: now, note: `Created from the award of quote ${award.quoteId} on RFQ ${award.rfqId}` }],
    createdAt: now,
    updatedAt: now,
  });
  return insertOrder(deps, fields, context, findExisting);
}

/** Platform admins read every order; anyone else the orders their company buys or supplies. */
export function mayRead(actor: Actor, order: Pick<OrderDoc, 'partyCompanyIds'>): boolean {
  if (isAdminRole(actor.role)) return true;
  return actor.companyId !== undefined && order.partyCompanyIds.includes(actor.companyId);
}

type Side = 'buyer' | 'supplier';

/** The side of the order the actor acts for: its role, for the company the order names in that role. */
function sideOf(actor: Actor, order: Pick<OrderDoc, 'buyerCompanyId' | 'supplierCompanyId'>): Side | undefined {
  if (actor.role === 'buyer' && actor.companyId === order.buyerCompanyId) return 'buyer';
  if (actor.role === 'supplier' && actor.companyId === order.supplierCompanyId) return 'supplier';
  return undefined;
}

/**
 * Who may make each legal transition through the API (platform admins may make all of these).
 * Compliance outcomes are nobody's: only the `compliance.checked` consumer makes them.
 */
const MOVERS: Partial<Record<OrderStatus, readonly Side[]>> = {
  shipped: ['supplier'],
  delivered: ['buyer'],
  cancelled: ['buyer', 'supplier'],
};

/** 403 unless the actor may move the order to `to` (the transition itself is legal). */
export function assertMayMove(actor: Actor, order: Pick<OrderDoc, 'buyerCompanyId' | 'supplierCompanyId'>, to: OrderStatus): void {
  const movers = MOVERS[to];
  if (!movers) throw new AuthorizationError(`Only the compliance check makes an order ${to}`, { status: to });
  if (isAdminRole(actor.role)) return;
  const side = sideOf(actor, order);
  if (!side || !movers.includes(side)) {
    throw new AuthorizationError(`Only the order's ${movers.join(' or ')} may make it ${to}`, { status: to, allowedFor: movers });
  }
}

/** Records a transition on a loaded order and stages its events (the caller saves). */
function recordTransition(doc: OrderDocument, change: StatusChange & { from: OrderStatus }, context: EventContext): void {
  doc.status = change.to;
  doc.updatedAt = change.at;
  doc.statusHistory.push(change);
  const order = doc.toObject() as OrderDoc;
  stageEvent(doc, TOPICS.orderStatusChanged, doc._id, statusChangedData(order, change), context);
  if (change.to === 'confirmed') stageEvent(doc, TOPICS.orderConfirmed, doc._id, orderConfirmedData(order, change), context);
  if (change.to === 'rejected') stageEvent(doc, TOPICS.orderRejected, doc._id, orderRejectedData(order, change), context);
}

/**
 * `POST /orders/:id/status`: one step of the status machine (DESIGN.md "States"), under the
 * order's lock so concurrent steps are serialised (the second sees the first's result). 404 for an
 * order the caller may not read, 409 for a transition the machine does not allow from the current
 * status, 403 for a legal one the caller's side may not make.
 */
export async function changeStatus(
  deps: OrderDeps,
  orderId: string,
  body: StatusChangeBody,
  actor: Actor,
  context: EventContext,
): Promise<OrderView> {
  const assertMayChange = (doc: Pick<OrderDoc, 'status' | 'partyCompanyIds' | 'buyerCompanyId' | 'supplierCompanyId'> | null) => {
    if (!doc || !mayRead(actor, doc)) throw new NotFoundError(`Order ${orderId}`);
    const from = doc.status;
    const to = body.status;
    if (!isLegalOrderTransition(from, to)) {
      throw new ConflictError(`An order that is ${from} cannot become ${to}`, { status: from, requested: to, allowed: ORDER_TRANSITIONS[from] });
    }
    assertMayMove(actor, doc, to);
  };
  // A refusal needs no lock: answered from a plain read. The decision itself is taken again
  // under the lock, on the order as it is then.
  assertMayChange(await deps.orders.findById(orderId).select({ outbox: 0, statusHistory: 0, items: 0 }).lean<OrderDoc>());
  return deps.locks.withLock(orderLockKey(orderId), async (lock) => {
    const doc = await deps.orders.findById(orderId);
    assertMayChange(doc);
    const from = doc!.status;
    const to = body.status;
    recordTransition(
      doc!,
      compact({ from, to, by: actor.userId, byRole: actor.role, at: new Date(), note: body.note }) as StatusChange & { from: OrderStatus },
      context,
    );
    await lock.save(doc!);
    deps.published();
    return toOrderView(doc!.toObject() as OrderDoc);
  });
}

export type VerdictOutcome = 'confirmed' | 'rejected' | 'unknown-order' | 'not-pending' | 'already-applied' | 'other-parties';

/** The note a verdict leaves in the status history. */
function verdictNote(verdict: EventData<'compliance.checked'>): string {
  if (verdict.passed) return `Compliance check ${verdict.checkId} passed (${verdict.market})`;
  const count = verdict.violationCount ?? verdict.violations.length;
  const shown = verdict.violations.slice(0, 5).map((violation) => violation.message);
  const more = count > shown.length ? ` (+${count - shown.length} more)` : '';
  return clip(`Compliance check ${verdict.checkId} failed (${verdict.market}): ${shown.join('; ')}${more}`);
}

/**
 * The `compliance.checked` consumer's step: `pending_compliance → confirmed | rejected`, the
 * verdict's findings kept on the order. A verdict for an order this service does not have, for
 * one already decided, or naming other companies than the order's is ignored (the caller logs
 * it): retrying could not change it, so it must never become a dead letter.
 */
export async function applyComplianceVerdict(
  deps: OrderDeps,
  verdict: EventData<'compliance.checked'>,
  context: EventContext,
  now = new Date(),
): Promise<VerdictOutcome> {
  if (!(await deps.orders.exists({ _id: verdict.orderId }))) return 'unknown-order';
  return deps.locks.withLock(orderLockKey(verdict.orderId), async (lock) => {
    const doc = await deps.orders.findById(verdict.orderId);
    if (!doc) return 'unknown-order';
    if (doc.status !== 'pending_compliance') return doc.compliance?.checkId === verdict.checkId ? 'already-applied' : 'not-pending';
    if (
      (verdict.supplierCompanyId !== undefined && verdict.supplierCompanyId !== doc.supplierCompanyId) ||
      (verdict.buyerCompanyId !== undefined && verdict.buyerCompanyId !== doc.buyerCompanyId)
    ) {
      return 'other-parties';
    }
    const outcome: ComplianceOutcome = compact({
      checkId: verdict.checkId,
      passed: verdict.passed,
      market: verdict.market,
      violations: verdict.violations.map((violation) => ({ ...violation })),
      violationCount: verdict.violationCount ?? verdict.violations.length,
      warnings: (verdict.warnings ?? []).map((warning) => ({ ...warning })),
      warningCount: verdict.warningCount ?? verdict.warnings?.length ?? 0,
      truncated: verdict.truncated ?? false,
      ruleSetVersion: verdict.ruleSetVersion,
      checkedAt: verdict.checkedAt ? new Date(verdict.checkedAt) : undefined,
      receivedAt: now,
    });
    doc.compliance = outcome;
    const to = verdict.passed ? 'confirmed' : 'rejected';
    recordTransition(doc, { from: 'pending_compliance', to, by: SYSTEM_ACTOR, byRole: 'compliance', at: now, note: verdictNote(verdict) }, context);
    await lock.save(doc);
    deps.published();
    return to;
  });
}

export async function getOrder(deps: Pick<OrderDeps, 'orders'>, orderId: string, actor: Actor): Promise<OrderView> {
  const doc = await deps.orders.findById(orderId).select({ outbox: 0 }).lean<OrderDoc>();
  // Another company's order is "not found": its id is not confirmed to exist.
  if (!doc || !mayRead(actor, doc)) throw new NotFoundError(`Order ${orderId}`);
  return toOrderView(doc);
}

/** No company matches this: a non-admin caller without a company sees no orders. */
const NO_COMPANY = 'no-company:';

export async function listOrders(
  deps: Pick<OrderDeps, 'orders'>,
  query: OrderListQuery,
  actor: Actor,
): Promise<{ items: OrderView[]; total: number }> {
  const filter: Record<string, unknown> = {};
  if (isAdminRole(actor.role)) {
    if (query.buyerCompanyId) filter.buyerCompanyId = query.buyerCompanyId;
    if (query.supplierCompanyId) filter.supplierCompanyId = query.supplierCompanyId;
  } else {
    // Refused rather than ignored: an ignored filter would answer an unfiltered list as if it
    // were filtered. Their own company too: one rule, and their list is their company's already.
    const named = COMPANY_FILTERS.filter((name) => query[name] !== undefined);
    if (named.length > 0) {
      throw new AuthorizationError(`Only platform admins filter orders by company (${named.join(', ')}): your list is your company's orders`, { filters: named });
    }
    filter.partyCompanyIds = actor.companyId ?? NO_COMPANY;
  }
  if (query.rfqId) filter.rfqId = query.rfqId;
  if (query.status) filter.status = query.status;
  if (query.createdFrom) filter.createdFrom = query.createdFrom;
  const [docs, total] = await Promise.all([
    deps.orders
      .find(filter)
      .select({ outbox: 0 })
      .sort({ createdAt: -1, _id: -1 })
      .skip((query.page - 1) * query.limit)
      .limit(query.limit)
      .lean<OrderDoc[]>(),
    deps.orders.countDocuments(filter),
  ]);
  return { items: docs.map(toOrderView), total };
}
