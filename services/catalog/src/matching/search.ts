import type { Client, estypes } from '@elastic/elasticsearch';
import { ServiceUnavailableError } from '@foodxchange/service-kit';
import { categoryPathOf } from '../categories/taxonomy.js';
import { liveProductFilters, textQuery } from '../search/queries.js';
import type { CandidateProduct, ItemHits, MatchItem, MatchRequest } from './ranking.js';

/**
 * The Elasticsearch side of matching: one search per RFQ item, all in one `msearch` round trip,
 * each collapsed on the supplier so one supplier with many similar products cannot crowd the
 * others out of an item's top suppliers.
 */

export interface MatchSearchOptions {
  /** How many suppliers (collapsed groups) each item's search returns, best first. */
  suppliersPerItem: number;
  /** How many products per supplier and item are weighed and named (1: the best only, one round trip). */
  productsPerSupplier: number;
}

/**
 * One item's search: `collapse` (the first pass) returns each supplier's best product, the
 * best `size` suppliers; `supplierIds` (the second pass) returns the best products of those
 * suppliers only, not collapsed. Collapse's own inner_hits would give several products per
 * supplier in one pass, but run one extra search per group (measured: ~0.6 s for a 5-item RFQ
 * on 100k products against ~25 ms without).
 */
export interface ItemSearchShape {
  size: number;
  collapse: boolean;
  supplierIds?: readonly string[];
}

/** Index fields ranking reads (plus the supplier fields, used when a company copy is missing). */
const SOURCE_FIELDS = [
  'productId',
  'supplierCompanyId',
  'name',
  'category',
  'moq',
  'unit',
  'currency',
  'priceTiers',
  'priceAtMoqMinor',
  'supplierName',
  'supplierVerified',
  'supplierActive',
  'supplierMarkets',
  'supplierCertifications',
] as const;

/** Those fields of an index document (the search part's ProductIndexDocument names them alike). */
export interface MatchSource {
  productId: string;
  supplierCompanyId: string;
  name: string;
  category: string;
  moq: number;
  unit: string;
  currency: string;
  priceTiers?: Array<{ minQuantity: number; unitPriceMinor: number; currency?: string }>;
  priceAtMoqMinor?: number;
  supplierName?: string;
  supplierVerified: boolean;
  supplierActive: boolean;
  supplierMarkets?: string[];
  /** ISO instants (a date-only bound stands for the whole UTC day). */
  supplierCertifications?: Array<{ type: string; validFrom: string; validUntil: string }>;
}

/**
 * The filters of an item's search: live products of active suppliers; in the item's category
 * group when the item names a known category (a tomato request never lists ketchup from the
 * preserved-food group; the leaf itself is scored, not filtered, so a neighbouring leaf still
 * counts); and suppliers that serve the delivery market or country or declare no markets at all.
 */
export function itemFilters(item: MatchItem, request: Pick<MatchRequest, 'market' | 'deliveryCountry'>): estypes.QueryDslQueryContainer[] {
  const filters = [...liveProductFilters()];
  const group = categoryPathOf(item.category)[0];
  if (group) filters.push({ term: { categoryPath: group } });
  filters.push({
    bool: {
      should: [
        { terms: { supplierMarkets: [...new Set([request.market, request.deliveryCountry])] } },
        { bool: { must_not: { exists: { field: 'supplierMarkets' } } } },
      ],
      minimum_should_match: 1,
    },
  });
  return filters;
}

/** The search body of one RFQ item. */
export function itemSearchBody(item: MatchItem, request: MatchRequest, shape: ItemSearchShape): estypes.MsearchMultisearchBody {
  const filter = itemFilters(item, request);
  if (shape.supplierIds) filter.push({ terms: { supplierCompanyId: [...shape.supplierIds] } });
  return {
    // Filters never change a score: both passes score a product alike, so their scores compare.
    query: { bool: { must: [textQuery(item.name)], filter } },
    // Score first; equal scores by supplier (then product) id, so the same catalog gives the same hits.
    sort: [{ _score: { order: 'desc' } }, { supplierCompanyId: { order: 'asc' } }, { productId: { order: 'asc' } }],
    ...(shape.collapse ? { collapse: { field: 'supplierCompanyId' } } : {}),
    size: shape.size,
    track_scores: true,
    track_total_hits: false,
    _source: [...SOURCE_FIELDS],
  };
}

