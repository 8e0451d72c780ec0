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
 * Suppliers for an RFQ, best first (at most the contract's 20): one msearch over the product
 * index, one read of the companies' copies, then the pure ranking (ranking.ts).
 */
export async function findSupplierMatches(deps: MatchingDeps, request: MatchRequest): Promise<RankedMatch[]> {
  const results = await searchItems(deps.elastic, deps.alias, request, deps);
  const sources = new Map<string, MatchSource>();
  for (const result of results) for (const [id, source] of result.supplierSources) if (!sources.has(id)) sources.set(id, source);
  const copies = await deps.findCompanies(sources.keys());
  const suppliers = new Map<string, SupplierFacts>();
  for (const [id, source] of sources) {
    const facts = supplierFactsOf(id, copies.get(id), source, request.deliveryDate);
    if (facts) suppliers.set(id, facts);
  }
  return rankSuppliers(
    request,
    results.map((result) => result.hits),
    suppliers,
  );
}
