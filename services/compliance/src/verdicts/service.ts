import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { TOPICS, type OrderCreatedData } from '@foodxchange/contracts';
import { NotFoundError, isDuplicateKeyError, stageEvent, type EventContext } from '@foodxchange/service-kit';
import { complianceCheckedData } from '../checks/events.js';
import type { CheckModel } from '../checks/model.js';
import { findCompanyCopy, type CompanyCopyDeps } from '../companies/service.js';
import type { CompanyCopyDoc } from '../companies/model.js';
import { marketForCountry } from '../markets/markets.js';
import { findProductCopies, type ProductCopyDeps } from '../products/service.js';
import type { ProductCopyDoc } from '../products/model.js';
import { evaluateCompliance, type ProposedProduct, type Violation } from '../rules/evaluate.js';
import type { RuleSetModel } from '../rules/model.js';
import { getRuleSet, knownMarkets, toRules } from '../rules/service.js';
import type { PendingOrderDoc, PendingOrderModel } from './model.js';

export interface VerdictDeps {
  ruleSets: RuleSetModel;
  checks: CheckModel;
  pending: PendingOrderModel;
  companies: Pick<CompanyCopyDeps, 'companies'>;
  products: Pick<ProductCopyDeps, 'products'>;
  /** Tells the outbox relay a verdict staged its event. */
  published: () => void;
  /** How long an order waits for a missing copy (COMPLIANCE_COPY_WAIT_MS). */
  copyWaitMs: number;
  /** The event context of a verdict (source = compliance, the order event's correlation id). */
  context: (correlationId: string) => EventContext;
  log: FastifyBaseLogger;
}

/** An order to decide: its `order.created` data and where it came from. */
export interface OrderToCheck {
  order: OrderCreatedData;
  eventId: string;
  correlationId: string;
}

export type VerdictOutcome =
  | { status: 'decided'; checkId: string; passed: boolean }
  /** Another delivery, replica or sweep decided it first. */
  | { status: 'already-decided' }
  /** A copy is missing and the wait is not over: parked in pending_orders. */
  | { status: 'waiting'; missing: string[] };

export const companyKey = (companyId: string) => `company:${companyId}`;
export const productKey = (productId: string) => `product:${productId}`;

async function hasVerdict(checks: CheckModel, orderId: string): Promise<boolean> {
  return (await checks.exists({ verdictOrderId: orderId })) !== null;
}

/** What compliance holds about the order's supplier and products, and what it lacks. */
async function copiesFor(deps: VerdictDeps, order: OrderCreatedData) {
  const productIds = order.items.flatMap((item) => (item.productId ? [item.productId] : []));
  const [company, products] = await Promise.all([
    findCompanyCopy(deps.companies, order.supplierCompanyId),
    findProductCopies(deps.products, productIds),
  ]);
  const missing: string[] = [];
  if (!company?.certificationsKnown) missing.push(companyKey(order.supplierCompanyId));
  for (const id of new Set(productIds)) {
    // A tombstone (deleted before any snapshot reached us) will never gain content: not waited for.
    if (!products.has(id)) missing.push(productKey(id));
  }
  return { company, products, missing };
}

/**
 * The goods of each order line as the verdict evaluates them: from compliance's product copy when
 * the line names a product (the catalogue's allergen list is the supplier's declaration; a label
 * list the line states can only add findings), otherwise from the line itself — and a line that
 * states no allergens has not declared them.
 */
function goodsOf(order: OrderCreatedData, products: Map<string, ProductCopyDoc>): ProposedProduct[] {
  return order.items.map((item) => {
    const copy = item.productId ? products.get(item.productId) : undefined;
    if (copy?.contentKnown) {
      return {
        productId: copy._id,
        sku: copy.sku ?? item.sku,
        name: copy.name ?? item.name,
        allergens: copy.allergens,
        labelledAllergens: item.labelledAllergens ?? copy.allergens,
        ...(copy.originCountry ? { originCountry: copy.originCountry } : {}),
      };
    }
    return {
      ...(item.productId ? { productId: item.productId } : {}),
      ...(item.sku ? { sku: item.sku } : {}),
      name: item.name,
      allergens: item.allergens ?? [],
      labelledAllergens: item.labelledAllergens ?? item.allergens ?? [],
      ...(item.originCountry ? { originCountry: item.originCountry } : {}),
      ...(item.allergens === undefined ? { allergensUnknown: true } : {}),
    };
  });
}

