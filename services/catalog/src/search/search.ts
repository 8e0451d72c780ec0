import { createHash } from 'node:crypto';
import { errors, type Client, type estypes } from '@elastic/elasticsearch';
import { CERTIFICATION_TYPES, fromMinorUnits, toMinorUnits } from '@foodxchange/contracts';
import { ServiceUnavailableError, ValidationError } from '@foodxchange/service-kit';
import type { ProductIndexDocument } from './index-documents.js';
import { isUnavailable } from './indexer.js';
import { certificationValidOn, liveProductFilters, textQuery } from './queries.js';
import { MAX_OFFSET_WINDOW, type SearchHit, type SearchQuery, type SearchResponse, type SearchSort } from './schemas.js';

/**
 * `GET /products`: the query string → one Elasticsearch search (filters in filter context, the
 * full text scored, facets as aggregations) → the paged envelope with facet counts.
 */

type Facets = SearchResponse['facets'];

const field = (name: string) => `querystring.${name}`;

/** Sort clauses per sort, each ending in the product id: a total order, as `search_after` needs. */
function sortOf(sort: SearchSort, hasText: boolean): estypes.SortCombinations[] {
  const tiebreaker: estypes.SortCombinations = { productId: { order: 'asc' } };
  switch (sort) {
    case 'price_asc':
      return [{ priceFromMinor: { order: 'asc' } }, tiebreaker];
    case 'price_desc':
      return [{ priceFromMinor: { order: 'desc' } }, tiebreaker];
    case 'newest':
      return [{ createdAt: { order: 'desc', missing: '_last' } }, tiebreaker];
    case 'relevance':
      // Without text every score is equal: newest first is what a browsing buyer expects.
      return hasText ? [{ _score: { order: 'desc' } }, tiebreaker] : [{ createdAt: { order: 'desc', missing: '_last' } }, tiebreaker];
  }
}

/** What a cursor is bound to: the query without its paging, so it can't be replayed on another. */
function fingerprintOf(query: SearchQuery): string {
  const { page: _page, pageSize: _pageSize, cursor: _cursor, ...rest } = query;
  const canonical = Object.keys(rest)
    .sort()
    .map((key) => [key, (rest as Record<string, unknown>)[key]]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url').slice(0, 16);
}

interface CursorPayload {
  v: 1;
  /** fingerprint of the query */
  k: string;
  /** the last hit's sort values */
  a: Array<string | number | null>;
}

export function encodeCursor(payload: CursorPayload): string {
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

/** The `search_after` values of a cursor, or a 400 naming the cursor when it isn't one of ours for this query. */
export function decodeCursor(cursor: string, fingerprint: string, sortLength: number): Array<string | number | null> {
  const invalid = (why: string) => new ValidationError('Invalid cursor', { [field('cursor')]: [why] });
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('is not a cursor this API issued');
  }
  const candidate = payload as Partial<CursorPayload> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    candidate.v !== 1 ||
    typeof candidate.k !== 'string' ||
    !Array.isArray(candidate.a) ||
    candidate.a.length !== sortLength ||
    // Every sort is [a number (score, price in minor units, epoch millis), the product id]:
    // anything else would make Elasticsearch refuse the search.
    !(typeof candidate.a[0] === 'number' && Number.isFinite(candidate.a[0]) && Math.abs(candidate.a[0]) <= Number.MAX_SAFE_INTEGER) ||
    !(typeof candidate.a[1] === 'string' && candidate.a[1].length <= 200)
  ) {
    throw invalid('is not a cursor this API issued');
  }
  if (candidate.k !== fingerprint) throw invalid('belongs to another query (same q, filters and sort are needed)');
  return candidate.a;
}

function minorOrFail(amount: number, currency: string, name: string): number {
  try {
    return toMinorUnits(amount, currency);
  } catch (error) {
    throw new ValidationError('Invalid price', { [field(name)]: [(error as Error).message] });
  }
}

