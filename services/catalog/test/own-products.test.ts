import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { bearer, type TestIssuer } from '@foodxchange/service-kit/testing';
import { literalPattern } from '../src/products/service.js';
import { buyer, companyId, productBody, startCatalog, supplier, type CatalogTestApp } from './products.fixtures.js';

let catalog: CatalogTestApp;
let server: FastifyInstance;
let issuer: TestIssuer;

beforeAll(async () => {
  catalog = await startCatalog();
  ({ server, issuer } = catalog);
});
afterAll(async () => {
  await catalog?.close();
});

const post = (headers: Record<string, string>, payload: unknown) => server.inject({ method: 'POST', url: '/api/v1/products', headers, payload: payload as object });
const remove = (id: string, headers: Record<string, string>) => server.inject({ method: 'DELETE', url: `/api/v1/products/${id}`, headers });
const mine = (headers: Record<string, string>, query = '') => server.inject({ url: `/api/v1/products/mine${query}`, headers });

async function create(headers: Record<string, string>, overrides: Record<string, unknown> = {}): Promise<{ id: string; sku: string; name: string }> {
  const res = await post(headers, productBody(overrides));
  expect(res.statusCode, res.body).toBe(201);
  return res.json().data;
}

describe('GET /products/mine', () => {
  it("lists the caller's company's products only, newest first, without deleted ones", async () => {
    const company = companyId();
    const owner = supplier(issuer, company);
    const colleague = supplier(issuer, company);
    const other = supplier(issuer, companyId());

    const first = await create(owner, { name: 'Tomatoes on the vine' });
    const second = await create(colleague, { name: 'Cherry tomatoes' });
    const third = await create(owner, { name: 'Olive oil' });
    const gone = await create(owner, { name: 'Withdrawn product' });
    const foreign = await create(other, { name: 'Cherry tomatoes' });
    expect((await remove(gone.id, owner)).statusCode).toBe(200);

    const res = await mine(owner);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ success: true, pagination: { page: 1, limit: 20, total: 3, totalPages: 1, hasNext: false, hasPrev: false } });
    expect(body.data.map((p: { id: string }) => p.id)).toEqual([third.id, second.id, first.id]);
    expect(body.data[0]).toMatchObject({ supplierCompanyId: company, status: 'active', version: 1, priceTiers: [{ unitPrice: 8.45, unitPriceMinor: 845 }, {}] });

    // A colleague in the same company sees the same list; another supplier sees only its own.
    expect((await mine(colleague)).json().data.map((p: { id: string }) => p.id)).toEqual([third.id, second.id, first.id]);
    const theirs = (await mine(other)).json();
    expect(theirs.data.map((p: { id: string }) => p.id)).toEqual([foreign.id]);
    expect(theirs.pagination.total).toBe(1);
  });

  it('pages, with the shared pagination envelope', async () => {
    const owner = supplier(issuer, companyId());
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await create(owner, { name: `Paged product ${i}` })).id);
    const newestFirst = [...ids].reverse();

    const page1 = (await mine(owner, '?page=1&limit=2')).json();
    expect(page1.data.map((p: { id: string }) => p.id)).toEqual(newestFirst.slice(0, 2));
    expect(page1.pagination).toEqual({ page: 1, limit: 2, total: 5, totalPages: 3, hasNext: true, hasPrev: false });

    const page3 = (await mine(owner, '?page=3&limit=2')).json();
    expect(page3.data.map((p: { id: string }) => p.id)).toEqual(newestFirst.slice(4));
    expect(page3.pagination).toMatchObject({ page: 3, hasNext: false, hasPrev: true });

    const beyond = (await mine(owner, '?page=9&limit=2')).json();
    expect(beyond.data).toEqual([]);
    expect(beyond.pagination).toMatchObject({ total: 5, hasNext: false });
  });

  it('filters by a name or sku fragment, case-insensitive and taken literally', async () => {
    const owner = supplier(issuer, companyId());
    const tomato = await create(owner, { name: 'Roma TOMATOES', sku: 'VEG-001' });
    const oil = await create(owner, { name: 'Olive oil (5 l)', sku: 'OIL.5L' });
    await create(owner, { name: 'Oranges', sku: 'OIL55L' });

    const ids = async (q: string) => (await mine(owner, `?q=${encodeURIComponent(q)}`)).json().data.map((p: { id: string }) => p.id);
    expect(await ids('tomatoes')).toEqual([tomato.id]);
    expect(await ids('veg-0')).toEqual([tomato.id]);
    // Regular-expression characters match themselves only.
    expect(await ids('oil.5')).toEqual([oil.id]);
    expect(await ids('(5 l)')).toEqual([oil.id]);
    expect(await ids('.*')).toEqual([]);
    expect(literalPattern('a.b*(c)[d]\\e/f-g')).toBe('a\\.b\\*\\(c\\)\\[d\\]\\\\e\\/f\\-g');
  });

  it('is for suppliers: 403 in the standard envelope for buyers and for admins without a company, 401 without a token', async () => {
    const forBuyer = await mine(buyer(issuer));
    expect(forBuyer.statusCode).toBe(403);
    expect(forBuyer.json()).toMatchObject({ success: false, error: { code: 'AUTHORIZATION_ERROR' } });

    const forAdmin = await mine(bearer(issuer.token({ role: 'admin', companyId: null })));
    expect(forAdmin.statusCode).toBe(403);
    expect(forAdmin.json()).toMatchObject({ success: false, error: { code: 'AUTHORIZATION_ERROR' } });

    expect((await mine({})).statusCode).toBe(401);
  });

  it('answers 400 with field errors for a bad query', async () => {
    const owner = supplier(issuer, companyId());
    for (const query of ['?page=0', '?limit=0', '?limit=101', '?page=x', `?q=${'a'.repeat(101)}`, '?q=', '?sort=name']) {
      const res = await mine(owner, query);
      expect(res.statusCode, `${query}: ${res.body}`).toBe(400);
      expect(res.json()).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
    }
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = (await server.inject({ url: '/openapi.json' })).json();
    const operation = doc.paths['/api/v1/products/mine']?.get;
    expect(operation).toBeDefined();
    expect(operation.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['limit', 'page', 'q']);
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
  });
});
