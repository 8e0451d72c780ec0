import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TOPICS, parseEvent } from '@foodxchange/contracts';
import { readTopicFromNow, waitFor, type ReadRecord, type TestIssuer } from '@foodxchange/service-kit/testing';
import { productModel } from '../src/products/model.js';
import type { ProductInput } from '../src/products/schemas.js';
import { allLiveProducts, productsOfSupplier, upsertProductsBySku } from '../src/products/service.js';
import { buyer, certificate, companyId, productBody, seedCompany, startCatalog, supplier, type CatalogTestApp } from './products.fixtures.js';

let catalog: CatalogTestApp;
let server: FastifyInstance;
let issuer: TestIssuer;
let createdTopic: { records: ReadRecord[]; stop: () => Promise<void> };
let updatedTopic: { records: ReadRecord[]; stop: () => Promise<void> };

beforeAll(async () => {
  catalog = await startCatalog();
  ({ server, issuer } = catalog);
  [createdTopic, updatedTopic] = await Promise.all([readTopicFromNow(TOPICS.productCreated), readTopicFromNow(TOPICS.productUpdated)]);
});
afterAll(async () => {
  await Promise.all([createdTopic?.stop(), updatedTopic?.stop()]);
  await catalog?.close();
});

const row = (overrides: Record<string, unknown> = {}) => productBody({ language: 'en', ...overrides }) as unknown as ProductInput;
const actor = { userId: 'usr-importer' };
const context = () => server.events.context(undefined, 'corr-import');
const upsert = (company: string, rows: ProductInput[]) => upsertProductsBySku(server.productDeps, company, rows, actor, context());

describe('upsertProductsBySku', () => {
  it('creates, updates, leaves unchanged and fails rows, one result per row in order', async () => {
    const company = companyId();
    await seedCompany(server, company, [certificate('HACCP'), certificate('ISO22000', -400, -2)]);
    const first = await upsert(company, [row({ sku: 'A-1' }), row({ sku: 'B-2', certifications: ['HACCP'] })]);
    expect(first).toEqual([
      { outcome: 'created', productId: expect.any(String) },
      { outcome: 'created', productId: expect.any(String) },
    ]);
    const [a, b] = first as Array<{ productId: string }>;

    const second = await upsert(company, [
      row({ sku: 'A-1', name: 'Renamed by the ERP' }), // updated
      row({ sku: 'B-2', certifications: ['HACCP'] }), // unchanged
      row({ sku: 'C-3', moq: 10 }), // failed: first tier (100) above moq
      row({ sku: 'D-4', certifications: ['ISO22000'] }), // failed: expired certificate
      row({ sku: 'E-5', priceTiers: [{ minQuantity: 100, unitPrice: 1, currency: 'EUR' }, { minQuantity: 50, unitPrice: 1, currency: 'USD' }] }),
      row({ sku: 'F-6' }), // created
      row({ sku: 'F-6', name: 'again' }), // failed: the sku repeats in the batch
    ]);
    expect(second).toEqual([
      { outcome: 'updated', productId: a!.productId },
      { outcome: 'unchanged', productId: b!.productId },
      { outcome: 'failed', fields: { 'priceTiers.0.minQuantity': [expect.stringContaining('moq')] } },
      { outcome: 'failed', fields: { certifications: [expect.stringContaining('ISO22000')] } },
      { outcome: 'failed', fields: { 'priceTiers.1.currency': [expect.any(String)], 'priceTiers.1.minQuantity': [expect.any(String)] } },
      { outcome: 'created', productId: expect.any(String) },
      { outcome: 'failed', fields: { sku: [expect.stringContaining('row 6')] } },
    ]);

    const products = await productsOfSupplier(server.productDeps, company);
    expect(products.map((p) => p.sku).sort()).toEqual(['A-1', 'B-2', 'F-6']);
    expect(products.find((p) => p.sku === 'A-1')).toMatchObject({ name: 'Renamed by the ERP', version: 2, updatedBy: 'usr-importer' });
    expect(products.find((p) => p.sku === 'B-2')!.version).toBe(1);

    // Read through the API (and its cache, which the batch refreshed): the new name.
    const res = await server.inject({ url: `/api/v1/products/${a!.productId}`, headers: buyer(issuer) });
    expect(res.json().data).toMatchObject({ name: 'Renamed by the ERP', version: 2 });

    // Events: one product.created per created row, one product.updated for the update.
    const createdIds = [a!.productId, b!.productId, (second[5] as { productId: string }).productId];
    await waitFor(() => createdIds.every((id) => createdTopic.records.some((r) => r.key === id)), { what: 'product.created of each created row' });
    const updates = await waitFor(() => {
      const found = updatedTopic.records.filter((r) => r.key === a!.productId);
      return found.length > 0 && found;
    }, { what: 'product.updated of the updated row' });
    const updatedEvent = parseEvent(updates[0]!.value!, TOPICS.productUpdated);
    expect(updatedEvent.data).toMatchObject({ name: 'Renamed by the ERP', version: 2, changedFields: ['name'], supplierCompanyId: company });
    expect(updatedEvent.correlationid).toBe('corr-import');
    expect(updatedTopic.records.filter((r) => r.key === b!.productId)).toHaveLength(0);
  });

  it('updates a product listed through the API by its sku and fails a row whose product changed meanwhile', async () => {
    const company = companyId();
    const headers = supplier(issuer, company);
    const listed = (await server.inject({ method: 'POST', url: '/api/v1/products', headers, payload: productBody({ sku: 'API-1' }) })).json().data;
    const [result] = await upsert(company, [row({ sku: 'API-1', moq: 700 })]);
    expect(result).toEqual({ outcome: 'updated', productId: listed.id });
    expect((await productModel(server.mongo).findById(listed.id).lean())!.moq).toBe(700);

    // A deleted product's sku is free: the import creates a new product.
    await server.inject({ method: 'DELETE', url: `/api/v1/products/${listed.id}`, headers });
    const [recreated] = await upsert(company, [row({ sku: 'API-1' })]);
    expect(recreated).toMatchObject({ outcome: 'created' });
    expect((recreated as { productId: string }).productId).not.toBe(listed.id);
  });

  it('takes a thousand rows in one batch in seconds, and allLiveProducts walks every live product once, in batches', async () => {
    const company = companyId();
    const rows = Array.from({ length: 1200 }, (_, index) => row({ sku: `BULK-${index}`, name: `Bulk product ${index}` }));
    const started = Date.now();
    const results = await upsert(company, rows);
    const createdMs = Date.now() - started;
    expect(results.every((result) => result.outcome === 'created')).toBe(true);
    const again = await upsert(company, rows.map((r, index) => (index % 2 === 0 ? { ...r, moq: 600 } : r)));
    expect(again.filter((result) => result.outcome === 'updated')).toHaveLength(600);
    expect(again.filter((result) => result.outcome === 'unchanged')).toHaveLength(600);
    // Generous bound for a loaded CI machine: the batch is one read and one bulk write.
    expect(createdMs).toBeLessThan(60_000);

    const seen: string[] = [];
    for await (const batch of allLiveProducts(server.productDeps, { batchSize: 500 })) {
      expect(batch.length).toBeLessThanOrEqual(500);
      seen.push(...batch.map((product) => product._id));
    }
    expect(new Set(seen).size).toBe(seen.length);
    const mine = new Set((await productsOfSupplier(server.productDeps, company)).map((p) => p._id));
    expect(mine.size).toBe(1200);
    expect(seen.filter((id) => mine.has(id))).toHaveLength(1200);
  });
});