/** The filters of a query (everything but the text), in filter context: cached, not scored. */
export function filtersOf(query: SearchQuery, now: Date): { filter: estypes.QueryDslQueryContainer[]; mustNot: estypes.QueryDslQueryContainer[] } {
  const filter: estypes.QueryDslQueryContainer[] = [...liveProductFilters()];
  const mustNot: estypes.QueryDslQueryContainer[] = [];
  if (query.category) filter.push({ term: { categoryPath: query.category } });
  for (const type of query.certification ?? []) {
    filter.push({ term: { certifications: type } }, certificationValidOn(type, now));
  }
  if (query.origin) filter.push({ terms: { originCountry: query.origin } });
  if (query.allergenFree) mustNot.push({ terms: { allergens: query.allergenFree } });
  if ((query.minPrice !== undefined || query.maxPrice !== undefined) && !query.currency) {
    throw new ValidationError('A price range needs its currency', { [field('currency')]: ['is required with minPrice or maxPrice'] });
  }
  if (query.minPrice !== undefined && query.maxPrice !== undefined && query.minPrice > query.maxPrice) {
    throw new ValidationError('Invalid price range', { [field('minPrice')]: ['must not be greater than maxPrice'] });
  }
  if (query.currency) {
    filter.push({ term: { currency: query.currency } });
    const range: estypes.QueryDslNumberRangeQuery = {};
    if (query.minPrice !== undefined) range.gte = minorOrFail(query.minPrice, query.currency, 'minPrice');
    if (query.maxPrice !== undefined) range.lte = minorOrFail(query.maxPrice, query.currency, 'maxPrice');
    if (range.gte !== undefined || range.lte !== undefined) filter.push({ range: { priceFromMinor: range } });
  }
  if (query.quantity !== undefined) filter.push({ range: { moq: { lte: query.quantity } } });
  if (query.storage) filter.push({ term: { storage: query.storage } });
  if (query.verifiedOnly) filter.push({ term: { supplierVerified: true } });
  return { filter, mustNot };
}

function facetAggregations(now: Date): Record<string, estypes.AggregationsAggregationContainer> {
  return {
    category: { terms: { field: 'categoryPath', size: 200 } },
    origin: { terms: { field: 'originCountry', size: 250 } },
    storage: { terms: { field: 'storage', size: 20 } },
    // Per type, the same test as the filter: claimed and held with a certificate valid today.
    certification: {
      filters: {
        filters: Object.fromEntries(
          CERTIFICATION_TYPES.map((type) => [type, { bool: { filter: [{ term: { certifications: type } }, certificationValidOn(type, now)] } }]),
        ),
      },
    },
  };
}

type Buckets = { buckets: Array<{ key: string | number; doc_count: number }> };

function facetsOf(aggregations: Record<string, estypes.AggregationsAggregate> | undefined): Facets {
  const terms = (name: string) =>
    ((aggregations?.[name] as Buckets | undefined)?.buckets ?? []).map((bucket) => ({ value: String(bucket.key), count: bucket.doc_count }));
  const certificationBuckets = (aggregations?.certification as { buckets?: Record<string, { doc_count: number }> } | undefined)?.buckets ?? {};
  const certification = Object.entries(certificationBuckets)
    .map(([value, bucket]) => ({ value, count: bucket.doc_count }))
    .filter((bucket) => bucket.count > 0)
    .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  return { category: terms('category'), origin: terms('origin'), certification, storage: terms('storage') };
}

function hitOf(source: ProductIndexDocument, score: number | null | undefined): SearchHit {
  const decimal = (minor: number, currency: string) => {
    try {
      return fromMinorUnits(minor, currency);
    } catch {
      return minor / 100;
    }
  };
  const hit: SearchHit = {
    id: source.productId,
    supplierCompanyId: source.supplierCompanyId,
    supplierVerified: source.supplierVerified,
    sku: source.sku,
    name: source.name,
    language: source.language,
    category: source.category,
    originCountry: source.originCountry,
    unit: source.unit,
    moq: source.moq,
    currency: source.currency,
    priceFrom: decimal(source.priceFromMinor, source.currency),
    priceFromMinor: source.priceFromMinor,
    priceTiers: source.priceTiers.map((tier) => ({ ...tier, unitPrice: decimal(tier.unitPriceMinor, tier.currency) })),
    certifications: source.certifications,
    allergens: source.allergens,
    version: source.version,
  };
  if (source.supplierName) hit.supplierName = source.supplierName;
  if (source.description) hit.description = source.description;
  if (source.translations) hit.translations = source.translations;
  if (source.storage) hit.storage = source.storage;
  if (source.createdAt) hit.createdAt = source.createdAt;
  if (source.updatedAt) hit.updatedAt = source.updatedAt;
  if (score !== undefined) hit.score = score;
  return hit;
}

