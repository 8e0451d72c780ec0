import { createHash, randomUUID } from 'node:crypto';
import { ConflictError, ServiceUnavailableError, ValidationError, isDuplicateKeyError, type EventContext } from '@foodxchange/service-kit';
import { lineTotalMinor, marketForCountry, sumMinor, type CertificationType } from '@foodxchange/contracts';
import type { CopiedPriceTier, ProductCopyDoc } from '../products/model.js';
import { findProductCopies } from '../products/service.js';
import { compact } from '../orders/event-data.js';
import type { OrderDoc, OrderLine } from '../orders/model.js';
import { insertOrder, type Actor, type NewOrder, type OrderDeps } from '../orders/service.js';
import { deleteExpiredClaim, idempotencyLockKey, isLive, type IdempotencyKeyDoc } from './keys.js';
import type { PurchaseBody } from './schemas.js';

/** JSON with object keys sorted, so two equal bodies hash the same whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function requestHash(body: PurchaseBody): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/** The price tier a quantity buys at: the one with the highest minQuantity the quantity reaches. */
export function applicableTier(tiers: readonly CopiedPriceTier[], quantity: number): CopiedPriceTier | undefined {
  let best: CopiedPriceTier | undefined;
  for (const tier of tiers) {
    if (tier.minQuantity <= quantity && (!best || tier.minQuantity > best.minQuantity)) best = tier;
  }
  return best;
}

const today = (now: Date) => now.toISOString().slice(0, 10);

interface PricedLine {
  line: OrderLine;
  copy: ProductCopyDoc;
  currency: string;
}

/**
 * Prices the request from the product copies, collecting every problem as a field error:
 * unknown, deleted or inactive products, products of several suppliers or currencies, a
 * quantity below the MOQ or below every price tier.
 */
function priceLines(body: PurchaseBody, copies: Map<string, ProductCopyDoc>, buyerCompanyId: string, now: Date): PricedLine[] {
  const fields: Record<string, string[]> = {};
  const add = (path: string, message: string) => (fields[path] ??= []).push(message);
  if (body.deliveryDate < today(now)) add('body.deliveryDate', 'must be today or later');

  const seen = new Map<string, number>();
  const priced: PricedLine[] = [];
  body.items.forEach((item, index) => {
    const at = `body.items.${index}`;
    const earlier = seen.get(item.productId);
    if (earlier !== undefined) {
      add(`${at}.productId`, `is already ordered in items.${earlier}: put the whole quantity on one line`);
      return;
    }
    seen.set(item.productId, index);
    const copy = copies.get(item.productId);
    if (!copy) return add(`${at}.productId`, 'is not a product of the catalogue');
    if (copy.status === 'deleted') return add(`${at}.productId`, 'was deleted from the catalogue');
    if (copy.status !== 'active') return add(`${at}.productId`, 'is not offered at the moment (inactive)');
    if (copy.supplierCompanyId === buyerCompanyId) return add(`${at}.productId`, "is your own company's product");
    const first = priced[0];
    if (first && copy.supplierCompanyId !== first.copy.supplierCompanyId) {
      return add(`${at}.productId`, `is sold by another supplier than ${first.copy._id}: order from one supplier at a time`);
    }
    const unit = copy.unit ?? '';
    if (copy.moq !== undefined && item.quantity < copy.moq) {
      return add(`${at}.quantity`, `is below the product's minimum order quantity of ${copy.moq} ${unit}`.trim());
    }
    if (copy.priceTiers.length === 0) return add(`${at}.productId`, 'has no price in the catalogue');
    const tier = applicableTier(copy.priceTiers, item.quantity);
    if (!tier) {
      const smallest = Math.min(...copy.priceTiers.map((candidate) => candidate.minQuantity));
      return add(`${at}.quantity`, `is below the smallest price tier (from ${smallest} ${unit})`.trim());
    }
    if (first && tier.currency !== first.currency) {
      return add(`${at}.productId`, `is priced in ${tier.currency}, the other lines in ${first.currency}: one currency per order`);
    }
    priced.push({
      copy,
      currency: tier.currency,
      line: compact({
        lineId: `line-${index + 1}`,
        productId: copy._id,
        sku: copy.sku,
        name: copy.name ?? copy.sku ?? copy._id,
        category: copy.category,
        quantity: item.quantity,
        unit,
        unitPriceMinor: tier.unitPriceMinor,
        lineTotalMinor: lineTotalMinor(item.quantity, tier.unitPriceMinor),
        originCountry: copy.originCountry,
        allergens: [...copy.allergens],
        certifications: [...copy.certifications],
        priceTierMinQuantity: tier.minQuantity,
      }),
    });
  });
  if (Object.keys(fields).length > 0) throw new ValidationError('The order cannot be placed as it is', fields);
  return priced;
}

/** Two requests claiming one key at once lose to each other at most this often in a row. */
const MAX_CLAIM_ATTEMPTS = 5;

