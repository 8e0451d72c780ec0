import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { matchRunModel, type MatchRunModel } from './model.js';
import type { MatchRequest, RankedMatch } from './ranking.js';
import { findSupplierMatches, type MatchingDeps } from './service.js';

/** Supplier matching as the route and the rfq.created consumer use it. */
export interface SupplierMatching {
  deps: MatchingDeps;
  runs: MatchRunModel;
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
}

export interface MatchingPluginOptions {
  config: object;
}

async function matchingPlugin(app: FastifyInstance, options: MatchingPluginOptions) {
  const config = options.config as MatchingConfig;
  const runs = matchRunModel(app.mongo);
  app.events.registerOutbox(runs);
  const deps: MatchingDeps = {
    elastic: app.elastic,
    // The alias the search part creates and swaps (its default when unset).
    alias: config.SEARCH_INDEX_ALIAS ?? 'products',
    suppliersPerItem: config.MATCH_SUPPLIERS_PER_ITEM,
    productsPerSupplier: config.MATCH_PRODUCTS_PER_SUPPLIER,
    findCompanies: (ids) => app.companyCopies.findMany(ids),
  };
  app.decorate('matching', { deps, runs, match: (request) => findSupplierMatches(deps, request) } satisfies SupplierMatching);
}

export default fp(matchingPlugin, { name: 'catalog-matching', fastify: '5.x', dependencies: ['catalog-companies', 'foodxchange-elasticsearch', 'foodxchange-kafka'] });
