import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildService } from '@foodxchange/service-kit';
import { bearer, dropDatabase, isolatedEnv, startTestIssuer, uniqueSuffix, type TestIssuer } from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';
import {
  CSV_HEADER,
  IMPORTS_URL,
  csv,
  csvRow,
  finished,
  jobOf,
  ndjson,
  productJson,
  productsOf,
  supplierCompany,
  upload,
  type Supplier,
} from './imports-fixtures.js';

const MAX_BYTES = 4 * 1024 * 1024;
const MAX_ROWS = 12_000;
const MAX_REPORTED = 25;
const alias = `test-products-imports-${uniqueSuffix()}`;

let issuer: TestIssuer;
let server: FastifyInstance;
let supplier: Supplier;

beforeAll(async () => {
  issuer = await startTestIssuer();
  server = await buildService(
    service,
    app,
    isolatedEnv('catalog', { ...issuer.env, SEARCH_INDEX_ALIAS: alias, IMPORT_MAX_BYTES: MAX_BYTES, IMPORT_MAX_ROWS: MAX_ROWS, IMPORT_POLL_MS: 200, IMPORT_MAX_REPORTED_ERRORS: MAX_REPORTED }),
  );
  supplier = await supplierCompany(server, issuer, ['HACCP', 'ORGANIC_EU']);
});
afterAll(async () => {
  await server?.elastic.indices.delete({ index: `${alias}*`, ignore_unavailable: true, allow_no_indices: true }).catch(() => undefined);
  await dropDatabase(server);
  await server?.close();
  await issuer?.close();
});