/** The order of a purchase request, priced; 400 (nothing written) for what cannot be ordered. */
async function purchaseOrder(deps: OrderDeps, buyer: Actor & { companyId: string }, body: PurchaseBody, now: Date): Promise<NewOrder> {
  const copies = await findProductCopies(deps.products, body.items.map((item) => item.productId));
  const priced = priceLines(body, copies, buyer.companyId, now);
  const supplier = priced[0]!.copy;
  const items = priced.map((entry) => entry.line);
  return compact({
    createdFrom: 'catalog' as const,
    buyerCompanyId: buyer.companyId,
    buyerUserId: buyer.userId,
    supplierCompanyId: supplier.supplierCompanyId,
    supplierName: supplier.supplierName,
    partyCompanyIds: [buyer.companyId, supplier.supplierCompanyId],
    status: 'pending_compliance' as const,
    currency: priced[0]!.currency,
    items,
    totalMinor: sumMinor(items.map((line) => line.lineTotalMinor)),
    deliveryCountry: body.deliveryCountry,
    // Blocs and the baseline: a country-specific rule set is compliance's to know, it re-maps.
    market: marketForCountry(body.deliveryCountry),
    requiredCertifications: [...(body.requiredCertifications ?? [])] as CertificationType[],
    deliveryDate: body.deliveryDate,
    note: body.note,
    statusHistory: [compact({ to: 'pending_compliance' as const, by: buyer.userId, byRole: buyer.role, at: now, note: body.note ?? 'Ordered from the catalogue' })],
    createdAt: now,
    updatedAt: now,
  });
}

/** Inserts the order a claim named; if another request inserted it first, that order (created: false). */
function insertClaimedOrder(deps: OrderDeps, fields: NewOrder, orderId: string, context: EventContext) {
  const findExisting = () => deps.orders.findById(orderId).select({ outbox: 0 }).lean<OrderDoc>();
  return insertOrder(deps, fields, context, findExisting, orderId);
}

/**
 * `POST /orders`: a direct catalogue purchase. One order per (buyer company, Idempotency-Key) and
 * life of the key (ORDER_IDEMPOTENCY_RETENTION_HOURS, Stripe's 24 hours by default):
 *
 * - a live claim answers: another body 409; the same body its order (200), or, when that order is
 *   not there (the claiming request is still on its way, or stopped after the claim), makes it
 *   with the claim's order id — of two such inserts the order's unique `_id` keeps one;
 * - no claim, or an expired one (the cleanup job has not run yet): the request is priced first (a
 *   400 writes nothing), the expired claim is deleted — only that claim, by its order id, never a
 *   new life another request just claimed — and a new claim inserted; of concurrent requests the
 *   unique `_id` of the claim lets one win, the others start over and answer as its replays.
 *
 * Priced from this service's product copies.
 */
export async function placePurchase(
  deps: OrderDeps,
  buyer: Actor & { companyId: string },
  idempotencyKey: string,
  body: PurchaseBody,
  context: EventContext,
  now = new Date(),
): Promise<{ order: OrderDoc; created: boolean }> {
  const scope = `${buyer.companyId}|${idempotencyKey}`;
  const hash = requestHash(body);
  for (let attempt = 1; ; attempt += 1) {
    const claim = await deps.idempotencyKeys.findById(scope).lean<IdempotencyKeyDoc>();
    if (claim && isLive(claim, now)) {
      if (claim.requestHash !== hash) {
        throw new ConflictError('This Idempotency-Key was already used with another request body', { idempotencyKey, orderId: claim.orderId });
      }
      const made = await deps.orders.findById(claim.orderId).select({ outbox: 0 }).lean<OrderDoc>();
      if (made) return { order: made, created: false };
      return insertClaimedOrder(deps, await purchaseOrder(deps, buyer, body, now), claim.orderId, context);
    }

    const fields = await purchaseOrder(deps, buyer, body, now);
    const orderId = randomUUID();
    const newClaim = () =>
      deps.idempotencyKeys.create({
        _id: scope,
        orderId,
        requestHash: hash,
        createdAt: now,
        expiresAt: new Date(now.getTime() + deps.idempotencyRetentionMs),
      });
    let claimed: boolean;
    try {
      if (!claim) {
        await newClaim();
        claimed = true;
      } else {
        // Replacing an expired claim deletes it first. FerretDB runs a conditional delete as a read,
        // then a delete by `_id`, so two replacers could each delete what the other just claimed:
        // they take turns under the key's lock, and each looks again under it.
        claimed = await deps.locks.withLock(idempotencyLockKey(scope), async () => {
          if ((await deleteExpiredClaim(deps.idempotencyKeys, scope, now)) === 'live') return false;
          await newClaim();
          return true;
        });
      }
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      claimed = false;
    }
    if (!claimed) {
      // Another request claimed the key first: answer as its replay (or 409).
      if (attempt >= MAX_CLAIM_ATTEMPTS) {
        throw new ServiceUnavailableError('The Idempotency-Key is being claimed by concurrent requests; try again', { idempotencyKey });
      }
      continue;
    }
    return insertClaimedOrder(deps, fields, orderId, context);
  }
}
