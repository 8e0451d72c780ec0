import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TOPICS, parseEvent } from '@foodxchange/contracts';
import { readTopicFromNow, waitFor, type ReadRecord, type TestIssuer } from '@foodxchange/service-kit/testing';
import { productModel } from '../src/products/model.js';
import { buyer, certificate, companyId, productBody, seedCompany, startCatalog, supplier, type CatalogTestApp } from './products.fixtures.js';

let catalog: CatalogTestApp;
let server: FastifyInstance;
let issuer: TestIssuer;
let created: { records: ReadRecord[]; stop: () => Promise<void> };
let updated: { records: ReadRecord[]; stop: () => Promise<void> };
let deleted: { records: ReadRecord[]; stop: () => Promise<void> };

beforeAll(async () => {
  catalog = await startCatalog();
  ({ server, issuer } = catalog);
  [created, updated, deleted] = await Promise.all([
    readTopicFromNow(TOPICS.productCreated),
    readTopicFromNow(TOPICS.productUpdated),
    readTopicFromNow(TOPICS.productDeleted),
  ]);
});
afterAll(async () => {
  await Promise.all([created?.stop(), updated?.stop(), deleted?.stop()]);
  await catalog?.close();
});

const post = (headers: Record<string, string>, payload: unknown) => server.inject({ method: 'POST', url: '/api/v1/products', headers, payload: payload as object });
const get = (id: string, headers: Record<string, string>) => server.inject({ url: `/api/v1/products/${id}`, headers });
const patch = (id: string, headers: Record<string, string>, payload: unknown) =>
  server.inject({ method: 'PATCH', url: `/api/v1/products/${id}`, headers, payload: payload as object });
const remove = (id: string, headers: Record<string, string>) => server.inject({ method: 'DELETE', url: `/api/v1/products/${id}`, headers });

const eventsFor = (reader: { records: ReadRecord[] }, productId: string, topic: Parameters<typeof parseEvent>[1]) =>
  reader.records.filter((record) => record.key === productId).map((record) => parseEvent(record.value!, topic));

