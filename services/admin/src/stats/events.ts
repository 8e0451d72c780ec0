import { TOPICS, type FoodXchangeEvent, type Topic } from '@foodxchange/contracts';
import { isDuplicateKeyError, subscribe, type AggregateLocks, type EventHandlerContext, type Subscription } from '@foodxchange/service-kit';
import type { Model } from 'mongoose';
import { statsModels, type StatsCompanyDoc, type StatsComplianceDoc, type StatsOrderDoc, type StatsProductDoc, type StatsRfqDoc } from './model.js';

/*
 * The stats consumers. Each event is folded into its aggregate's state document by a pure
 * reducer that is commutative over the events an aggregate can have: whatever order the
 * partitions of different topics deliver them in, and however often each is delivered, the
 * document ends in the same state. Where an aggregate is written by several topics (handled
 * concurrently, and FerretDB keeps only one of two concurrent updates of a document) the
 * read-reduce-replace runs under the aggregate's lock.
 */

/** Returns the new state, or null when the event changes nothing (a duplicate, an older event). */
export type Reducer<D> = (current: D | null) => D | null;

const sameTime = (a: Date | null, b: Date | null) => (a?.getTime() ?? null) === (b?.getTime() ?? null);

// ----- products: the newest snapshot by version (else by event time); a deletion is final -----

export type ProductFact = { kind: 'snapshot'; status: string; version: number | null; at: Date } | { kind: 'deleted'; at: Date };

export function reduceProduct(id: string, fact: ProductFact): Reducer<StatsProductDoc> {
  return (current) => {
    if (current?.deleted) return null;
    if (fact.kind === 'deleted') {
      return { _id: id, status: current?.status ?? 'inactive', deleted: true, version: current?.version ?? null, at: current?.at ?? fact.at };
    }
    if (current) {
      const newer =
        fact.version !== null && current.version !== null ? fact.version > current.version : fact.at.getTime() > current.at.getTime();
      if (!newer) return null;
    }
    return { _id: id, status: fact.status, deleted: false, version: fact.version, at: fact.at };
  };
}

// ----- RFQs: open → awarded | cancelled | expired; the state furthest along wins -----

const RFQ_RANK: Record<string, number> = { open: 0, awarded: 1, cancelled: 1, expired: 1 };

export type RfqFact = { kind: 'state'; state: string; at: Date } | { kind: 'matched'; matchCount: number; at: Date };

/** Later over earlier in the lifecycle; between two states of one rank (never both, legally) the later event. */
function laterState(rank: Record<string, number>, state: string, at: Date, currentState: string | null, currentAt: Date | null): boolean {
  if (currentState === null) return true;
  const [incoming, held] = [rank[state] ?? 0, rank[currentState] ?? 0];
  if (incoming !== held) return incoming > held;
  return state !== currentState && at.getTime() > (currentAt?.getTime() ?? 0);
}

export function reduceRfq(id: string, fact: RfqFact): Reducer<StatsRfqDoc> {
  return (current) => {
    const base: StatsRfqDoc = current ?? { _id: id, state: null, stateAt: null, matchCount: null, matchedAt: null };
    if (fact.kind === 'state') {
      if (!laterState(RFQ_RANK, fact.state, fact.at, base.state, base.stateAt)) return null;
      return { ...base, state: fact.state, stateAt: fact.at };
    }
    // A re-run of matching replaces the earlier answer: the latest one counts.
    if (base.matchedAt !== null && fact.at.getTime() <= base.matchedAt.getTime()) return null;
    return { ...base, matchCount: fact.matchCount, matchedAt: fact.at };
  };
}

// ----- orders: pending_compliance → confirmed → shipped → delivered, → rejected, → cancelled -----

/**
 * Every legal transition (DESIGN.md) goes to a strictly higher rank, and the end states share the
 * highest: so the highest-ranked state an order's events name is its current state.
 */
const ORDER_RANK: Record<string, number> = { pending_compliance: 0, confirmed: 1, shipped: 2, delivered: 3, rejected: 3, cancelled: 3 };

export interface OrderFact {
  state: string;
  at: Date;
  currency?: string | undefined;
  totalMinor?: number | undefined;
  /** When the order was created: only `order.created` says so. */
  createdAt?: Date | undefined;
}

/** A date's UTC calendar day, YYYY-MM-DD. */
export const utcDay = (date: Date) => date.toISOString().slice(0, 10);