/** Findings for the copies still missing when the wait is over: the order fails, saying what is missing. */
function missingDataViolations(order: OrderCreatedData, company: CompanyCopyDoc | null, products: Map<string, ProductCopyDoc>): Violation[] {
  const violations: Violation[] = [];
  if (!company?.certificationsKnown) {
    violations.push({
      code: 'SUPPLIER_DATA_MISSING',
      rule: 'readCopies',
      message: `Compliance holds no certificate record of supplier ${order.supplierCompanyId}`,
    });
  }
  order.items.forEach((item, itemIndex) => {
    if (!item.productId) return;
    const copy = products.get(item.productId);
    if (copy?.contentKnown) return;
    const label = item.sku ?? item.productId;
    violations.push({
      code: 'PRODUCT_DATA_MISSING',
      rule: 'readCopies',
      itemIndex,
      productId: item.productId,
      product: label,
      message: copy
        ? `${label} was removed from the catalogue before compliance knew its allergens and origin`
        : `Compliance holds no catalogue record of ${label}`,
    });
  });
  return violations;
}

/**
 * Decides an order's compliance verdict from the copies compliance holds, at most once per order:
 * the verdict is an insert unique on `verdictOrderId` carrying its `compliance.checked` event in
 * its outbox, so a redelivery, a second replica or a sweep racing it finds it decided.
 *
 * A missing copy (the supplier's certificates, a product the order names): the order waits,
 * parked in pending_orders, until the copy arrives (its consumer re-checks the order) or
 * `copyWaitMs` after compliance first saw it (the sweep then fails it with SUPPLIER_DATA_MISSING /
 * PRODUCT_DATA_MISSING). It never passes on data compliance does not hold.
 */