const SOURCE_EXCLUDES = ['text', 'nameText', 'supplierCertifications', 'supplierMarkets', 'categoryPath'];

/** Runs a product search; `now` is the day certificates must be valid on. */
export async function searchProducts(elastic: Client, alias: string, query: SearchQuery, now = new Date()): Promise<Omit<SearchResponse, 'metadata'>> {
  const page = query.page ?? 1;
  const pageSize = query.pageSize ?? 20;
  const sortName = query.sort ?? 'relevance';
  const text = query.q?.trim() ?? '';
  if (query.cursor && page !== 1) {
    throw new ValidationError('Use either page or cursor', { [field('page')]: ['must be 1 (or absent) with a cursor'] });
  }
  if (!query.cursor && page * pageSize > MAX_OFFSET_WINDOW) {
    throw new ValidationError('Page too deep', {
      [field('page')]: [`page × pageSize may not exceed ${MAX_OFFSET_WINDOW}: follow pagination.nextCursor for deeper pages`],
    });
  }
  const sort = sortOf(sortName, text !== '');
  const fingerprint = fingerprintOf(query);
  const searchAfter = query.cursor ? decodeCursor(query.cursor, fingerprint, sort.length) : undefined;
  const { filter, mustNot } = filtersOf(query, now);

  const request: estypes.SearchRequest = {
    index: alias,
    query: { bool: { filter, must_not: mustNot, ...(text ? { must: [textQuery(text, query.lang ? { lang: query.lang } : {})] } : {}) } },
    sort,
    size: pageSize,
    track_total_hits: true,
    _source: { excludes: SOURCE_EXCLUDES },
    aggs: facetAggregations(now),
    ...(searchAfter ? { search_after: searchAfter } : { from: (page - 1) * pageSize }),
  };

  let response: estypes.SearchResponse<ProductIndexDocument>;
  try {
    response = await elastic.search<ProductIndexDocument>(request);
  } catch (error) {
    // A search that resolved the alias to an index deleted just after a reindex swap: once more.
    if (error instanceof errors.ResponseError && error.statusCode === 404) {
      response = await elastic.search<ProductIndexDocument>(request).catch((retryError: unknown) => {
        throw isUnavailable(retryError) ? new ServiceUnavailableError('Product search is unavailable') : retryError;
      });
    } else if (isUnavailable(error)) {
      throw new ServiceUnavailableError('Product search is unavailable');
    } else {
      throw error;
    }
  }

  const hits = response.hits.hits;
  const total = typeof response.hits.total === 'number' ? response.hits.total : (response.hits.total?.value ?? 0);
  const totalPages = Math.ceil(total / pageSize);
  const last = hits[hits.length - 1];
  const seen = searchAfter ? undefined : (page - 1) * pageSize + hits.length;
  // After a cursor page the position is not counted; a full page may have more behind it.
  const hasNext = seen !== undefined ? seen < total : hits.length === pageSize;
  const pagination: SearchResponse['pagination'] = {
    page,
    limit: pageSize,
    total,
    totalPages,
    hasNext,
    hasPrev: page > 1 || searchAfter !== undefined,
  };
  if (hasNext && last?.sort) pagination.nextCursor = encodeCursor({ v: 1, k: fingerprint, a: last.sort as Array<string | number | null> });
  return {
    success: true,
    data: hits.filter((hit) => hit._source).map((hit) => hitOf(hit._source!, text && sortName === 'relevance' ? hit._score : undefined)),
    pagination,
    facets: facetsOf(response.aggregations),
  };
}
