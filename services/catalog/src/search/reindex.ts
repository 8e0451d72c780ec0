import type { Client } from '@elastic/elasticsearch';
import type { IndexableProduct, IndexDocument } from './index-documents.js';
import { buildDocuments, writeDocuments, type CompanySource, type IndexerDeps, type ProductSource } from './indexer.js';
import { PRODUCT_INDEX_MAPPING, PRODUCT_INDEX_REFRESH_INTERVAL, PRODUCT_INDEX_SETTINGS, concreteIndexName } from './mapping.js';

/**
 * Building a product index from Mongo and putting it behind the alias. The local Elasticsearch
 * has no `_reindex` API (DESIGN.md), and the source of truth is Mongo anyway: a rebuild is a bulk
 * load of every live product into a new concrete index `<alias>-<timestamp>`, then one
 * `updateAliases` call that removes the old index from the alias and adds the new one (atomic: a
 * search sees one or the other, never neither), then the old index is deleted.
 *
 * Writes made while the new index is being built go to the old one (through the alias); so after
 * the swap every product changed since the build started (and every product of a supplier whose
 * copy changed since then) is written again through the alias, into the new index. External
 * versions keep each document at its newest state whichever write lands last.
 */

/** The concrete indexes the alias points at (none when it does not exist). */
export async function indexesOfAlias(elastic: Client, alias: string): Promise<string[]> {
  const exists = await elastic.indices.existsAlias({ name: alias });
  if (!exists) return [];
  return Object.keys(await elastic.indices.getAlias({ name: alias }));
}

/** Creates a new, empty concrete index with the product mapping (optionally already behind `alias`). */
export async function createProductIndex(elastic: Client, alias: string, { withAlias = false, bulkLoading = false } = {}): Promise<string> {
  const index = concreteIndexName(alias);
  await elastic.indices.create({
    index,
    mappings: PRODUCT_INDEX_MAPPING,
    // A bulk load is faster without refreshes; the interval is restored before the index is searched.
    settings: bulkLoading ? { ...PRODUCT_INDEX_SETTINGS, refresh_interval: '-1' } : PRODUCT_INDEX_SETTINGS,
    ...(withAlias ? { aliases: { [alias]: {} } } : {}),
  });
  return index;
}

/**
 * Bulk-loads product batches into `index`; returns how many documents it wrote. One bulk request
 * is in flight while the next batch is read from Mongo and turned into documents.
 */
export async function loadProducts(
  elastic: Client,
  companies: CompanySource,
  index: string,
  batches: AsyncIterable<readonly IndexableProduct[]> | Iterable<readonly IndexableProduct[]>,
  { throughAlias = false, onBatch }: { throughAlias?: boolean; onBatch?: (written: number) => void } = {},
): Promise<number> {
  let written = 0;
  let inFlight: Promise<void> | undefined;
  const write = async (documents: IndexDocument[]) => {
    const result = await writeDocuments(elastic, index, documents, { throughAlias });
    const problems = [...result.failed, ...result.rejected];
    if (problems.length > 0) {
      throw new Error(`bulk load into ${index}: ${problems.length} document(s) not written, e.g. ${problems[0]![0]}: ${problems[0]![1]}`);
    }
    written += result.written;
    onBatch?.(written);
  };
  try {
    for await (const products of batches) {
      if (products.length === 0) continue;
      const { documents } = await buildDocuments(companies, products);
      await inFlight;
      inFlight = write(documents);
      // Handled here so a failure while the next batch is read is not "unhandled"; awaited above.
      inFlight.catch(() => undefined);
    }
    await inFlight;
  } catch (error) {
    // Let a request still in flight settle before reporting, so nothing writes after we return.
    await inFlight?.catch(() => undefined);
    throw error;
  }
  return written;
}

export interface ReindexDeps {
  elastic: Client;
  alias: string;
  products: ProductSource;
  companies: CompanySource;
  log: ReindexLog;
}

/** What reindex logs through (the service's logger, or the CLI's console). */
export interface ReindexLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface ReindexResult {
  index: string;
  previous: string[];
  documents: number;
  /** Products written again after the swap (changed during the build). */
  caughtUp: number;
  seconds: number;
  docsPerSecond: number;
}

