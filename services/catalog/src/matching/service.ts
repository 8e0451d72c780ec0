import type { Client } from '@elastic/elasticsearch';
import type { CertificationType } from '@foodxchange/contracts';
import { certificationValidAt, certificationsValidOn, isCompanyActive, type CompanyCopy } from '../companies/service.js';
import { rankSuppliers, type MatchRequest, type RankedMatch, type SupplierFacts } from './ranking.js';
import { searchItems, type MatchSearchOptions, type MatchSource } from './search.js';

export interface MatchingDeps extends MatchSearchOptions {
  elastic: Client;
  /** The product index alias (the search part's SEARCH_INDEX_ALIAS). */
  alias: string;
  /** The catalog's company read copies by id (the companies part's findCompanyCopies). */
  findCompanies: (ids: Iterable<string>) => Promise<Map<string, CompanyCopy>>;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The instant certificates must cover for a delivery date: a date-only delivery date is that
 * UTC day, checked at its start (a certificate valid on that day covers its start: date-only
 * bounds are whole days); a date-time is exact.
 */
export function deliveryInstant(deliveryDate: string | undefined, now: Date): Date {
  if (!deliveryDate) return now;
  return new Date(DATE_ONLY.test(deliveryDate) ? `${deliveryDate}T00:00:00.000Z` : deliveryDate);
}

/** What ranking needs of a supplier: from its read copy, else from its index document. */
export function supplierFactsOf(
  supplierCompanyId: string,
  copy: CompanyCopy | undefined,
  source: MatchSource | undefined,
  deliveryDate: Date,
): SupplierFacts | undefined {
  if (copy) {
    const companyName = copy.name ?? source?.supplierName;
    if (!companyName) return undefined;
    return {
      supplierCompanyId,
      companyName,
      verified: copy.verified,
      active: copy.active !== false && isCompanyActive(copy),
      marketsServed: [...(copy.marketsServed ?? [])],
      validCertifications: certificationsValidOn(copy, deliveryDate),
    };
  }
  // No copy (not consumed yet on this replica): the index's denormalised supplier fields.
  if (!source?.supplierName) return undefined;
  const validCertifications = [
    ...new Set(
      (source.supplierCertifications ?? [])
        .filter((certificate) => certificationValidAt(certificate, deliveryDate))
        .map((certificate) => certificate.type as CertificationType),
    ),
  ];
  return {
    supplierCompanyId,
    companyName: source.supplierName,
    verified: source.supplierVerified,
    active: source.supplierActive,
    marketsServed: [...(source.supplierMarkets ?? [])],
    validCertifications,
  };
}

/**
 * Candidates a second pass fetches per supplier and item, on average (more than named: the best by
 * item score are kept). It is one page for all of an item's suppliers, so one with many matching
 * products may take more of it; every supplier keeps at least its first-pass best.
 */
const SECOND_PASS_PER_SUPPLIER = 10;

/**
 * Suppliers for an RFQ, best first (at most the contract's 20): one msearch over the product
 * index (each supplier's best product per item), one read of the companies' copies, the pure
 * ranking (ranking.ts); then, when several products per item are wanted, a second msearch for the
 * ranked suppliers' other products and the ranking again. The second pass can only add candidates
 * to the suppliers already ranked (same query, same scores), so it refines their item scores and
 * product lists but never lets a supplier outside them in.
 */
export async function findSupplierMatches(deps: MatchingDeps, request: MatchRequest): Promise<RankedMatch[]> {
  const firstPass = await searchItems(
    deps.elastic,
    deps.alias,
    request,
    request.items.map((item) => ({ item, shape: { size: deps.suppliersPerItem, collapse: true } })),
  );
  const sources = new Map<string, MatchSource>();
  for (const result of firstPass) for (const [id, source] of result.supplierSources) if (!sources.has(id)) sources.set(id, source);
  const copies = await deps.findCompanies(sources.keys());
  const suppliers = new Map<string, SupplierFacts>();
  for (const [id, source] of sources) {
    const facts = supplierFactsOf(id, copies.get(id), source, request.deliveryDate);
    if (facts) suppliers.set(id, facts);
  }
  const hits = firstPass.map((result) => result.hits);
  const ranked = rankSuppliers(request, hits, suppliers);
  if (deps.productsPerSupplier <= 1 || ranked.length === 0) return ranked;

  // Second pass: per item, the ranked suppliers that cover it (matchedItems lists at most 10 items,
  // so an item past those is looked up for every ranked supplier).
  const searches = request.items.flatMap((item) => {
    const ids = ranked
      .filter((match) => match.matchedItemCount > match.matchedItems.length || match.matchedItems.some((matched) => matched.itemIndex === item.index))
      .map((match) => match.supplierCompanyId);
    return ids.length === 0 ? [] : [{ item, shape: { size: ids.length * SECOND_PASS_PER_SUPPLIER, collapse: false, supplierIds: ids } }];
  });
  const secondPass = await searchItems(deps.elastic, deps.alias, request, searches);
  const byItem = new Map(hits.map((entry) => [entry.itemIndex, entry]));
  for (const result of secondPass) {
    const entry = byItem.get(result.hits.itemIndex);
    if (entry) entry.products.push(...result.hits.products);
  }
  return rankSuppliers(request, hits, suppliers);
}
