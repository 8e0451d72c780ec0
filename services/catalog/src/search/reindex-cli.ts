/**
 * `pnpm --filter @foodxchange/catalog reindex`: rebuilds the product index from Mongo into a new
 * concrete index and swaps the alias (reindex.ts), with the service's own configuration
 * (MONGO_URL, MONGO_DB, ELASTICSEARCH_URL, SEARCH_INDEX_ALIAS). Safe while the service runs:
 * searches keep answering throughout, and changes made meanwhile are written again after the swap.
 */
import { Client } from '@elastic/elasticsearch';
import { connectMongo, loadServiceConfig } from '@foodxchange/service-kit';
import { service } from '../app.js';
import { companyCopyModel } from '../companies/model.js';
import { productModel } from '../products/model.js';
import { reindex } from './reindex.js';
import { companySource, productSource } from './sources.js';

const log = {
  info: (details: object, message: string) => console.log(message, JSON.stringify(details)),
  warn: (details: object, message: string) => console.warn(message, JSON.stringify(details)),
};

async function main(): Promise<void> {
  const config = loadServiceConfig(service);
  const mongo = await connectMongo({ url: config.MONGO_URL, dbName: config.MONGO_DB });
  const elastic = new Client({ node: config.ELASTICSEARCH_URL, requestTimeout: 60_000, maxRetries: 2 });
  try {
    await elastic.cluster.health({ wait_for_status: 'yellow', timeout: '30s' });
    let lastPrinted = Date.now();
    const result = await reindex(
      {
        elastic,
        alias: config.SEARCH_INDEX_ALIAS,
        products: productSource(productModel(mongo)),
        companies: companySource(companyCopyModel(mongo)),
        log,
      },
      {
        onBatch: (written) => {
          if (Date.now() - lastPrinted >= 2000) {
            lastPrinted = Date.now();
            console.log(`  ${written} documents…`);
          }
        },
      },
    );
    console.log(
      `reindexed ${result.documents} products into ${result.index} (alias ${config.SEARCH_INDEX_ALIAS}, was ${result.previous.join(', ') || 'none'}) ` +
        `in ${result.seconds.toFixed(1)} s: ${Math.round(result.docsPerSecond)} docs/s; ${result.caughtUp} changed during the build written again`,
    );
  } finally {
    await elastic.close();
    await mongo.close();
  }
}

main().catch((error: unknown) => {
  console.error('reindex failed:', error);
  process.exitCode = 1;
});
