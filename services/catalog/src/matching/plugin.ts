import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { CompanyCopyCache } from './company-cache.js';
import { matchRunModel, type MatchRunModel } from './model.js';
import type { MatchRequest, RankedMatch } from './ranking.js';
import { findSupplierMatches, type MatchingDeps } from './service.js';

/** Supplier matching as the route and the rfq.created consumer use it. */
export interface SupplierMatching {
  deps: MatchingDeps;
  runs: MatchRunModel;
  companies: CompanyCopyCache;
  match(request: MatchRequest): Promise<RankedMatch[]>;
}

declare module 'fastify' {
  interface FastifyInstance {
    matching: SupplierMatching;
  }
}

/** The settings matching reads (its own MATCH_* keys and the search part's alias). */
export interface MatchingConfig {
  SEARCH_INDEX_ALIAS?: string;
  MATCH_SUPPLIERS_PER_ITEM: number;
  MATCH_PRODUCTS_PER_SUPPLIER: number;
  MATCH_COMPANY_CACHE_TTL_MS: number;
}

export interface MatchingPluginOptions {
  config: object;
}

async function matchingPlugin(app: FastifyInstance, options: MatchingPluginOptions) {
  const config = options.config as MatchingConfig;
  const runs = matchRunModel(app.mongo);
  app.events.registerOutbox(runs);
  const companies = new CompanyCopyCache((ids) => app.companyCopies.findMany(ids), {
    ttlMs: config.MATCH_COMPANY_CACHE_TTL_MS,
    max: 20_000,
    log: app.log.child({ component: 'matching' }),
  });
  // This replica applied a change to a copy: its next match reads that copy again.
  app.companyCopies.onChanged((companyId) => companies.invalidate(companyId));
  const deps: MatchingDeps = {
    elastic: app.elastic,
    // The alias the search part creates and swaps (its default when unset).
    alias: config.SEARCH_INDEX_ALIAS ?? 'products',
    suppliersPerItem: config.MATCH_SUPPLIERS_PER_ITEM,
    productsPerSupplier: config.MATCH_PRODUCTS_PER_SUPPLIER,
    findCompanies: (ids) => companies.get(ids),
  };
  app.decorate('matching', { deps, runs, companies, match: (request) => findSupplierMatches(deps, request) } satisfies SupplierMatching);
}

export default fp(matchingPlugin, { name: 'catalog-matching', fastify: '5.x', dependencies: ['catalog-companies', 'foodxchange-elasticsearch', 'foodxchange-kafka'] });