/**
 * Rebuilds the index behind the alias from Mongo with bulk requests and swaps the alias
 * atomically. `graceMs`: how long the old index stays after the swap, so a search that resolved
 * the alias just before it finishes on the old index rather than fail.
 */
export async function reindex(deps: ReindexDeps, { graceMs = 1000, onBatch }: { graceMs?: number; onBatch?: (written: number) => void } = {}): Promise<ReindexResult> {
  const startedAt = Date.now();
  // Anything changed from here on may miss the new index's snapshot: written again after the swap.
  const since = new Date(startedAt - 1000);
  const previous = await indexesOfAlias(deps.elastic, deps.alias);
  const index = await createProductIndex(deps.elastic, deps.alias, { bulkLoading: true });
  let documents: number;
  try {
    documents = await loadProducts(deps.elastic, deps.companies, index, deps.products.allLive(), { onBatch });
    await deps.elastic.indices.putSettings({ index, settings: { refresh_interval: PRODUCT_INDEX_REFRESH_INTERVAL } });
    await deps.elastic.indices.refresh({ index });
    await deps.elastic.indices.updateAliases({
      actions: [...previous.map((old) => ({ remove: { index: old, alias: deps.alias } })), { add: { index, alias: deps.alias } }],
    });
  } catch (error) {
    await deps.elastic.indices.delete({ index }).catch(() => undefined);
    throw error;
  }
  const buildSeconds = (Date.now() - startedAt) / 1000;

  // Through the alias (now the new index): products and suppliers that changed during the build.
  let caughtUp = await loadProducts(deps.elastic, deps.companies, deps.alias, deps.products.changedSince(since), { throughAlias: true });
  const changedSuppliers = await deps.companies.changedSince(since);
  for (const companyId of changedSuppliers) {
    const ids = await deps.products.idsOfSupplier(companyId);
    for (let at = 0; at < ids.length; at += 500) {
      const products = await deps.products.byIds(ids.slice(at, at + 500));
      caughtUp += await loadProducts(deps.elastic, deps.companies, deps.alias, [products], { throughAlias: true });
    }
  }

  if (previous.length > 0) {
    await new Promise((resolve) => setTimeout(resolve, graceMs));
    await deps.elastic.indices.delete({ index: previous }).catch((error: Error) => deps.log.warn({ err: error, previous }, 'old product index not deleted'));
  }
  const seconds = (Date.now() - startedAt) / 1000;
  return { index, previous, documents, caughtUp, seconds, docsPerSecond: documents / Math.max(buildSeconds, 0.001) };
}

/**
 * At start-up: creates the concrete index and the alias when the alias is missing, and fills it
 * from Mongo. Runs under a lock so that replicas starting together make one index, not one each.
 */
export async function ensureSearchIndex(
  deps: Pick<IndexerDeps, 'elastic' | 'alias' | 'products' | 'companies' | 'log'>,
  withLock: <T>(key: string, work: () => Promise<T>) => Promise<T>,
): Promise<{ created: string | null; documents: number }> {
  const existing = await indexesOfAlias(deps.elastic, deps.alias);
  if (existing.length > 0) {
    // A newer release may add fields: added fields apply to the existing index in place; a
    // changed one cannot, and then only a reindex brings the index up to date.
    await deps.elastic.indices
      .putMapping({ index: existing, ...PRODUCT_INDEX_MAPPING })
      .catch((error: Error) => deps.log.warn({ err: error, index: existing }, 'product index mapping differs from this release: run the reindex script'));
    return { created: null, documents: 0 };
  }
  return withLock(`catalog-search-index:${deps.alias}`, async () => {
    if ((await indexesOfAlias(deps.elastic, deps.alias)).length > 0) return { created: null, documents: 0 };
    const index = await createProductIndex(deps.elastic, deps.alias, { withAlias: true });
    // Through the alias: live events indexed meanwhile go to the same index, versions sort it out.
    const documents = await loadProducts(deps.elastic, deps.companies, deps.alias, deps.products.allLive(), { throughAlias: true });
    deps.log.info({ index, alias: deps.alias, documents }, 'product search index created');
    return { created: index, documents };
  });
}