export function reduceOrder(id: string, fact: OrderFact): Reducer<StatsOrderDoc> {
  return (current) => {
    const base: StatsOrderDoc = current
      ? { ...current, createdAt: current.createdAt ?? null, createdDay: current.createdDay ?? null }
      : { _id: id, state: null, stateAt: null, currency: null, totalMinor: null, createdAt: null, createdDay: null };
    const next = { ...base };
    if (laterState(ORDER_RANK, fact.state, fact.at, base.state, base.stateAt)) {
      next.state = fact.state;
      next.stateAt = fact.at;
    }
    // An order's currency and total are fixed at creation; the first event carrying them sets them.
    if (next.currency === null && fact.currency !== undefined && fact.totalMinor !== undefined) {
      next.currency = fact.currency;
      next.totalMinor = fact.totalMinor;
    }
    // So is its creation time: the order's one order.created sets it (a redelivery names the same instant).
    if (next.createdAt === null && fact.createdAt !== undefined && !Number.isNaN(fact.createdAt.getTime())) {
      next.createdAt = fact.createdAt;
      next.createdDay = utcDay(fact.createdAt);
    }
    const changed =
      current === null ||
      next.state !== base.state ||
      !sameTime(next.stateAt, base.stateAt) ||
      next.currency !== base.currency ||
      !sameTime(next.createdAt ?? null, current.createdAt ?? null) ||
      next.createdDay !== (current.createdDay ?? null);
    return changed ? next : null;
  };
}

// ----- companies: exist once seen; verified once verified -----

export function reduceCompany(id: string, fact: { verified: boolean; at: Date }): Reducer<StatsCompanyDoc> {
  return (current) => {
    if (!current) return { _id: id, verified: fact.verified, at: fact.at };
    if (current.verified || !fact.verified) return null;
    return { ...current, verified: true };
  };
}

// ----- compliance: the latest verdict per order -----

export function reduceCompliance(orderId: string, fact: { checkId: string; passed: boolean; at: Date }): Reducer<StatsComplianceDoc> {
  return (current) => {
    if (current) {
      const [t, held] = [fact.at.getTime(), current.at.getTime()];
      // Same instant: the larger check id, so the outcome does not depend on arrival order.
      if (t < held || (t === held && fact.checkId <= current.checkId)) return null;
    }
    return { _id: orderId, checkId: fact.checkId, passed: fact.passed, at: fact.at };
  };
}

/** Reads, reduces and replaces one aggregate's state under its lock (fenced: a lost lease writes nothing). */
export async function applyToAggregate<D extends { _id: string }>(
  locks: AggregateLocks,
  model: Model<D>,
  id: string,
  reduce: Reducer<D>,
): Promise<void> {
  await locks.withLock(`stats:${model.collection.collectionName}:${id}`, async (lock) => {
    const current = await model.findById(id).lean<D>();
    const next = reduce(current ?? null);
    if (next === null) return;
    await lock.fenced(() => model.replaceOne({ _id: id } as never, next as never, { upsert: true }));
  });
}