export async function decideOrder(deps: VerdictDeps, input: OrderToCheck, now = new Date(), firstSeenAt?: Date): Promise<VerdictOutcome> {
  const { order } = input;
  if (await hasVerdict(deps.checks, order.orderId)) {
    await deps.pending.deleteOne({ _id: order.orderId });
    return { status: 'already-decided' };
  }
  const { company, products, missing } = await copiesFor(deps, order);
  const seenAt = firstSeenAt ?? now;
  if (missing.length > 0 && now.getTime() < seenAt.getTime() + deps.copyWaitMs) {
    await deps.pending.updateOne(
      { _id: order.orderId },
      {
        $setOnInsert: { order, eventId: input.eventId, correlationId: input.correlationId, firstSeenAt: seenAt },
        $set: { missing, updatedAt: now },
      },
      { upsert: true },
    );
    // Decided meanwhile elsewhere (whose delete of the parked order may have preceded our write):
    // its verdict is inserted before its delete, so checking after our write leaves no stray.
    if (await hasVerdict(deps.checks, order.orderId)) {
      await deps.pending.deleteOne({ _id: order.orderId });
      return { status: 'already-decided' };
    }
    deps.log.info({ orderId: order.orderId, missing }, 'order waits for read copies before its verdict');
    return { status: 'waiting', missing };
  }

  // The market whose rules apply is compliance's own mapping of the delivery country.
  const market = marketForCountry(order.deliveryCountry, await knownMarkets(deps.ruleSets));
  const ruleSet = await getRuleSet(deps.ruleSets, market).catch((error: unknown) => {
    // Only before the default rule sets are seeded (a first start): retried by the consumer.
    if (error instanceof NotFoundError) throw Object.assign(new Error(`No rule set for market ${market} yet`), { retryable: true });
    throw error;
  });
  const goods = goodsOf(order, products);
  const certifications = company?.certifications ?? [];
  const evaluation = evaluateCompliance(
    toRules(ruleSet),
    { certifications, products: goods, ...(order.deliveryDate ? { deliveryDate: order.deliveryDate } : {}), certificatesValidOn: 'delivery' },
    now,
  );
  const missingData = missingDataViolations(order, company, products);
  // A line whose product compliance knows nothing of is reported once, as missing data, not
  // again for the allergens and origin its copy would have told.
  const linesWithoutData = new Set(missingData.flatMap((finding) => (finding.code === 'PRODUCT_DATA_MISSING' ? [finding.itemIndex] : [])));
  const violations = [
    ...missingData,
    ...evaluation.violations.filter((finding) => finding.itemIndex === undefined || !linesWithoutData.has(finding.itemIndex)),
  ];

  const doc = new deps.checks({
    _id: randomUUID(),
    kind: 'verdict',
    verdictOrderId: order.orderId,
    market: ruleSet.market,
    ruleSetVersion: ruleSet.version,
    deliveryCountry: order.deliveryCountry,
    orderId: order.orderId,
    rfqId: order.rfqId,
    buyerCompanyId: order.buyerCompanyId,
    supplierCompanyId: order.supplierCompanyId,
    supplierName: order.supplierName ?? company?.name,
    deliveryDate: order.deliveryDate,
    passed: violations.length === 0,
    violations,
    warnings: evaluation.warnings,
    certifications: certifications.map(({ type, number, issuedBy, validFrom, validUntil }) => ({ type, number, issuedBy, validFrom, validUntil })),
    products: goods.map((product) => ({ ...product, allergens: [...product.allergens], labelledAllergens: [...product.labelledAllergens] })),
    checkedAt: now,
    correlationId: input.correlationId,
    partyCompanyIds: [...new Set([order.buyerCompanyId, order.supplierCompanyId])],
  });
  const data = complianceCheckedData(doc)!;
  doc.eventId = stageEvent(doc, TOPICS.complianceChecked, doc._id, data, deps.context(input.correlationId)).id;
  try {
    await doc.save();
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    await deps.pending.deleteOne({ _id: order.orderId });
    return { status: 'already-decided' };
  }
  deps.published();
  // Only a parked order (re-checked with the time it was first seen) has a document to remove; a
  // stray one left by a redelivery while it was parked goes at the next sweep (it finds the verdict).
  if (firstSeenAt) await deps.pending.deleteOne({ _id: order.orderId });
  deps.log.info({ orderId: order.orderId, checkId: doc._id, passed: doc.passed, violations: violations.length }, 'order verdict decided');
  return { status: 'decided', checkId: doc._id, passed: doc.passed };
}

/** Re-checks one parked order (its wait counted from when it was first seen). */
export function decidePending(deps: VerdictDeps, pending: PendingOrderDoc, now = new Date()): Promise<VerdictOutcome> {
  return decideOrder(deps, { order: pending.order, eventId: pending.eventId, correlationId: pending.correlationId }, now, pending.firstSeenAt);
}

/** A copy arrived: re-checks the orders that were waiting for it. */
export async function recheckWaitingFor(deps: VerdictDeps, key: string): Promise<void> {
  const waiting = await deps.pending.find({ missing: key }).lean<PendingOrderDoc[]>();
  for (const pending of waiting) await decidePending(deps, pending);
}

/**
 * One sweep: re-checks every parked order (decided now if its copies arrived meanwhile or its wait
 * is over). Every replica sweeps; the verdict's unique insert keeps it one per order.
 */
export async function sweepPending(deps: VerdictDeps, now = new Date(), limit = 200): Promise<number> {
  const waiting = await deps.pending.find().sort({ firstSeenAt: 1 }).limit(limit).lean<PendingOrderDoc[]>();
  let decided = 0;
  for (const pending of waiting) {
    const outcome = await decidePending(deps, pending, now);
    if (outcome.status !== 'waiting') decided += 1;
  }
  return decided;
}