describe('product CRUD with ownership', () => {
  it('creates, reads, changes and deletes a product of the caller\'s company, with prices in decimals and minor units', async () => {
    const company = companyId();
    await seedCompany(server, company, [certificate('HACCP')]);
    const owner = supplier(issuer, company);

    const res = await post(owner, productBody({ sku: 'EVOO-5L', certifications: ['HACCP'], allergens: ['sulphites'], translations: { de: { name: 'Natives Olivenöl extra' } } }));
    expect(res.statusCode, res.body).toBe(201);
    const product = res.json().data;
    expect(product).toMatchObject({
      supplierCompanyId: company,
      sku: 'EVOO-5L',
      language: 'en',
      translations: { de: { name: 'Natives Olivenöl extra' } },
      currency: 'EUR',
      priceTiers: [
        { minQuantity: 100, unitPrice: 8.45, unitPriceMinor: 845, currency: 'EUR' },
        { minQuantity: 5000, unitPrice: 7.9, unitPriceMinor: 790, currency: 'EUR' },
      ],
      certifications: ['HACCP'],
      allergens: ['sulphites'],
      status: 'active',
      version: 1,
    });
    expect(res.headers.etag).toBe(`"${product.id}-v1"`);
    const stored = await productModel(server.mongo).findById(product.id).lean();
    expect(stored!.priceTiers.map((tier) => tier.unitPriceMinor)).toEqual([845, 790]);

    // Any signed-in user reads it.
    const read = await get(product.id, buyer(issuer));
    expect(read.statusCode).toBe(200);
    expect(read.json().data).toEqual(product);

    const changed = await patch(product.id, owner, { moq: 1000, priceTiers: [{ minQuantity: 1000, unitPrice: 8.1, currency: 'EUR' }] });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json().data).toMatchObject({ moq: 1000, version: 2, name: product.name, priceTiers: [{ unitPriceMinor: 810 }] });
    expect(changed.headers.etag).toBe(`"${product.id}-v2"`);

    // A change that changes nothing saves nothing.
    const same = await patch(product.id, owner, { moq: 1000 });
    expect(same.json().data.version).toBe(2);

    const gone = await remove(product.id, owner);
    expect(gone.statusCode).toBe(200);
    expect((await get(product.id, owner)).statusCode).toBe(404);
    expect((await patch(product.id, owner, { moq: 5 })).statusCode).toBe(404);
    expect((await remove(product.id, owner)).statusCode).toBe(404);

    // The sku is free again.
    const again = await post(owner, productBody({ sku: 'EVOO-5L' }));
    expect(again.statusCode, again.body).toBe(201);
    expect(again.json().data.id).not.toBe(product.id);
  });

  it("answers 404 to another supplier's change or delete, 403 to buyers and 401 without a token", async () => {
    const company = companyId();
    const owner = supplier(issuer, company);
    const product = (await post(owner, productBody())).json().data;
    const other = supplier(issuer, companyId());

    const foreignPatch = await patch(product.id, other, { name: 'Hijacked' });
    expect(foreignPatch.statusCode).toBe(404);
    expect(foreignPatch.json()).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
    expect((await remove(product.id, other)).statusCode).toBe(404);

    expect((await post(buyer(issuer), productBody())).statusCode).toBe(403);
    expect((await patch(product.id, buyer(issuer), { name: 'x' })).statusCode).toBe(403);
    expect((await remove(product.id, buyer(issuer))).statusCode).toBe(403);

    expect((await post({}, productBody())).statusCode).toBe(401);
    expect((await get(product.id, {})).statusCode).toBe(401);
    expect((await server.inject({ url: '/api/v1/categories' })).statusCode).toBe(401);

    // Unchanged after all that.
    expect((await get(product.id, owner)).json().data).toMatchObject({ name: product.name, version: 1 });
  });

  it('answers 409 for an sku the supplier already uses, and lets another supplier use it', async () => {
    const owner = supplier(issuer, companyId());
    const body = productBody();
    expect((await post(owner, body)).statusCode).toBe(201);
    const duplicate = await post(owner, productBody({ sku: body.sku }));
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json()).toMatchObject({ success: false, error: { code: 'CONFLICT' } });
    expect((await post(supplier(issuer, companyId()), productBody({ sku: body.sku }))).statusCode).toBe(201);

    // Renaming another product onto a used sku is a conflict too.
    const second = (await post(owner, productBody())).json().data;
    expect((await patch(second.id, owner, { sku: body.sku })).statusCode).toBe(409);

    // Two creates at once: exactly one wins.
    const racing = productBody();
    const answers = await Promise.all([post(owner, racing), post(owner, racing), post(owner, racing)]);
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([201, 409, 409]);
  });
});

