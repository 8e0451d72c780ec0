import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@elastic/elasticsearch';
import type { FastifyInstance } from 'fastify';
import { waitFor, type TestIssuer } from '@foodxchange/service-kit/testing';
import { productModel } from '../src/products/model.js';
import { AggregateLocks } from '@foodxchange/service-kit';
import { CatchUpLoop } from '../src/search/catch-up.js';
import { buildDocuments, catchUpPending, indexProducts, writeDocuments } from '../src/search/indexer.js';
import { pendingIndexModel } from '../src/search/pending.js';
import { searchProducts } from '../src/search/search.js';
import { buyer, companyId, seedCompany, startCatalog, type CatalogTestApp } from './products.fixtures.js';
import { dropTestIndexes, searchUrl } from './search.fixtures.js';

let catalog: CatalogTestApp;
let server: FastifyInstance;
let issuer: TestIssuer;
let alias: string;
/** An Elasticsearch client whose node refuses every connection: Elasticsearch "down" for the writer only. */
let unreachable: Client;
const company = companyId();

/** Writes a product straight into Mongo (no event): only the indexer calls of the test index it. */
async function storeProduct(name: string, version = 1): Promise<string> {
  const id = randomUUID();
  const now = new Date();
  await productModel(server.mongo).create({
    _id: id,
    supplierCompanyId: company,
    sku: `SKU-${id.slice(0, 8)}`,
    skuKey: `SKU-${id.slice(0, 8)}`,
    name,
    language: 'en',
    category: 'vegetables.mushrooms',
    originCountry: 'PL',
    unit: 'kg',
    moq: 10,
    currency: 'EUR',
    priceTiers: [{ minQuantity: 10, unitPriceMinor: 450, currency: 'EUR' }],
    certifications: [],
    allergens: [],
    storage: 'chilled',
    status: 'active',
    version,
    createdBy: 'usr-test',
    updatedBy: 'usr-test',
    createdAt: now,
    updatedAt: now,
  });
  return id;
}

const found = async (q: string) => {
  const res = await server.inject({ url: searchUrl({ q }), headers: buyer(issuer) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data.map((hit: { id: string; name: string }) => ({ id: hit.id, name: hit.name }));
};

beforeAll(async () => {
  catalog = await startCatalog({ SEARCH_CATCH_UP_INTERVAL_MS: 200 });
  ({ server, issuer } = catalog);
  alias = String(catalog.env.SEARCH_INDEX_ALIAS);
  unreachable = new Client({ node: 'http://127.0.0.1:9', maxRetries: 0, requestTimeout: 2000 });
  await seedCompany(server, company, [], 'Forest Fungi Sp. z o.o.');
});

afterAll(async () => {
  await unreachable?.close();
  if (server) await dropTestIndexes(server, alias);
  await catalog?.close();
});

describe('indexing while Elasticsearch is unreachable', () => {
  it('records the product as pending and the catch-up loop indexes it once Elasticsearch answers', async () => {
    const id = await storeProduct('Chanterelle mushrooms');
    const pending = pendingIndexModel(server.mongo);

    // What a product event's handler does, with the writer's Elasticsearch refusing connections.
    const outcome = await indexProducts({ ...server.productSearch.indexer, elastic: unreachable }, [id]);
    expect(outcome).toEqual({ written: 0, pending: 1 });
    expect(await pending.findById(id).lean()).toMatchObject({ _id: id });

    // The app's own loop (its client reaches Elasticsearch) writes it and clears the mark.
    await waitFor(async () => (await found('chanterelle')).some((hit: { id: string }) => hit.id === id), { what: 'the pending product in search' });
    await waitFor(async () => (await pending.countDocuments({ _id: id })) === 0, { what: 'the pending mark cleared' });
  });

  it('keeps a product pending while Elasticsearch stays unreachable, and runs on one replica at a time', async () => {
    const id = await storeProduct('Porcini mushrooms');
    const pending = pendingIndexModel(server.mongo);
    const indexer = server.productSearch.indexer;
    // Another replica's loop, and a lock held as a running round holds it.
    const otherReplica = new CatchUpLoop(indexer, server.mongo, { intervalMs: 60_000, batchSize: 10 });
    await new AggregateLocks(server.mongo).withLock(`catalog-search-catch-up:${alias}`, async () => {
      await indexProducts({ ...indexer, elastic: unreachable }, [id]);
      // While the round runs, no other round starts (the app's own loop skips too).
      expect(await otherReplica.runOnce()).toBe(0);
      expect(await pending.countDocuments({ _id: id })).toBe(1);
      // Elasticsearch still unreachable: the mark stays for the next round.
      expect(await catchUpPending({ ...indexer, elastic: unreachable })).toBe(0);
      expect(await pending.countDocuments({ _id: id })).toBe(1);
    });
    // Lock released: a round (this one or the app's) writes it.
    await otherReplica.runOnce();
    await otherReplica.stop();
    await waitFor(async () => (await pending.countDocuments({ _id: id })) === 0, { what: 'the pending mark cleared' });
    await waitFor(async () => (await found('porcini')).length === 1, { what: 'the caught-up product in search' });
  });
});

describe('searching while Elasticsearch is unreachable', () => {
  it('answers 503 SERVICE_UNAVAILABLE, not a 500', async () => {
    await expect(searchProducts(unreachable, alias, { q: 'mushrooms' })).rejects.toMatchObject({ statusCode: 503, code: 'SERVICE_UNAVAILABLE' });
  });
});

describe('external versions', () => {
  it('never lets an older version overwrite a newer document', async () => {
    const id = await storeProduct('Oyster mushrooms', 5);
    const [stored] = await server.productSearch.indexer.products.byIds([id]);
    const { documents: [newer] } = await buildDocuments(server.productSearch.indexer.companies, [stored!]);
    await writeDocuments(server.elastic, alias, [newer!]);
    const { documents: [older] } = await buildDocuments(server.productSearch.indexer.companies, [{ ...stored!, name: 'Stale name', version: 4 }]);
    const result = await writeDocuments(server.elastic, alias, [older!]);
    // Refused as a conflict, which the indexer counts as done (a newer one is there).
    expect(result.failed.size + result.rejected.size).toBe(0);
    const inIndex = await server.elastic.get<{ name: string; version: number }>({ index: alias, id });
    expect(inIndex._source).toMatchObject({ name: 'Oyster mushrooms', version: 5 });
    expect(inIndex._version).toBe(5);
  });
});
