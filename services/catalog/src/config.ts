import { Type } from '@sinclair/typebox';

/**
 * The catalog's own settings, validated with the kit's base ones. Each feature keeps its keys
 * together under its own heading.
 */
export const catalogConfig = {
  // products and the two-level cache
  PRODUCT_CACHE_L1_MAX: Type.Integer({ minimum: 1, default: 10_000, description: 'Products GET /products/:id keeps in process (L1)' }),
  PRODUCT_CACHE_L1_TTL_MS: Type.Integer({
    minimum: 100,
    default: 60_000,
    description: 'Longest an in-process entry lives: bounds staleness should this replica miss an invalidation event',
  }),
  PRODUCT_CACHE_REDIS_TTL_SECONDS: Type.Integer({ minimum: 1, default: 600, description: 'Lifetime of a product in the Redis level (L2); writers replace it' }),
  PRODUCT_CACHE_REDIS_PREFIX: Type.String({ minLength: 1, maxLength: 100, default: 'catalog:product:', description: 'Redis key prefix of the L2 product cache' }),

  // search
  SEARCH_INDEX_ALIAS: Type.String({
    pattern: '^[a-z0-9][a-z0-9_-]{0,99}$',
    default: 'products',
    description: 'Alias of the product index; concrete indexes are <alias>-<timestamp> (reindex swaps the alias)',
  }),
  SEARCH_CATCH_UP_INTERVAL_MS: Type.Integer({
    minimum: 50,
    default: 5000,
    description: 'How often a replica looks for products recorded while Elasticsearch was unavailable (one replica writes them)',
  }),
  SEARCH_CATCH_UP_BATCH: Type.Integer({ minimum: 1, maximum: 5000, default: 500, description: 'Pending products per bulk request of the catch-up' }),

  // imports
  IMPORT_MAX_BYTES: Type.Integer({
    minimum: 1024,
    default: 20 * 1024 * 1024,
    description: 'Largest body POST /products/imports accepts (a larger one is answered 413); the other routes keep BODY_LIMIT_BYTES',
  }),
  IMPORT_MAX_ROWS: Type.Integer({ minimum: 1, default: 50_000, description: 'Most product rows one import may carry (more: 413)' }),
  IMPORT_MAX_ROW_BYTES: Type.Integer({
    minimum: 1024,
    default: 256 * 1024,
    description: 'Largest single row (CSV record or JSON line); a larger one is a row error, never stored',
  }),
  IMPORT_CHUNK_ROWS: Type.Integer({
    minimum: 1,
    maximum: 5000,
    // Each batch upsert reads the company's products once (a scan on the local server), so fewer,
    // larger batches win: 10,000 rows took 46 s in chunks of 500 and 21 s in chunks of 2,000 here.
    default: 2000,
    description: 'Rows per stored chunk document (also capped at about 4 MiB) and per batch upsert; progress is recorded after each chunk',
  }),
  IMPORT_POLL_MS: Type.Integer({
    minimum: 10,
    default: 5000,
    description: 'How often an idle import worker looks for queued jobs (and for jobs whose runner died); the replica that accepts an import starts it at once',
  }),
  IMPORT_LEASE_MS: Type.Integer({
    minimum: 1000,
    default: 30_000,
    description: "How long a runner's claim on a company's imports outlives its last renewal: a crashed replica's job resumes elsewhere after this",
  }),
  IMPORT_RETENTION_DAYS: Type.Integer({
    minimum: 1,
    default: 30,
    description: 'Finished import jobs are deleted this many days after they finished (each replica checks at start and hourly)',
  }),
  IMPORT_MAX_REPORTED_ERRORS: Type.Integer({
    minimum: 1,
    default: 1000,
    description: 'Row errors kept per job (the first ones; the job also counts them all)',
  }),

  // matching
  MATCH_SUPPLIERS_PER_ITEM: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 100,
    description: "Suppliers each RFQ item's search returns (best first, one group per supplier); a supplier outside every item's top is not matched",
  }),
  MATCH_PRODUCTS_PER_SUPPLIER: Type.Integer({
    minimum: 1,
    maximum: 3,
    default: 3,
    description: 'Products per supplier and item that matching weighs and names (1: the best one only, one search round trip; more: a second msearch for the ranked suppliers)',
  }),
  MATCH_COMPANY_CACHE_TTL_MS: Type.Integer({
    minimum: 0,
    default: 5000,
    description: "How long matching reuses a supplier's read copy before reading it again in the background (0: every match reads them); the replica applying a change drops it at once",
  }),
};
