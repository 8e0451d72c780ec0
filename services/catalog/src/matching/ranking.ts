/**
 * Supplier ranking for an RFQ: pure (no I/O), so the formula is unit-tested fast and the same
 * catalog and RFQ always give the same ranking.
 *
 * Inputs are what the search gave per RFQ item (each supplier's best products for the item with
 * their Elasticsearch score) and what the catalog knows of each supplier company (its read copy).
 *
 * ## Formula (also in the catalog README, "Supplier matching")
 *
 * Per RFQ item and candidate product, an item score in [0, 1]:
 *
 *     item = 0.55·relevance + 0.15·category + 0.15·price + 0.15·moq
 *
 * - relevance: the product's Elasticsearch score divided by the best score any product got for
 *   this item in this run (so the best product of the item is 1). Products under 0.25 of the best
 *   are too weak a text match (fuzzy near-misses) and do not cover the item.
 * - category: 1 when the product is filed under the item's category leaf (or the item names a
 *   group the product is in), 0.5 in the same group only, 0 otherwise.
 * - price (only with a target price): the product's unit price for the item's quantity (the
 *   highest volume tier that quantity reaches, else the first), converted to the item's unit, at
 *   or under the target → 1; above → 0.5 × (1 − how far above, relative to the target), at
 *   least 0; priced in another currency or a unit that doesn't convert → 0.5 (not comparable).
 * - moq: the MOQ (in the item's unit) at or under the item's quantity → 1, above → 0; a unit that
 *   doesn't convert → 0.5.
 *
 * A criterion the RFQ does not state counts as met for every supplier (no target price, no
 * required certification, a category outside the taxonomy), so it never separates suppliers and
 * 100 means "everything the RFQ states is met".
 *
 * A supplier's best product per item gives that item's score (ties: the smaller product id). Then
 *
 *     score = 100 × (0.60·coverage + 0.20·certifications + 0.10·market + 0.10·verified)
 *
 * - coverage: the sum of the item scores divided by the number of RFQ items (an item the supplier
 *   has no product for counts 0), so covering more items always weighs most;
 * - certifications: the share of the required certification types the company holds a certificate
 *   for that is valid on the delivery date (1 when none are required); the others are listed in
 *   `missingCertifications`;
 * - market: 1 when the company's `marketsServed` names the delivery market (`EU`, `UK`, `US`,
 *   `INTL`, a country's own market) or the delivery country; 0 when it declares no markets (not
 *   declared: it doesn't add, it doesn't exclude either); a company whose declared markets leave
 *   the delivery out is not matched at all;
 * - verified: 1 for a company a platform admin verified.
 *
 * Scores are rounded to 2 decimals; suppliers are ordered by score, then by company id (a stable
 * key), and only companies that cover at least one item and are active are matched.
 */
import { CONTRACT_LIMITS, currencyExponent, type CertificationType, type SupplierMatch } from '@foodxchange/contracts';
import foldToAscii from 'fold-to-ascii';
import { categoryPathOf } from '../categories/taxonomy.js';

export const ITEM_WEIGHTS = { relevance: 0.55, category: 0.15, price: 0.15, moq: 0.15 } as const;
export const SUPPLIER_WEIGHTS = { coverage: 0.6, certifications: 0.2, market: 0.1, verified: 0.1 } as const;
/** Below this share of the item's best score a product is not a match for the item. */
export const MIN_RELEVANCE = 0.25;
export const MAX_MATCHES = CONTRACT_LIMITS.supplierMatches;

/** One RFQ line as matching sees it. */
export interface MatchItem {
  /** Position in the RFQ (0-based). */
  index: number;
  /** The RFQ's item id (absent for an ad-hoc HTTP match). */
  rfqItemId?: string;
  name: string;
  category: string;
  quantity: number;
  unit: string;
  /** Target price per `unit`, minor units of `currency`. */
  targetUnitPriceMinor?: number;
  currency?: string;
}

export interface MatchRequest {
  items: MatchItem[];
  requiredCertifications: CertificationType[];
  deliveryCountry: string;
  /** The delivery country's market (contracts' marketForCountry, or the RFQ's own). */
  market: string;
  /** Certificates must be valid at this instant (start of the delivery day, or now). */
  deliveryDate: Date;
}

