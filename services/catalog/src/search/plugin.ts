import fp from 'fastify-plugin';
import { AggregateLocks } from '@foodxchange/service-kit';
import type { FastifyInstance } from 'fastify';
import type { Static, TObject } from '@sinclair/typebox';
import type { catalogConfig } from '../config.js';
import { companyCopyModel } from '../companies/model.js';
import { productModel } from '../products/model.js';
import { CatchUpLoop } from './catch-up.js';
import { refreshSupplier, type IndexerDeps } from './indexer.js';
import { pendingIndexModel } from './pending.js';
import { textQuery } from './queries.js';
import { ensureSearchIndex } from './reindex.js';
import { companySource, productSource } from './sources.js';

/** The product index as the rest of the service uses it. */
export interface ProductSearch {
  /** The alias every search and write goes through (SEARCH_INDEX_ALIAS). */
  alias: string;
  indexer: IndexerDeps;
  catchUp: CatchUpLoop;
}

declare module 'fastify' {
  interface FastifyInstance {
    productSearch: ProductSearch;
  }
}

export interface SearchPluginOptions {
  /** The service's configuration (its SEARCH_* keys: src/config.ts). */
  config: object;
}

type SearchConfig = Static<TObject<Pick<typeof catalogConfig, 'SEARCH_INDEX_ALIAS' | 'SEARCH_CATCH_UP_INTERVAL_MS' | 'SEARCH_CATCH_UP_BATCH'>>>;

/**
 * The product index: created (and filled from Mongo) at start-up when its alias is missing, kept
 * in step by the `product.*` consumers (events.ts) and by every change of a supplier's read copy
 * (the copy's onChanged: its products are written again with the new supplier data), with a
 * catch-up loop for what could not be written while Elasticsearch was away.
 */
async function searchPlugin(app: FastifyInstance, options: SearchPluginOptions) {
  const config = options.config as SearchConfig;
  const opts = { alias: config.SEARCH_INDEX_ALIAS, catchUpIntervalMs: config.SEARCH_CATCH_UP_INTERVAL_MS, catchUpBatch: config.SEARCH_CATCH_UP_BATCH };
  const indexer: IndexerDeps = {
    elastic: app.elastic,
    alias: opts.alias,
    pending: pendingIndexModel(app.mongo),
    products: productSource(productModel(app.mongo)),
    companies: companySource(companyCopyModel(app.mongo)),
    log: app.log.child({ component: 'search-index' }),
  };
  const catchUp = new CatchUpLoop(indexer, app.mongo, { intervalMs: opts.catchUpIntervalMs, batchSize: opts.catchUpBatch });
  app.decorate('productSearch', { alias: opts.alias, indexer, catchUp } satisfies ProductSearch);

  // Awaited by the copy's consumer: a Mongo failure here retries the company event; Elasticsearch
  // being away only records the products as pending.
  app.companyCopies.onChanged(async (companyId) => {
    await refreshSupplier(indexer, companyId);
  });

  // The analysers of every language (stemmers, word segmenters, synonym phrases) are built on
  // first use: build them now rather than in the first search.
  textQuery('warm up');

  // Before the consumers start (onReady): their first writes find the alias. A replica starting
  // while another fills a new index waits for it (a fill of 100k products takes tens of seconds).
  const bootstrapLocks = new AggregateLocks(app.mongo, { waitMs: 300_000 });
  await ensureSearchIndex(indexer, (key, work) => bootstrapLocks.withLock(key, work));

  app.addHook('onReady', async () => {
    catchUp.start();
  });
  app.addHook('onClose', async () => {
    await catchUp.stop();
  });
}

export default fp(searchPlugin, {
  name: 'catalog-search',
  fastify: '5.x',
  dependencies: ['foodxchange-mongo', 'foodxchange-elasticsearch', 'catalog-companies'],
});
