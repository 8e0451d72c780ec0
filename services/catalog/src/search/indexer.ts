import { errors, type Client, type estypes } from '@elastic/elasticsearch';
import type { FastifyBaseLogger } from 'fastify';
import { toIndexDocument, type IndexableCompany, type IndexableProduct, type IndexDocument } from './index-documents.js';
import { clearPending, markPending, type PendingIndexModel } from './pending.js';

/**
 * Keeps the product index in step with the catalog. Every path (product events, a supplier's
 * copy changing, the catch-up of pending products) indexes the product's *current* state from
 * Mongo, with the product's `version` as an external version (`external_gte`): a write carrying
 * an older version than the index holds is refused by Elasticsearch, so an event handled late can
 * never overwrite a newer document, and the same version may be written again with newer supplier
 * data. When Elasticsearch is unavailable the product ids are recorded as pending (pending.ts) and
 * the catch-up loop writes them later: nothing is lost.
 */

/** What the indexer reads of the catalog's products (src/products). */
export interface ProductSource {
  /** The products with these ids, deleted ones included (absent ids never existed). */
  byIds(ids: readonly string[]): Promise<IndexableProduct[]>;
  /** Ids of every live product of a supplier (a deleted one's marker needs no supplier data). */
  idsOfSupplier(companyId: string): Promise<string[]>;
  /** Every live product, in batches (reindex). */
  allLive(): AsyncIterable<IndexableProduct[]>;
  /** Products (deleted ones included) whose document changed at or after `since`, in batches. */
  changedSince(since: Date): AsyncIterable<IndexableProduct[]>;
}

/** A supplier's read copy as the indexer needs it (src/companies). */
export interface IndexedCompany extends IndexableCompany {
  active: boolean;
  updatedAt?: Date | string | null;
}

export interface CompanySource {
  findMany(ids: Iterable<string>): Promise<Map<string, IndexedCompany>>;
  /** Ids of companies whose copy changed at or after `since` (reindex). */
  changedSince(since: Date): Promise<string[]>;
}

export interface IndexerDeps {
  elastic: Client;
  /** The alias every write and search goes through. */
  alias: string;
  pending: PendingIndexModel;
  products: ProductSource;
  companies: CompanySource;
  log: FastifyBaseLogger;
}

/** Errors that say "Elasticsearch is not there right now" (retry later), not "this is wrong". */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof errors.ConnectionError || error instanceof errors.TimeoutError || error instanceof errors.NoLivingConnectionsError) {
    return true;
  }
  if (error instanceof errors.ResponseError) {
    const status = error.statusCode ?? 0;
    return status === 0 || status === 429 || status >= 500 || status === 404;
  }
  return false;
}

/** An item status that a later attempt can fix: overload, server error, or the alias missing. */
const retryableItemStatus = (status: number) => status === 429 || status >= 500 || status === 404;

export interface WriteResult {
  written: number;
  /** Could not be written now (Elasticsearch unavailable): retry later. */
  failed: Map<string, string>;
  /** Refused for good (a mapping error: a bug). */
  rejected: Map<string, string>;
}

/**
 * One bulk request of index documents into `target` (the alias, or a concrete index while
 * reindexing). Through the alias `require_alias` is set: were the alias missing, Elasticsearch
 * would otherwise create an index of that name with guessed mappings.
 */
export async function writeDocuments(
  elastic: Client,
  target: string,
  documents: readonly IndexDocument[],
  { throughAlias = true, refresh = false }: { throughAlias?: boolean; refresh?: boolean } = {},
): Promise<WriteResult> {
  const result: WriteResult = { written: 0, failed: new Map(), rejected: new Map() };
  if (documents.length === 0) return result;
  const operations: Array<estypes.BulkOperationContainer | IndexDocument> = [];
  for (const document of documents) {
    operations.push({ index: { _index: target, _id: document.productId, version: document.version, version_type: 'external_gte' } }, document);
  }
  let response: estypes.BulkResponse;
  try {
    response = await elastic.bulk({ operations, require_alias: throughAlias, refresh });
  } catch (error) {
    if (!isUnavailable(error)) throw error;
    const reason = (error as Error).message;
    for (const document of documents) result.failed.set(document.productId, reason);
    return result;
  }
  response.items.forEach((item, i) => {
    const outcome = item.index;
    const productId = documents[i]!.productId;
    if (!outcome || !outcome.error) {
      result.written += 1;
    } else if (outcome.status === 409) {
      // A newer version is already indexed: nothing to do.
      result.written += 1;
    } else if (retryableItemStatus(outcome.status)) {
      result.failed.set(productId, `${outcome.status} ${outcome.error.type}: ${outcome.error.reason ?? ''}`);
    } else {
      result.rejected.set(productId, `${outcome.status} ${outcome.error.type}: ${outcome.error.reason ?? ''}`);
    }
  });
  return result;
}

const stampOf = (company: IndexedCompany | undefined) => {
  if (!company) return 'none';
  const updatedAt = company.updatedAt instanceof Date ? company.updatedAt.getTime() : String(company.updatedAt ?? '');
  return `${updatedAt}|${company.active}|${company.verified}`;
};