describe('bad input', () => {
  const owner = () => supplier(issuer, companyId());
  const fieldsOf = (res: { statusCode: number; json(): { error: { code: string; fields?: Record<string, string[]> } } }) => {
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_ERROR');
    return Object.keys(res.json().error.fields ?? {});
  };

  it.each([
    ['zero moq', { moq: 0 }, 'body.moq'],
    ['negative moq', { moq: -5 }, 'body.moq'],
    ['tiers out of order', { priceTiers: [{ minQuantity: 100, unitPrice: 8, currency: 'EUR' }, { minQuantity: 50, unitPrice: 7, currency: 'EUR' }] }, 'body.priceTiers.1.minQuantity'],
    ['equal tiers', { priceTiers: [{ minQuantity: 100, unitPrice: 8, currency: 'EUR' }, { minQuantity: 100, unitPrice: 7, currency: 'EUR' }] }, 'body.priceTiers.1.minQuantity'],
    ['first tier above moq', { moq: 50 }, 'body.priceTiers.0.minQuantity'],
    ['no tiers', { priceTiers: [] }, 'body.priceTiers'],
    ['unknown currency', { priceTiers: [{ minQuantity: 100, unitPrice: 8, currency: 'XYZ' }] }, 'body.priceTiers.0.currency'],
    ['lower-case currency', { priceTiers: [{ minQuantity: 100, unitPrice: 8, currency: 'eur' }] }, 'body.priceTiers.0.currency'],
    ['two currencies', { priceTiers: [{ minQuantity: 100, unitPrice: 8, currency: 'EUR' }, { minQuantity: 200, unitPrice: 7, currency: 'USD' }] }, 'body.priceTiers.1.currency'],
    ['price finer than the currency', { priceTiers: [{ minQuantity: 100, unitPrice: 8.455, currency: 'EUR' }] }, 'body.priceTiers.0.unitPrice'],
    ['yen with decimals', { priceTiers: [{ minQuantity: 100, unitPrice: 8.5, currency: 'JPY' }] }, 'body.priceTiers.0.unitPrice'],
    ['negative price', { priceTiers: [{ minQuantity: 100, unitPrice: -1, currency: 'EUR' }] }, 'body.priceTiers.0.unitPrice'],
    ['unknown allergen', { allergens: ['milk', 'kiwi'] }, 'body.allergens.1'],
    ['unknown certification', { certifications: ['ISO9001'] }, 'body.certifications.0'],
    ['bad country code', { originCountry: 'Spain' }, 'body.originCountry'],
    ['no such country', { originCountry: 'XX' }, 'body.originCountry'],
    ['withdrawn country code', { originCountry: 'SU' }, 'body.originCountry'],
    ['group instead of leaf category', { category: 'vegetables' }, 'body.category'],
    ['unknown category', { category: 'vegetables.kryptonite' }, 'body.category'],
    ['unknown storage', { storage: 'warm' }, 'body.storage'],
    ['translation in a non-EU language', { translations: { ja: { name: 'オリーブオイル' } } }, 'body.translations.ja'],
    ['translation of the own language', { translations: { en: { name: 'Olive oil' } } }, 'body.translations.en'],
    ['unknown language', { language: 'xx' }, 'body.language'],
    ['oversized name', { name: 'n'.repeat(201) }, 'body.name'],
    ['oversized description', { description: 'd'.repeat(2001) }, 'body.description'],
    ['oversized sku', { sku: 's'.repeat(65) }, 'body.sku'],
    ['blank name', { name: '   ' }, 'body.name'],
    ['NUL in the name', { name: 'Olive\u0000oil' }, 'body.name'],
    ['NUL in a description', { description: 'Cold\u0000pressed' }, 'body.description'],
    ['control character in the sku', { sku: 'A\u0007B' }, 'body.sku'],
    ['NUL in a translation', { translations: { fr: { description: 'Huile\u0000' } } }, 'body.translations.fr.description'],
    ['an unknown field', { colour: 'green' }, 'body.colour'],
    ['a string moq', { moq: '500' }, 'body.moq'],
  ])('refuses %s with a field error', async (_name, overrides, field) => {
    const res = await post(owner(), productBody(overrides));
    expect(fieldsOf(res), res.body).toContain(field);
  });

  it('refuses a missing field, naming it', async () => {
    const { unit: _unit, ...body } = productBody();
    expect(fieldsOf(await post(owner(), body))).toContain('body.unit');
  });

  it('refuses a PATCH that would make the product invalid, naming the field changed', async () => {
    const headers = owner();
    const product = (await post(headers, productBody())).json().data;
    expect(fieldsOf(await patch(product.id, headers, { moq: 50 }))).toEqual(['body.moq']);
    expect(fieldsOf(await patch(product.id, headers, {}))).toEqual(['body']);
    expect(fieldsOf(await patch(product.id, headers, { name: 'a\u0000b' }))).toEqual(['body.name']);
    expect(fieldsOf(await patch(product.id, headers, { allergens: ['nuts', 'nuts'] }))).toEqual(['body.allergens']);
    expect((await get(product.id, headers)).json().data.version).toBe(1);
  });

  it('refuses a malformed product id', async () => {
    const res = await get('not/an/id', owner());
    expect([400, 404]).toContain(res.statusCode);
    const bad = await get('a%00b', owner());
    expect(bad.statusCode).toBe(400);
  });
});