/** Inserts a state that never changes; a second insert is a duplicate key, i.e. already counted. */
async function insertOnce<D>(model: Model<D>, doc: D): Promise<void> {
  try {
    await model.create(doc);
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
}

const at = (event: FoodXchangeEvent) => new Date(event.time);

type StatsHandler<T extends Topic> = (event: FoodXchangeEvent<T>, context: EventHandlerContext) => Promise<void>;

function handler<T extends Topic>(work: (event: FoodXchangeEvent<T>, models: ReturnType<typeof statsModels>, locks: AggregateLocks) => Promise<void>): StatsHandler<T> {
  return (event, { app }) => work(event, statsModels(app.mongo), app.locks);
}

const product = (status: string | undefined, version: number | undefined, event: FoodXchangeEvent): ProductFact => ({
  kind: 'snapshot',
  status: status ?? 'active',
  version: version ?? null,
  at: at(event),
});

const orderTransition = handler<'order.confirmed' | 'order.rejected' | 'order.status-changed'>((event, models, locks) => {
  const data = event.data as { orderId: string; to: string; currency?: string; totalMinor?: number };
  return applyToAggregate(
    locks,
    models.orders,
    data.orderId,
    reduceOrder(data.orderId, { state: data.to, at: at(event), currency: data.currency, totalMinor: data.totalMinor }),
  );
});

/** The stats handlers, one per topic the read model is built from (named `<topic>.stats`). */
export const statsSubscriptions: readonly Subscription[] = [
  subscribe(
    TOPICS.userRegistered,
    handler<'user.registered'>((event, models) => insertOnce(models.users, { _id: event.data.userId, role: event.data.role, at: at(event) })),
  ),
  subscribe(
    TOPICS.companyCreated,
    handler<'company.created'>((event, models, locks) =>
      applyToAggregate(locks, models.companies, event.data.companyId, reduceCompany(event.data.companyId, { verified: event.data.verified, at: at(event) })),
    ),
  ),
  subscribe(
    TOPICS.companyUpdated,
    handler<'company.updated'>((event, models, locks) =>
      applyToAggregate(locks, models.companies, event.data.companyId, reduceCompany(event.data.companyId, { verified: false, at: at(event) })),
    ),
  ),
  subscribe(
    TOPICS.companyVerified,
    handler<'company.verified'>((event, models, locks) =>
      applyToAggregate(locks, models.companies, event.data.companyId, reduceCompany(event.data.companyId, { verified: true, at: at(event) })),
    ),
  ),
  subscribe(
    TOPICS.productCreated,
    handler<'product.created'>((event, models, locks) =>
      applyToAggregate(locks, models.products, event.data.productId, reduceProduct(event.data.productId, product(event.data.status, event.data.version, event))),
    ),
  ),
  subscribe(
    TOPICS.productUpdated,
    handler<'product.updated'>((event, models, locks) =>
      applyToAggregate(locks, models.products, event.data.productId, reduceProduct(event.data.productId, product(event.data.status, event.data.version, event))),
    ),
  ),
  subscribe(
    TOPICS.productDeleted,
    handler<'product.deleted'>((event, models, locks) =>
      applyToAggregate(locks, models.products, event.data.productId, reduceProduct(event.data.productId, { kind: 'deleted', at: at(event) })),
    ),
  ),
  subscribe(
    TOPICS.rfqCreated,
    handler<'rfq.created'>((event, models, locks) =>
      applyToAggregate(locks, models.rfqs, event.data.rfqId, reduceRfq(event.data.rfqId, { kind: 'state', state: 'open', at: at(event) })),
    ),
  ),
  subscribe(
    TOPICS.rfqMatched,
    handler<'rfq.matched'>((event, models, locks) =>
      applyToAggregate(
        locks,
        models.rfqs,
        event.data.rfqId,
        reduceRfq(event.data.rfqId, { kind: 'matched', matchCount: event.data.matches.length, at: at(event) }),
      ),
    ),
  ),
  subscribe(
    TOPICS.rfqAwarded,
    handler<'rfq.awarded'>((event, models, locks) =>
      applyToAggregate(locks, models.rfqs, event.data.rfqId, reduceRfq(event.data.rfqId, { kind: 'state', state: 'awarded', at: at(event) })),
    ),
  ),
  subscribe(
    TOPICS.rfqCancelled,
    handler<'rfq.cancelled'>((event, models, locks) =>
      applyToAggregate(
        locks,
        models.rfqs,
        event.data.rfqId,
        reduceRfq(event.data.rfqId, { kind: 'state', state: event.data.status ?? 'cancelled', at: at(event) }),
      ),
    ),
  ),
  subscribe(
    TOPICS.quoteSubmitted,
    handler<'quote.submitted'>((event, models) => insertOnce(models.quotes, { _id: event.data.quoteId, rfqId: event.data.rfqId, at: at(event) })),
  ),
  subscribe(
    TOPICS.complianceChecked,
    handler<'compliance.checked'>((event, models, locks) =>
      applyToAggregate(
        locks,
        models.compliance,
        event.data.orderId,
        reduceCompliance(event.data.orderId, { checkId: event.data.checkId, passed: event.data.passed, at: at(event) }),
      ),
    ),
  ),
  subscribe(
    TOPICS.orderCreated,
    handler<'order.created'>((event, models, locks) =>
      applyToAggregate(
        locks,
        models.orders,
        event.data.orderId,
        reduceOrder(event.data.orderId, {
          state: event.data.status,
          at: at(event),
          currency: event.data.currency,
          totalMinor: event.data.totalMinor,
          createdAt: event.data.createdAt !== undefined ? new Date(event.data.createdAt) : at(event),
        }),
      ),
    ),
  ),
  subscribe(TOPICS.orderConfirmed, orderTransition),
  subscribe(TOPICS.orderRejected, orderTransition),
  subscribe(TOPICS.orderStatusChanged, orderTransition),
].map((subscription) => ({ ...subscription, name: `${subscription.topic}.stats` }));