/** A product the search found for an item, with the fields ranking needs. */
export interface CandidateProduct {
  productId: string;
  supplierCompanyId: string;
  name: string;
  /** The raw Elasticsearch score for this item's query. */
  score: number;
  category: string;
  moq: number;
  unit: string;
  currency: string;
  /** Volume tiers (unit price per product unit, minor units of `currency`). */
  priceTiers?: ReadonlyArray<{ minQuantity: number; unitPriceMinor: number }>;
  /** Unit price at the MOQ: used when the tiers are not at hand. */
  priceAtMoqMinor?: number;
}

/** What the search returned for one item: candidates of many suppliers and the best score. */
export interface ItemHits {
  itemIndex: number;
  maxScore: number;
  products: CandidateProduct[];
}

/** What the catalog knows of a supplier company. */
export interface SupplierFacts {
  supplierCompanyId: string;
  companyName: string;
  verified: boolean;
  active: boolean;
  marketsServed: string[];
  /** Certification types with a certificate valid on the delivery date. */
  validCertifications: CertificationType[];
}

/** A SupplierMatch whose matched items carry their position in the request too. */
export interface RankedMatch extends SupplierMatch {
  matchedItems: Array<SupplierMatch['matchedItems'][number] & { itemIndex: number }>;
  matchedItemCount: number;
}

// --- units -------------------------------------------------------------------------------

/** Units that convert into each other: factor to the dimension's base unit (kg, l). */
const UNIT_FACTORS: Record<string, { dimension: string; factor: number }> = {
  g: { dimension: 'mass', factor: 0.001 },
  kg: { dimension: 'mass', factor: 1 },
  t: { dimension: 'mass', factor: 1000 },
  ml: { dimension: 'volume', factor: 0.001 },
  cl: { dimension: 'volume', factor: 0.01 },
  l: { dimension: 'volume', factor: 1 },
  hl: { dimension: 'volume', factor: 100 },
};

const normaliseUnit = (unit: string) => unit.trim().toLowerCase();

/** How many `to` one `from` is (kg → t: 0.001), or undefined when they don't convert. */
export function unitRatio(from: string, to: string): number | undefined {
  const a = normaliseUnit(from);
  const b = normaliseUnit(to);
  if (a === b) return 1;
  const fa = UNIT_FACTORS[a];
  const fb = UNIT_FACTORS[b];
  if (!fa || !fb || fa.dimension !== fb.dimension) return undefined;
  return fa.factor / fb.factor;
}

// --- item level ---------------------------------------------------------------------------

interface ItemEvaluation {
  product: CandidateProduct;
  itemScore: number;
  reason: string;
}

function categoryFit(itemCategory: string, productCategory: string): { fit: number; text: string } {
  const itemPath = categoryPathOf(itemCategory);
  if (itemPath.length === 0) return { fit: 1, text: 'category not in the taxonomy' };
  const productPath = categoryPathOf(productCategory);
  if (productCategory === itemCategory || (itemPath.length === 1 && productPath[0] === itemPath[0])) {
    return { fit: 1, text: 'category fits' };
  }
  if (productPath[0] === itemPath[0]) return { fit: 0.5, text: `same group (${productCategory})` };
  return { fit: 0, text: `other category (${productCategory})` };
}

/** Decimal text of minor units, e.g. 180 EUR → "1.80". */
function money(minor: number, currency: string): string {
  const digits = currencyExponent(currency);
  return (minor / 10 ** digits).toFixed(digits);
}

/** Compact number for reasons: 2.5, 100, 0.125. */
const num = (value: number) => String(Number(value.toPrecision(6)));

/** The unit price (per product unit) a buyer of `quantity` product units pays: the highest tier reached, else the first. */
export function tierPriceAt(tiers: ReadonlyArray<{ minQuantity: number; unitPriceMinor: number }>, quantity: number): number | undefined {
  const ordered = [...tiers].sort((a, b) => a.minQuantity - b.minQuantity);
  let price = ordered[0]?.unitPriceMinor;
  for (const tier of ordered) if (tier.minQuantity <= quantity + 1e-9) price = tier.unitPriceMinor;
  return price;
}