describe('certifications a product claims', () => {
  it('accepts only certifications the company holds with a certificate valid today', async () => {
    const company = companyId();
    await seedCompany(server, company, [
      certificate('HACCP'),
      certificate('ISO22000', -400, -1), // expired yesterday
      certificate('BRCGS', 10, 400), // not started yet
      certificate('IFS', -10, 0), // last day today
    ]);
    const owner = supplier(issuer, company);

    expect((await post(owner, productBody({ certifications: ['HACCP', 'IFS'] }))).statusCode).toBe(201);
    for (const claimed of [['ISO22000'], ['BRCGS'], ['HALAL'], ['HACCP', 'KOSHER']]) {
      const res = await post(owner, productBody({ certifications: claimed }));
      expect(res.statusCode, claimed.join()).toBe(400);
      expect(Object.keys(res.json().error.fields)).toEqual(['body.certifications']);
      expect(res.json().error.fields['body.certifications'][0]).toContain(claimed.at(-1));
    }
    // A company the catalog knows nothing about yet holds nothing.
    const unknown = await post(supplier(issuer, companyId()), productBody({ certifications: ['HACCP'] }));
    expect(Object.keys(unknown.json().error.fields)).toEqual(['body.certifications']);

    const product = (await post(owner, productBody())).json().data;
    const claim = await patch(product.id, owner, { certifications: ['ISO22000'] });
    expect(claim.statusCode).toBe(400);
    expect(Object.keys(claim.json().error.fields)).toEqual(['body.certifications']);
    expect((await patch(product.id, owner, { certifications: ['HACCP'] })).statusCode).toBe(200);
  });
});

describe('product events', () => {
  it('publishes product.created, product.updated and product.deleted with the full snapshot and the version', async () => {
    const company = companyId();
    await seedCompany(server, company, [], 'Olivar del Sur S.L.');
    const owner = supplier(issuer, company);
    const product = (await post(owner, productBody({ language: 'es', name: 'Aceite de oliva virgen extra', translations: { en: { name: 'Extra virgin olive oil' } } }))).json().data;
    await patch(product.id, owner, { name: 'Aceite de oliva virgen extra, lata 5 l' });
    await remove(product.id, owner);

    const [createdEvent] = await waitFor(() => eventsFor(created, product.id, TOPICS.productCreated).length === 1 && eventsFor(created, product.id, TOPICS.productCreated), { what: 'product.created' });
    expect(createdEvent!.data).toMatchObject({
      productId: product.id,
      supplierCompanyId: company,
      supplierName: 'Olivar del Sur S.L.',
      sku: product.sku,
      name: 'Aceite de oliva virgen extra',
      language: 'es',
      translations: { en: { name: 'Extra virgin olive oil' } },
      category: 'oils.olive-oil',
      priceTiers: [{ minQuantity: 100, unitPriceMinor: 845, currency: 'EUR' }, { minQuantity: 5000, unitPriceMinor: 790, currency: 'EUR' }],
      version: 1,
      status: 'active',
    });
    const [updatedEvent] = await waitFor(() => eventsFor(updated, product.id, TOPICS.productUpdated).length === 1 && eventsFor(updated, product.id, TOPICS.productUpdated), { what: 'product.updated' });
    expect(updatedEvent!.data).toMatchObject({ productId: product.id, name: 'Aceite de oliva virgen extra, lata 5 l', version: 2, changedFields: ['name'], moq: 500 });
    const [deletedEvent] = await waitFor(() => eventsFor(deleted, product.id, TOPICS.productDeleted).length === 1 && eventsFor(deleted, product.id, TOPICS.productDeleted), { what: 'product.deleted' });
    expect(deletedEvent!.data).toMatchObject({ productId: product.id, supplierCompanyId: company, sku: product.sku, version: 3 });
  });
});
