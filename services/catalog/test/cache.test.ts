import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { uniqueSuffix, waitFor, type TestIssuer } from '@foodxchange/service-kit/testing';
import { VersionedCache } from '../src/cache/versioned-cache.js';
import { productModel } from '../src/products/model.js';
import { buyer, companyId, productBody, startCatalog, startReplica, supplier, type CatalogTestApp } from './products.fixtures.js';

let catalog: CatalogTestApp;
let server: FastifyInstance;
let replica: FastifyInstance;
let issuer: TestIssuer;

beforeAll(async () => {
  catalog = await startCatalog();
  ({ server, issuer } = catalog);
  // A second catalog instance: same database, consumer group, topics and Redis.
  replica = await startReplica(catalog);
  await Promise.all([server.events.whenConsuming(), replica.events.whenConsuming()]);
});
afterAll(async () => {
  await replica?.close();
  await catalog?.close();
});

const read = (app: FastifyInstance, id: string, headers: Record<string, string> = {}) =>
  app.inject({ url: `/api/v1/products/${id}`, headers: { ...buyer(issuer), ...headers } });

async function newProduct(headers = supplier(issuer, companyId())) {
  const res = await server.inject({ method: 'POST', url: '/api/v1/products', headers, payload: productBody() });
  expect(res.statusCode, res.body).toBe(201);
  return { product: res.json().data as { id: string; name: string; version: number }, headers };
}

describe('GET /products/:id with ETag', () => {
  it('answers 304 to If-None-Match with the current ETag, and 200 with the new one after a change', async () => {
    const { product, headers } = await newProduct();
    const first = await read(server, product.id);
    const etag = first.headers.etag as string;
    expect(etag).toBe(`"${product.id}-v1"`);

    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const cached = await read(server, product.id, { 'if-none-match': header });
      expect(cached.statusCode, header).toBe(304);
      expect(cached.body).toBe('');
      expect(cached.headers.etag).toBe(etag);
    }
    expect((await read(server, product.id, { 'if-none-match': '"something-else"' })).statusCode).toBe(200);

    await server.inject({ method: 'PATCH', url: `/api/v1/products/${product.id}`, headers, payload: { name: 'Olive oil, new label' } });
    const after = await read(server, product.id, { 'if-none-match': etag });
    expect(after.statusCode).toBe(200);
    expect(after.headers.etag).toBe(`"${product.id}-v2"`);
    expect(after.json().data.name).toBe('Olive oil, new label');
  });

  it('serves repeated reads from memory, then from Redis, and a deleted product as 404 from the cache', async () => {
    const { product, headers } = await newProduct();
    const cache = server.productCache;
    const before = { ...cache.stats };
    await read(server, product.id);
    await read(server, product.id);
    expect(cache.stats.l1 - before.l1).toBe(2);
    expect(cache.stats.loads).toBe(before.loads);

    // Changed behind the service's back: the cached copy is still what is served (it is a cache) …
    await productModel(server.mongo).updateOne({ _id: product.id }, { $set: { name: 'changed directly' } });
    expect((await read(server, product.id)).json().data.name).toBe(product.name);
    // … from Redis too once the process forgets it.
    cache.clearLocal();
    const l2 = cache.stats.l2;
    expect((await read(server, product.id)).json().data.name).toBe(product.name);
    expect(cache.stats.l2).toBe(l2 + 1);

    await server.inject({ method: 'DELETE', url: `/api/v1/products/${product.id}`, headers });
    const loads = cache.stats.loads;
    expect((await read(server, product.id)).statusCode).toBe(404);
    cache.clearLocal();
    expect((await read(server, product.id)).statusCode).toBe(404);
    expect(cache.stats.loads).toBe(loads);
  });
});

describe('two catalog instances', () => {
  it("sees a change made through one instance in the other's cached read, and a deletion", async () => {
    const { product, headers } = await newProduct();
    // The replica caches version 1 in its own memory.
    expect((await read(replica, product.id)).json().data.version).toBe(1);
    expect((await read(replica, product.id)).json().data.version).toBe(1);
    const l1Hits = replica.productCache.stats.l1;
    expect(l1Hits).toBeGreaterThan(0);

    const changed = await server.inject({ method: 'PATCH', url: `/api/v1/products/${product.id}`, headers, payload: { name: 'Changed through the first instance' } });
    expect(changed.statusCode).toBe(200);
    // The first instance's product.updated reaches the replica's broadcast consumer, which drops
    // its in-process copy; the replica's next read finds version 2 (in Redis, set by the writer).
    await waitFor(async () => (await read(replica, product.id)).json().data.version === 2, { what: "the replica's cache to see version 2" });
    expect((await read(replica, product.id)).json().data.name).toBe('Changed through the first instance');
    expect((await read(replica, product.id, { 'if-none-match': `"${product.id}-v1"` })).statusCode).toBe(200);

    await server.inject({ method: 'DELETE', url: `/api/v1/products/${product.id}`, headers });
    await waitFor(async () => (await read(replica, product.id)).statusCode === 404, { what: 'the replica to see the deletion' });
  });

  it('keeps the in-process copy of the replica stale without the invalidation (so the test above proves it)', async () => {
    const { product } = await newProduct();
    expect((await read(replica, product.id)).json().data.version).toBe(1);
    // A write that publishes no event and leaves Redis alone: the replica keeps serving version 1.
    await productModel(server.mongo).updateOne({ _id: product.id }, { $set: { version: 5, name: 'silent' } });
    await server.productCache.written(product.id, { version: 5, value: { ...(await read(server, product.id)).json().data, version: 5, name: 'silent' } });
    expect((await read(replica, product.id)).json().data.version).toBe(1);
    replica.productCache.invalidate(product.id, 5);
    expect((await read(replica, product.id)).json().data).toMatchObject({ version: 5, name: 'silent' });
  });
});

describe('the versioned cache', () => {
  it('never puts back a version older than one a writer stored meanwhile', async () => {
    const cache = new VersionedCache<{ name: string }>({
      redis: server.redis,
      prefix: `test:cache:${uniqueSuffix()}:`,
      l1Max: 10,
      l1TtlMs: 60_000,
      redisTtlSeconds: 60,
      log: server.log,
    });
    // A reader loads version 1 from the database while a writer saves and stores version 2.
    const stale = await cache.get('p1', async () => {
      await cache.written('p1', { version: 2, value: { name: 'v2' } });
      return { version: 1, value: { name: 'v1' } };
    });
    expect(stale?.version).toBe(1); // that reader answers what it read …
    const next = await cache.get('p1', async () => ({ version: 1, value: { name: 'v1' } }));
    expect(next).toEqual({ version: 2, value: { name: 'v2' } }); // … but the cache kept version 2
    cache.clearLocal();
    expect(await cache.get('p1', async () => ({ version: 1, value: { name: 'v1' } }))).toEqual({ version: 2, value: { name: 'v2' } });

    // Told of version 3 by another replica while Redis still has 2: read through to the database.
    cache.invalidate('p1', 3);
    expect(await cache.get('p1', async () => ({ version: 3, value: { name: 'v3' } }))).toEqual({ version: 3, value: { name: 'v3' } });
    expect(JSON.parse((await server.redis.get(`${(cache as unknown as { options: { prefix: string } }).options.prefix}p1`))!)).toMatchObject({ version: 3 });
  });
});