function priceFit(item: MatchItem, product: CandidateProduct): { fit: number; text?: string } {
  if (item.targetUnitPriceMinor === undefined || !item.currency) return { fit: 1 };
  const target = item.targetUnitPriceMinor;
  const targetText = `target ${money(target, item.currency)} ${item.currency}`;
  if (product.currency !== item.currency) return { fit: 0.5, text: `priced in ${product.currency}, ${targetText}` };
  // one item unit is `ratio` product units (item in kg, product per t: 0.001)
  const ratio = unitRatio(item.unit, product.unit);
  const tiers = product.priceTiers?.length ? product.priceTiers : product.priceAtMoqMinor !== undefined ? [{ minQuantity: 0, unitPriceMinor: product.priceAtMoqMinor }] : [];
  const perProductUnit = ratio === undefined ? undefined : tierPriceAt(tiers, item.quantity * ratio);
  if (ratio === undefined || perProductUnit === undefined) return { fit: 0.5, text: `priced per ${product.unit}, ${targetText}` };
  const price = perProductUnit * ratio;
  const priceText = `${money(Math.round(price), item.currency)} ${item.currency}/${item.unit}`;
  if (price <= target) return { fit: 1, text: `${priceText} <= ${targetText}` };
  const above = target === 0 ? 1 : (price - target) / target;
  return { fit: 0.5 * Math.max(0, 1 - above), text: `${priceText} > ${targetText}` };
}

function moqFit(item: MatchItem, product: CandidateProduct): { fit: number; text: string } {
  const ratio = unitRatio(product.unit, item.unit);
  if (ratio === undefined) return { fit: 0.5, text: `sold per ${product.unit}, RFQ in ${item.unit}` };
  const moq = product.moq * ratio;
  return moq <= item.quantity + 1e-9
    ? { fit: 1, text: `MOQ ${num(moq)} ${item.unit} <= ${num(item.quantity)}` }
    : { fit: 0, text: `MOQ ${num(moq)} ${item.unit} > ${num(item.quantity)}` };
}