describe('POST /products/imports (CSV)', () => {
  it('answers 202 with the job, creates the products, and a second import updates them by sku', async () => {
    const skus = ['TOM-1', 'TOM-2', 'TOM-3'];
    const first = await upload(server, supplier.headers, csv(skus.map((sku) => csvRow(sku))));
    expect(first.statusCode).toBe(202);
    const accepted = first.json().data;
    expect(accepted).toMatchObject({ status: 'queued', format: 'csv', totalRows: 3, links: { self: `${IMPORTS_URL}/${accepted.id}` } });
    expect(first.headers.location).toBe(`${IMPORTS_URL}/${accepted.id}`);

    const done = await finished(server, supplier.headers, accepted.id);
    expect(done).toMatchObject({ status: 'completed', totalRows: 3, counts: { processed: 3, created: 3, updated: 0, unchanged: 0, failed: 0 } });
    expect(done.progress).toEqual({ chunksDone: 1, chunkCount: 1, percent: 100 });
    expect(done.errors).toEqual([]);
    expect(Date.parse(done.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(done.startedAt!));

    const products = await productsOf(server, supplier.companyId);
    expect([...products.keys()].sort()).toEqual(skus);
    const tom1 = products.get('TOM-1')!;
    expect(tom1).toMatchObject({
      name: 'Tomatoes TOM-1',
      description: 'Vine tomatoes, class I',
      category: 'vegetables.tomatoes',
      originCountry: 'ES',
      unit: 'kg',
      moq: 100,
      certifications: ['HACCP'],
      allergens: [],
      storage: 'chilled',
      translations: { de: { name: 'Tomaten TOM-1' } },
    });
    expect(tom1.priceTiers.map((tier: { minQuantity: number; unitPriceMinor: number }) => [tier.minQuantity, tier.unitPriceMinor])).toEqual([
      [100, 250],
      [500, 220],
    ]);

    // TOM-2 gets a new price, TOM-3 stays, TOM-4 is new.
    const second = await upload(server, supplier.headers, csv([csvRow('TOM-2', { price: '2.40' }), csvRow('TOM-3'), csvRow('TOM-4')]));
    expect(second.statusCode).toBe(202);
    const again = await finished(server, supplier.headers, second.json().data.id);
    expect(again).toMatchObject({ status: 'completed', counts: { processed: 3, created: 1, updated: 1, unchanged: 1, failed: 0 } });
    const after = await productsOf(server, supplier.companyId);
    expect(after.size).toBe(4);
    expect(after.get('TOM-2')!.priceTiers[0].unitPriceMinor).toBe(240);
    expect(after.get('TOM-2')!._id).toBe(products.get('TOM-2')!._id);
    expect(after.get('TOM-3')!.version).toBe(products.get('TOM-3')!.version);
  });

  it('reports each bad row with its number, field and column, and imports the good ones', async () => {
    const rows = [
      csvRow('ERR-OK-1'),
      // 2: tiers out of order
      csvRow('ERR-TIERS').replace('100:2.50|500:2.20', '500:2.20|100:2.50'),
      // 3: an allergen that is not one of the EU's 14
      csvRow('ERR-ALLERGEN').replace(',HACCP,,', ',HACCP,milk|shellfish,'),
      // 4: no name
      csvRow('ERR-NONAME', { name: '' }),
      // 5: a NUL byte in the description
      csvRow('ERR-NUL').replace('Vine tomatoes, class I', 'Vine\u0000tomatoes'),
      // 6: a category that is not a leaf of GET /categories
      csvRow('ERR-CATEGORY').replace('vegetables.tomatoes', 'vegetables.potatoes-of-mars'),
      // 7: a certification the company does not hold
      csvRow('ERR-CERT').replace(',HACCP,,', ',HACCP|BRCGS,,'),
      csvRow('ERR-OK-2'),
      // 9: a row with a value too few
      'ERR-SHORT,Short row,,vegetables.tomatoes,ES,kg,100,EUR,100:1,,',
    ];
    const res = await upload(server, supplier.headers, csv(rows));
    expect(res.statusCode).toBe(202);
    const job = await finished(server, supplier.headers, res.json().data.id);
    expect(job).toMatchObject({ status: 'completed', totalRows: 9, counts: { processed: 9, created: 2, failed: 7 } });

    const byRow = new Map<number, (typeof job.errors)[number][]>();
    for (const error of job.errors) byRow.set(error.row, [...(byRow.get(error.row) ?? []), error]);
    expect([...byRow.keys()]).toEqual([2, 3, 4, 5, 6, 7, 9]);
    // The line of the file: the header is line 1.
    expect(byRow.get(2)![0]!.line).toBe(3);
    expect(byRow.get(2)!.map((error) => [error.field, error.column])).toContainEqual(['priceTiers.1.minQuantity', 'priceTiers']);
    expect(byRow.get(3)!.map((error) => [error.field, error.column])).toContainEqual(['allergens.1', 'allergens']);
    expect(byRow.get(4)!.map((error) => [error.field, error.column, error.message])).toEqual([['name', 'name', 'is required']]);
    expect(byRow.get(5)!.map((error) => [error.field, error.column, error.message])).toEqual([['description', 'description', 'must not contain the NUL character']]);
    expect(byRow.get(6)!.map((error) => [error.field, error.column])).toEqual([['category', 'category']]);
    expect(byRow.get(7)!.map((error) => error.field)).toContainEqual(expect.stringMatching(/^certifications/));
    expect(byRow.get(9)![0]).toMatchObject({ field: '', message: 'has 11 values; the header has 13 columns' });
    expect(job.errorCount).toBe(job.errors.length);
    expect(job.errorsTruncated).toBe(false);

    const products = await productsOf(server, supplier.companyId);
    expect(products.has('ERR-OK-1')).toBe(true);
    expect(products.has('ERR-OK-2')).toBe(true);
    for (const sku of ['ERR-TIERS', 'ERR-ALLERGEN', 'ERR-NONAME', 'ERR-NUL', 'ERR-CATEGORY', 'ERR-CERT', 'ERR-SHORT']) expect(products.has(sku)).toBe(false);
  });

  it('keeps the first IMPORT_MAX_REPORTED_ERRORS row errors and counts them all', async () => {
    const rows = [...Array.from({ length: 40 }, (_, index) => csvRow(`CAP-${index}`, { name: '' })), csvRow('CAP-OK')];
    const job = await finished(server, supplier.headers, (await upload(server, supplier.headers, csv(rows))).json().data.id);
    expect(job).toMatchObject({ status: 'completed', counts: { processed: 41, created: 1, failed: 40 }, errorCount: 40, errorsTruncated: true });
    expect(job.errors.map((error) => error.row)).toEqual(Array.from({ length: MAX_REPORTED }, (_, index) => index + 1));
  });

  it('reads semicolon-separated exports, any column order and case, and a later row of a sku wins', async () => {
    const header = 'SKU;Storage;Name;Category;originCountry;Unit;MOQ;Currency;PriceTiers;Allergens';
    const rows = [
      'SEMI-1;frozen;Peas;vegetables.tomatoes;PT;kg;10;EUR;10:1.5;',
      'SEMI-2;frozen;Beans;vegetables.tomatoes;PT;kg;10;EUR;10:1,5;',
      'SEMI-1;frozen;Garden peas;vegetables.tomatoes;PT;kg;10;EUR;10:1.25;',
    ];
    const res = await upload(server, supplier.headers, `${header}\r\n${rows.join('\r\n')}\r\n`);
    expect(res.statusCode).toBe(202);
    const job = await finished(server, supplier.headers, res.json().data.id);
    // "1,5" is no decimal number: that row fails on its price; SEMI-1 is created, then updated by its later row.
    expect(job.counts).toMatchObject({ processed: 3, created: 1, updated: 1, failed: 1 });
    expect(job.errors).toEqual([expect.objectContaining({ row: 2, line: 3, field: 'priceTiers.0.unitPrice', column: 'priceTiers' })]);
    expect((await productsOf(server, supplier.companyId)).get('SEMI-1')).toMatchObject({ name: 'Garden peas', storage: 'frozen' });
  });

  it('refuses a header that is not an import header, and a file that is not CSV, with 400 at once', async () => {
    const badHeader = await upload(server, supplier.headers, 'sku,name,colour\nA,B,red\n');
    expect(badHeader.statusCode).toBe(400);
    expect(badHeader.json()).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
    expect(Object.keys(badHeader.json().error.fields)).toEqual(expect.arrayContaining(['header.2', 'header.category', 'header.priceTiers']));

    const unclosed = await upload(server, supplier.headers, `${CSV_HEADER}\n${csvRow('Q-1')}\n"Q-2,unclosed\n`);
    expect(unclosed.statusCode).toBe(400);
    expect(unclosed.json().error.message).toMatch(/line 3/);

    const onlyHeader = await upload(server, supplier.headers, `${CSV_HEADER}\n`);
    expect(onlyHeader.statusCode).toBe(400);
  });
});

describe('POST /products/imports (NDJSON)', () => {
  it('imports one product per line, reports bad lines, and updates by sku on a second import', async () => {
    const body = [
      JSON.stringify(productJson('OIL-1')),
      '',
      JSON.stringify(productJson('OIL-2')),
      '{"sku": "OIL-3", not json',
      JSON.stringify(productJson('OIL-4', { allergens: ['celery', 'lupin', 'shellfish'] })),
      JSON.stringify(productJson('OIL-5', { name: 'Oil\u0000' })),
      JSON.stringify(productJson('OIL-6', { moq: 0, colour: 'green' })),
    ].join('\n');
    const res = await upload(server, supplier.headers, body, 'application/x-ndjson');
    expect(res.statusCode).toBe(202);
    expect(res.json().data).toMatchObject({ format: 'ndjson', totalRows: 6 });
    const job = await finished(server, supplier.headers, res.json().data.id);
    expect(job).toMatchObject({ status: 'completed', counts: { processed: 6, created: 2, failed: 4 } });
    // Rows are products (the blank line is no row); lines are the file's.
    expect(job.errors.map((error) => [error.row, error.line, error.field]).sort()).toEqual([
      [3, 4, ''],
      [4, 5, 'allergens.2'],
      [5, 6, 'name'],
      [6, 7, 'colour'],
      [6, 7, 'moq'],
    ]);
    expect(job.errors.every((error) => error.column === undefined)).toBe(true);

    const second = await upload(
      server,
      supplier.headers,
      ndjson([productJson('OIL-1', { moq: 60, priceTiers: [{ minQuantity: 60, unitPrice: 6.1, currency: 'EUR' }] }), productJson('OIL-2')]),
      'application/x-ndjson; charset=utf-8',
    );
    const again = await finished(server, supplier.headers, second.json().data.id);
    expect(again.counts).toMatchObject({ processed: 2, created: 0, updated: 1, unchanged: 1, failed: 0 });
    const products = await productsOf(server, supplier.companyId);
    expect(products.get('OIL-1')).toMatchObject({ moq: 60, translations: { fr: { name: "Huile d'olive OIL-1" } } });
  });
});

describe('import access and limits', () => {
  it('shows a job to its own company only: another supplier 404, a buyer 403, anonymous 401', async () => {
    const res = await upload(server, supplier.headers, csv([csvRow('OWN-1')]));
    const id = res.json().data.id;
    await finished(server, supplier.headers, id);

    const other = bearer(issuer.token({ role: 'supplier', companyId: `cmp-other-${uniqueSuffix()}` }));
    const buyer = bearer(issuer.token({ role: 'buyer', companyId: supplier.companyId }));
    expect((await server.inject({ url: `${IMPORTS_URL}/${id}`, headers: other })).statusCode).toBe(404);
    expect((await server.inject({ url: `${IMPORTS_URL}/${id}`, headers: other })).json().error.code).toBe('NOT_FOUND');
    expect((await server.inject({ url: `${IMPORTS_URL}/${id}`, headers: buyer })).statusCode).toBe(403);
    expect((await server.inject({ url: `${IMPORTS_URL}/${id}` })).statusCode).toBe(401);
    expect((await upload(server, buyer, csv([csvRow('BUY-1')]))).json()).toMatchObject({ success: false, error: { code: 'AUTHORIZATION_ERROR' } });
    expect((await upload(server, {}, csv([csvRow('ANON-1')]))).statusCode).toBe(401);

    const mine = await server.inject({ url: IMPORTS_URL, headers: supplier.headers });
    expect(mine.statusCode).toBe(200);
    expect(mine.json().data.map((job: { id: string }) => job.id)).toContain(id);
    expect(mine.json().data[0]).not.toHaveProperty('errors');
    const theirs = await server.inject({ url: IMPORTS_URL, headers: other });
    expect(theirs.json().data).toEqual([]);
  });

  it('answers 413 for a body over IMPORT_MAX_BYTES or more rows than IMPORT_MAX_ROWS, 415 for other formats', async () => {
    const tooLarge = await upload(server, supplier.headers, Buffer.alloc(MAX_BYTES + 1, 'a'));
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json()).toMatchObject({ success: false, error: { code: 'PAYLOAD_TOO_LARGE' }, metadata: { requestId: expect.any(String) } });

    const tooMany = await upload(server, supplier.headers, `${CSV_HEADER}\n${'x\n'.repeat(MAX_ROWS + 1)}`);
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json().error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { maxRows: MAX_ROWS } });

    for (const type of ['application/json', 'text/plain', 'text/csv; charset=iso-8859-1']) {
      const res = await upload(server, supplier.headers, type === 'application/json' ? JSON.stringify([productJson('J-1')]) : csv([csvRow('P-1')]), type);
      expect(res.statusCode, type).toBe(415);
      expect(res.json()).toMatchObject({ success: false, error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    }
    // Bytes that are not UTF-8.
    const latin1 = await upload(server, supplier.headers, Buffer.from(csv([csvRow('LAT-1', { name: 'Tomates séchées' })]), 'latin1'));
    expect(latin1.statusCode).toBe(400);
  });

  it('documents the import formats in the OpenAPI document', async () => {
    const doc = (await server.inject({ url: '/openapi.json' })).json();
    const post = doc.paths['/api/v1/products/imports'].post;
    expect(Object.keys(post.requestBody.content).sort()).toEqual(['application/x-ndjson', 'text/csv']);
    expect(post.description).toContain('priceTiers is minQuantity:unitPrice');
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['202', '401', '403', '413', '415']));
    expect(doc.paths['/api/v1/products/imports/{id}'].get).toBeDefined();
  });
});

describe('import throughput', () => {
  it('imports 10,000 CSV rows well within a minute', { timeout: 180_000 }, async () => {
    const big = await supplierCompany(server, issuer, ['HACCP']);
    const rows = Array.from({ length: 10_000 }, (_, index) => csvRow(`BULK-${String(index).padStart(5, '0')}`));
    const startedAt = performance.now();
    const res = await upload(server, big.headers, csv(rows));
    expect(res.statusCode).toBe(202);
    const acceptedMs = performance.now() - startedAt;
    const job = await finished(server, big.headers, res.json().data.id, 170_000);
    const totalMs = performance.now() - startedAt;
    console.log(`10,000-row CSV import: accepted in ${Math.round(acceptedMs)} ms, completed in ${Math.round(totalMs)} ms`);
    expect(job).toMatchObject({ status: 'completed', counts: { processed: 10_000, created: 10_000, failed: 0 } });
    expect((await productsOf(server, big.companyId)).size).toBe(10_000);
    // Chunks are dropped once the job is done.
    expect(await server.mongo.collection('import_chunks').countDocuments({ jobId: job.id })).toBe(0);
  });
});
