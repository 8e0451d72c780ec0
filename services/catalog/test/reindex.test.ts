import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { waitFor, type TestIssuer } from '@foodxchange/service-kit/testing';
import { productModel } from '../src/products/model.js';
import { upsertProductsBySku } from '../src/products/service.js';
import type { ProductInput } from '../src/products/schemas.js';
import { reindex, indexesOfAlias } from '../src/search/reindex.js';
import { buyer, companyId, productBody, seedCompany, startCatalog, startReplica, type CatalogTestApp } from './products.fixtures.js';
import { dropTestIndexes, searchUrl } from './search.fixtures.js';

const PRODUCTS = 300;

let catalog: CatalogTestApp;
let server: FastifyInstance;
let issuer: TestIssuer;
let alias: string;
const company = companyId();

const total = async () => {
  const res = await server.inject({ url: searchUrl({ pageSize: 1 }), headers: buyer(issuer) });
  return res.statusCode === 200 ? (res.json().pagination.total as number) : -res.statusCode;
};

beforeAll(async () => {
  catalog = await startCatalog();
  ({ server, issuer } = catalog);
  alias = String(catalog.env.SEARCH_INDEX_ALIAS);
  await seedCompany(server, company, [], 'Bulk Greens B.V.');
  const rows = Array.from({ length: PRODUCTS }, (_, i) =>
    productBody({ sku: `ROW-${String(i).padStart(4, '0')}`, name: `Tomato lot ${i}`, category: 'vegetables.tomatoes', language: 'en', certifications: [], allergens: [] }),
  ) as unknown as ProductInput[];
  const results = await upsertProductsBySku(server.productDeps, company, rows, { userId: 'usr-bulk' }, server.events.context());
  expect(results.every((result) => result.outcome === 'created')).toBe(true);
  await waitFor(async () => (await total()) === PRODUCTS, { what: 'the products indexed from their events', timeoutMs: 90_000, intervalMs: 500 });
});

afterAll(async () => {
  if (server) await dropTestIndexes(server, alias);
  await catalog?.close();
});

describe('reindex', () => {
  it('builds a new index from Mongo and swaps the alias atomically while searches run, with no failed search', async () => {
    const before = await indexesOfAlias(server.elastic, alias);
    expect(before).toHaveLength(1);

    let running = true;
    let searches = 0;
    const failures: string[] = [];
    const loop = (async () => {
      while (running) {
        const res = await server.inject({ url: searchUrl({ q: 'tomato', pageSize: 5 }), headers: buyer(issuer) });
        searches += 1;
        if (res.statusCode !== 200) failures.push(`${res.statusCode} ${res.body}`);
        else if (res.json().pagination.total !== PRODUCTS) failures.push(`total ${res.json().pagination.total}`);
      }
    })();

    // A product changed after the new index read it, with no event: only the pass after the
    // swap (products changed since the build started) can bring it into the new index.
    const products = productModel(server.mongo);
    const changed = await products.findOne({ supplierCompanyId: company, sku: 'ROW-0007' }).lean();
    let changedDuringBuild = false;
    const result = await reindex(
      { ...server.productSearch.indexer, log: server.log },
      {
        onBatch: () => {
          if (changedDuringBuild) return;
          changedDuringBuild = true;
          void products.updateOne({ _id: changed!._id }, { $set: { name: 'Heirloom kumquat lot', version: changed!.version + 1, updatedAt: new Date() } }).exec();
        },
      },
    );
    // Searches keep running across the swap and the old index's deletion.
    await waitFor(() => searches > 20, { what: 'searches after the swap' });
    running = false;
    await loop;

    expect(failures).toEqual([]);
    expect(result.documents).toBe(PRODUCTS);
    expect(result.docsPerSecond).toBeGreaterThan(0);
    expect(await indexesOfAlias(server.elastic, alias)).toEqual([result.index]);
    expect(result.previous).toEqual(before);
    expect(await server.elastic.indices.exists({ index: before[0]! })).toBe(false);
    expect(result.caughtUp).toBeGreaterThanOrEqual(1);
    await waitFor(
      async () => {
        const res = await server.inject({ url: searchUrl({ q: 'kumquat' }), headers: buyer(issuer) });
        return res.json().data?.[0]?.id === changed!._id;
      },
      { what: 'the product changed during the build, in the new index' },
    );
  });

  it('runs as the package script and prints docs/s', async () => {
    const before = await indexesOfAlias(server.elastic, alias);
    const cli = fileURLToPath(new URL('../src/search/reindex-cli.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
    const { stdout } = await promisify(execFile)(tsx, [cli], {
      env: { ...process.env, MONGO_DB: String(catalog.env.MONGO_DB), SEARCH_INDEX_ALIAS: alias, LOG_LEVEL: 'silent' },
      timeout: 120_000,
    });
    expect(stdout).toMatch(new RegExp(`reindexed ${PRODUCTS} products into ${alias}-\\S+ .* \\d+ docs/s`));
    const after = await indexesOfAlias(server.elastic, alias);
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
    expect(await total()).toBe(PRODUCTS);
  });

  it('creates the index and alias at start-up when the alias is missing, and fills it from Mongo', async () => {
    const current = await indexesOfAlias(server.elastic, alias);
    await server.elastic.indices.delete({ index: current });
    expect(await indexesOfAlias(server.elastic, alias)).toEqual([]);
    const replica = await startReplica(catalog);
    try {
      const created = await indexesOfAlias(replica.elastic, alias);
      expect(created).toHaveLength(1);
      expect(created[0]).toMatch(new RegExp(`^${alias}-\\d{8}t\\d{9}z$`));
      const mapping = await replica.elastic.indices.getMapping({ index: created[0]! });
      expect(mapping[created[0]!]!.mappings.dynamic).toBe('strict');
      expect(await total()).toBe(PRODUCTS);
      // A start with the alias present keeps its index (the mapping is applied to it in place).
      const another = await startReplica(catalog);
      await another.close();
      expect(await indexesOfAlias(server.elastic, alias)).toEqual(created);
    } finally {
      await replica.close();
    }
  });
});