/** Printable ASCII only (the contract's reason pattern): accents folded, anything else dropped. */
export function asciiText(text: string): string {
  // called on its module object: the library's functions use `this`
  return foldToAscii.foldReplacing(text.normalize('NFC'), '?').replace(/[^ -~]/g, '?');
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

function evaluate(item: MatchItem, product: CandidateProduct, maxScore: number): ItemEvaluation | undefined {
  const relevance = maxScore > 0 ? Math.min(1, product.score / maxScore) : 0;
  if (relevance < MIN_RELEVANCE) return undefined;
  const category = categoryFit(item.category, product.category);
  const price = priceFit(item, product);
  const moq = moqFit(item, product);
  const itemScore =
    ITEM_WEIGHTS.relevance * relevance + ITEM_WEIGHTS.category * category.fit + ITEM_WEIGHTS.price * price.fit + ITEM_WEIGHTS.moq * moq.fit;
  const parts = [`relevance ${relevance.toFixed(2)}`, category.text, moq.text, ...(price.text ? [price.text] : [])];
  const tail = `; ${parts.join('; ')}`;
  const budget = CONTRACT_LIMITS.matchReasonLength - tail.length - 2;
  const name = budget >= 8 ? `"${shorten(asciiText(product.name), budget)}"` : '';
  return { product, itemScore, reason: shorten(`${name}${tail}`.replace(/^; /, ''), CONTRACT_LIMITS.matchReasonLength) };
}

/** Best first; a tie goes to the smaller product id. */
const byItemScore = (a: ItemEvaluation, b: ItemEvaluation) =>
  b.itemScore - a.itemScore || (a.product.productId < b.product.productId ? -1 : a.product.productId > b.product.productId ? 1 : 0);

// --- supplier level -----------------------------------------------------------------------

/** Whether the company serves the delivery: 'served', 'undeclared' (no markets named) or 'not-served'. */
export function marketStanding(marketsServed: readonly string[], market: string, country: string): 'served' | 'undeclared' | 'not-served' {
  if (marketsServed.length === 0) return 'undeclared';
  const wanted = new Set([market.toUpperCase(), country.toUpperCase()]);
  return marketsServed.some((code) => wanted.has(code.toUpperCase())) ? 'served' : 'not-served';
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/**
 * Ranks the suppliers found for an RFQ, best first, at most `limit` (the contract's 20).
 * `suppliers` lacks companies the catalog knows nothing of: they are skipped.
 */
export function rankSuppliers(
  request: MatchRequest,
  hits: readonly ItemHits[],
  suppliers: ReadonlyMap<string, SupplierFacts>,
  { limit = MAX_MATCHES }: { limit?: number } = {},
): RankedMatch[] {
  const itemCount = request.items.length;
  if (itemCount === 0) return [];
  const itemsByIndex = new Map(request.items.map((item) => [item.index, item]));

  // supplier → item index → evaluations of its products for that item
  const perSupplier = new Map<string, Map<number, ItemEvaluation[]>>();
  for (const itemHits of hits) {
    const item = itemsByIndex.get(itemHits.itemIndex);
    if (!item) continue;
    for (const product of itemHits.products) {
      const evaluation = evaluate(item, product, itemHits.maxScore);
      if (!evaluation) continue;
      const items = perSupplier.get(product.supplierCompanyId) ?? new Map<number, ItemEvaluation[]>();
      const list = items.get(item.index) ?? [];
      // the same product found twice for an item (it should not be) counts once
      if (!list.some((other) => other.product.productId === product.productId)) list.push(evaluation);
      items.set(item.index, list);
      perSupplier.set(product.supplierCompanyId, items);
    }
  }

  const matches: RankedMatch[] = [];
  for (const [supplierCompanyId, items] of perSupplier) {
    const facts = suppliers.get(supplierCompanyId);
    if (!facts || !facts.active) continue;
    const standing = marketStanding(facts.marketsServed, request.market, request.deliveryCountry);
    if (standing === 'not-served') continue;

    let coveredScore = 0;
    const matchedItems: RankedMatch['matchedItems'] = [];
    for (const item of [...request.items].sort((a, b) => a.index - b.index)) {
      const evaluations = items.get(item.index);
      if (!evaluations || evaluations.length === 0) continue;
      evaluations.sort(byItemScore);
      const best = evaluations[0]!;
      coveredScore += best.itemScore;
      matchedItems.push({
        itemIndex: item.index,
        ...(item.rfqItemId ? { rfqItemId: item.rfqItemId } : {}),
        name: item.name,
        productIds: evaluations.slice(0, CONTRACT_LIMITS.productsPerMatchedItem).map((evaluation) => evaluation.product.productId),
        reason: best.reason,
      });
    }
    if (matchedItems.length === 0) continue;

    const held = new Set(facts.validCertifications);
    const required = [...new Set(request.requiredCertifications)];
    const missingCertifications = required.filter((type) => !held.has(type));
    const certifications = required.length === 0 ? 1 : (required.length - missingCertifications.length) / required.length;
    const score =
      100 *
      (SUPPLIER_WEIGHTS.coverage * (coveredScore / itemCount) +
        SUPPLIER_WEIGHTS.certifications * certifications +
        SUPPLIER_WEIGHTS.market * (standing === 'served' ? 1 : 0) +
        SUPPLIER_WEIGHTS.verified * (facts.verified ? 1 : 0));

    matches.push({
      supplierCompanyId,
      companyName: facts.companyName,
      score: round2(score),
      matchedItems,
      matchedItemCount: matchedItems.length,
      missingCertifications,
      verified: facts.verified,
    });
  }

  matches.sort(
    (a, b) => b.score - a.score || (a.supplierCompanyId < b.supplierCompanyId ? -1 : a.supplierCompanyId > b.supplierCompanyId ? 1 : 0),
  );
  return matches.slice(0, limit).map((match) => ({
    ...match,
    matchedItems: match.matchedItems.slice(0, CONTRACT_LIMITS.matchedItemsSample),
  }));
}