/** The index documents of these products, each with its supplier's copy folded in. */
export async function buildDocuments(
  companies: CompanySource,
  products: readonly IndexableProduct[],
): Promise<{ documents: IndexDocument[]; stamps: Map<string, string> }> {
  const copies = await companies.findMany(products.map((product) => product.supplierCompanyId));
  const stamps = new Map<string, string>();
  const documents = products.map((product) => {
    const company = copies.get(product.supplierCompanyId);
    stamps.set(product.supplierCompanyId, stampOf(company));
    return toIndexDocument(product, company ?? null, company?.active ?? false);
  });
  return { documents, stamps };
}

export interface IndexOutcome {
  written: number;
  /** Recorded as pending: Elasticsearch was unavailable. */
  pending: number;
}

/** How often a write is redone because the supplier's copy changed while it was under way. */
const MAX_COPY_RECHECKS = 2;

/**
 * Indexes the current state of these products. Unavailable → recorded as pending (returns
 * normally); a document Elasticsearch refuses for good throws (a bug, visible in the dead letters).
 *
 * After writing, the suppliers' copies are read again: if one changed meanwhile, the refresh that
 * change triggered may have been overwritten by this older view, so those products are written
 * again (with the same product version, which `external_gte` accepts).
 */
export async function indexProducts(deps: IndexerDeps, productIds: readonly string[]): Promise<IndexOutcome> {
  const ids = [...new Set(productIds)];
  return ids.length === 0 ? { written: 0, pending: 0 } : indexLoaded(deps, await deps.products.byIds(ids));
}

/**
 * indexProducts for products already at hand (a product event's full snapshot: no read of the
 * product). A snapshot older than the index's document is refused by its version.
 */
export async function indexLoaded(deps: IndexerDeps, loaded: readonly IndexableProduct[]): Promise<IndexOutcome> {
  const outcome: IndexOutcome = { written: 0, pending: 0 };
  let products = loaded;
  for (let round = 0; round <= MAX_COPY_RECHECKS && products.length > 0; round += 1) {
    const { documents, stamps } = await buildDocuments(deps.companies, products);
    const result = await writeDocuments(deps.elastic, deps.alias, documents);
    if (result.rejected.size > 0) {
      throw new Error(`search index refused ${result.rejected.size} document(s): ${[...result.rejected].slice(0, 3).map(([id, reason]) => `${id}: ${reason}`).join('; ')}`);
    }
    outcome.written += result.written;
    if (result.failed.size > 0) {
      await markPending(deps.pending, [...result.failed.keys()], [...result.failed.values()][0] ?? 'unavailable');
      outcome.pending += result.failed.size;
      deps.log.warn({ pending: result.failed.size, reason: [...result.failed.values()][0] }, 'search index unavailable: products recorded for catch-up');
      break;
    }
    // Deleted markers carry no supplier data: only live documents can hold a stale copy.
    const live = products.filter((product) => product.status === 'active');
    if (live.length === 0) break;
    const now = await deps.companies.findMany(new Set(live.map((product) => product.supplierCompanyId)));
    const moved = new Set([...stamps].filter(([companyId, stamp]) => stampOf(now.get(companyId)) !== stamp).map(([companyId]) => companyId));
    const again = live.filter((product) => moved.has(product.supplierCompanyId)).map((product) => product._id);
    products = again.length > 0 ? await deps.products.byIds(again) : [];
  }
  return outcome;
}

/** Batch size of a supplier refresh and of a catch-up round. */
export const INDEX_BATCH = 500;

/** Writes every product of a supplier again (its read copy changed: name, verification, certificates, suspension). */
export async function refreshSupplier(deps: IndexerDeps, companyId: string): Promise<IndexOutcome> {
  const ids = await deps.products.idsOfSupplier(companyId);
  const total: IndexOutcome = { written: 0, pending: 0 };
  for (let at = 0; at < ids.length; at += INDEX_BATCH) {
    const { written, pending } = await indexProducts(deps, ids.slice(at, at + INDEX_BATCH));
    total.written += written;
    total.pending += pending;
  }
  return total;
}

/**
 * One catch-up round: writes pending products, oldest mark first, batch by batch, until none is
 * left or Elasticsearch fails again (then the rest waits for the next round). Returns how many
 * marks it cleared.
 */
export async function catchUpPending(deps: IndexerDeps, { batchSize = INDEX_BATCH, signal }: { batchSize?: number; signal?: AbortSignal } = {}): Promise<number> {
  let cleared = 0;
  while (!signal?.aborted) {
    // The marks first, then the products: a mark made after this read has a token of its own.
    const marks = await deps.pending.find({}, { _id: 1, token: 1 }).sort({ markedAt: 1 }).limit(batchSize).lean();
    if (marks.length === 0) break;
    const products = await deps.products.byIds(marks.map((mark) => mark._id));
    const { documents } = await buildDocuments(deps.companies, products);
    const result = await writeDocuments(deps.elastic, deps.alias, documents);
    for (const [productId, reason] of result.rejected) deps.log.error({ productId, reason }, 'search index refused a pending product');
    const handled = marks.filter((mark) => !result.failed.has(mark._id));
    await clearPending(deps.pending, handled);
    cleared += handled.length;
    if (result.failed.size > 0) break;
  }
  return cleared;
}