type Hit = estypes.SearchHit<MatchSource>;

function candidateOf(hit: Hit): CandidateProduct | undefined {
  const source = hit._source;
  if (!source || typeof hit._score !== 'number') return undefined;
  return {
    productId: source.productId,
    supplierCompanyId: source.supplierCompanyId,
    name: source.name,
    score: hit._score,
    category: source.category,
    moq: source.moq,
    unit: source.unit,
    currency: source.currency,
    ...(source.priceTiers ? { priceTiers: source.priceTiers } : {}),
    ...(typeof source.priceAtMoqMinor === 'number' ? { priceAtMoqMinor: source.priceAtMoqMinor } : {}),
  };
}

export interface ItemSearchResult {
  hits: ItemHits;
  /** One index document per supplier (the supplier fields, for companies without a read copy). */
  supplierSources: Map<string, MatchSource>;
}

/** Reads one item's msearch response: its candidates per supplier and the best score. */
export function readItemResponse(itemIndex: number, response: estypes.SearchResponseBody<MatchSource>): ItemSearchResult {
  const products: CandidateProduct[] = [];
  const supplierSources = new Map<string, MatchSource>();
  let maxScore = 0;
  for (const hit of response.hits.hits as Hit[]) {
    const candidate = candidateOf(hit);
    if (!candidate) continue;
    products.push(candidate);
    maxScore = Math.max(maxScore, candidate.score);
    if (!supplierSources.has(candidate.supplierCompanyId) && hit._source) supplierSources.set(candidate.supplierCompanyId, hit._source);
  }
  return { hits: { itemIndex, maxScore, products }, supplierSources };
}

/** Whether an Elasticsearch failure is the server's state (unreachable, overloaded) rather than our request. */
function isUnavailable(error: unknown): boolean {
  const name = (error as { name?: string })?.name;
  const status = (error as { meta?: { statusCode?: number } })?.meta?.statusCode;
  return (
    name === 'ConnectionError' ||
    name === 'TimeoutError' ||
    name === 'NoLivingConnectionsError' ||
    (typeof status === 'number' && (status === 429 || status >= 500))
  );
}

/**
 * Runs the searches of `items` (each with its shape) in one msearch against the product alias;
 * results in the order given.
 */
export async function searchItems(
  elastic: Client,
  alias: string,
  request: MatchRequest,
  searches: ReadonlyArray<{ item: MatchItem; shape: ItemSearchShape }>,
): Promise<ItemSearchResult[]> {
  if (searches.length === 0) return [];
  let body: estypes.MsearchResponse<MatchSource>;
  try {
    body = await elastic.msearch<MatchSource>({
      index: alias,
      searches: searches.flatMap(({ item, shape }) => [{}, itemSearchBody(item, request, shape)]),
    });
  } catch (error) {
    if (isUnavailable(error)) throw new ServiceUnavailableError('The product index is not reachable; try again shortly');
    throw error;
  }
  return body.responses.map((response, position) => {
    const { item } = searches[position]!;
    if ('error' in response) {
      const status = response.status;
      if (status === 429 || status >= 500) throw new ServiceUnavailableError('The product index is busy; try again shortly');
      // The search part creates the index at start-up: until then there is nothing to match against.
      if (response.error.type === 'index_not_found_exception') throw new ServiceUnavailableError('The product index is not ready yet; try again shortly');
      throw new Error(`Matching search for item ${item.index} failed: ${JSON.stringify(response.error).slice(0, 500)}`);
    }
    return readItemResponse(item.index, response);
  });
}
