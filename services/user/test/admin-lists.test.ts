import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildService } from '@foodxchange/service-kit';
import { TOPICS } from '@foodxchange/contracts';
import { bearer, dropDatabase, isolatedEnv, startTestIssuer, type TestIssuer } from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';
import { onUserRegistered } from '../src/users/events.js';
import { handlerContext, registration } from './helpers.js';

let server: FastifyInstance;
let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await startTestIssuer();
  server = await buildService(service, app, isolatedEnv('user', issuer.env));
});
afterAll(async () => {
  await dropDatabase(server);
  await server.close();
  await issuer?.close();
});

// A marker in names and e-mails, so the searches only see this file's data.
const tag = randomUUID().slice(0, 8);

async function register(role: 'buyer' | 'supplier', name: string, companyName: string) {
  const registered = registration(role, { name, email: `${name.split(' ')[0]!.toLowerCase()}.${tag}@example.test`, company: { name: `${companyName} ${tag}`, country: 'DE' } });
  await onUserRegistered(registered.event, handlerContext(server, TOPICS.userRegistered));
  return { ...registered, headers: bearer(issuer.token({ sub: registered.userId, role, companyId: registered.companyId })) };
}

const admin = () => bearer(issuer.token({ sub: 'usr-admin-lists', role: 'admin', companyId: null }));
const superAdmin = () => bearer(issuer.token({ sub: 'usr-super-lists', role: 'super_admin', companyId: null }));
const get = (url: string, headers: Record<string, string> = {}) => server.inject({ method: 'GET', url, headers });

let buyer: Awaited<ReturnType<typeof register>>;
let supplier: Awaited<ReturnType<typeof register>>;

beforeAll(async () => {
  buyer = await register('buyer', 'Greta Hansen', 'Rheinland Frische');
  supplier = await register('supplier', 'Lucia Moreno', 'Huerta del Sol');
  const verified = await server.inject({ method: 'POST', url: `/api/v1/companies/${supplier.companyId}/verify`, headers: admin(), payload: {} });
  expect(verified.statusCode).toBe(200);
});

describe('GET /companies', () => {
  it('lists companies for platform admins, filtered by name, verification and type, paginated', async () => {
    const all = await get(`/api/v1/companies?q=${tag}`, admin());
    expect(all.statusCode).toBe(200);
    const body = all.json();
    expect(body.pagination).toMatchObject({ page: 1, limit: 20, total: 2, totalPages: 1, hasNext: false, hasPrev: false });
    expect(body.data.map((company: { id: string }) => company.id).sort()).toEqual([buyer.companyId, supplier.companyId].sort());
    expect(body.data.find((company: { id: string }) => company.id === supplier.companyId)).toMatchObject({
      name: `Huerta del Sol ${tag}`,
      type: 'supplier',
      country: 'DE',
      verified: true,
      verifiedBy: 'usr-admin-lists',
      memberCount: 1,
    });

    const toVerify = (await get(`/api/v1/companies?q=${tag}&verified=false`, superAdmin())).json();
    expect(toVerify.data.map((company: { id: string }) => company.id)).toEqual([buyer.companyId]);
    const suppliers = (await get(`/api/v1/companies?q=HUERTA%20del%20sol%20${tag}&type=supplier`, admin())).json();
    expect(suppliers.data.map((company: { id: string }) => company.id)).toEqual([supplier.companyId]);
    const paged = (await get(`/api/v1/companies?q=${tag}&limit=1&page=2`, admin())).json();
    expect(paged.data).toHaveLength(1);
    expect(paged.pagination).toMatchObject({ page: 2, limit: 1, total: 2, totalPages: 2, hasNext: false, hasPrev: true });
    // A search term is matched literally, not as a regular expression.
    expect((await get(`/api/v1/companies?q=${encodeURIComponent('.*')}`, admin())).json().data).toEqual([]);
  });

  it('is for platform admins only: buyers and suppliers 403, anonymous 401; bad filters 400', async () => {
    for (const headers of [buyer.headers, supplier.headers]) {
      const res = await get('/api/v1/companies', headers);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ success: false, error: { code: expect.any(String) } });
    }
    // A company user whose token somehow carries company:verify is still no admin.
    const smuggled = bearer(issuer.token({ sub: supplier.userId, role: 'supplier', companyId: supplier.companyId, permissions: ['company:verify'] }));
    expect((await get('/api/v1/companies', smuggled)).statusCode).toBe(403);
    expect((await get('/api/v1/companies')).statusCode).toBe(401);
    for (const query of ['type=retailer', 'verified=maybe', 'limit=0', 'limit=101', 'page=0', 'q=', 'unknown=1']) {
      const res = await get(`/api/v1/companies?${query}`, admin());
      expect(res.statusCode, query).toBe(400);
      expect(res.json().success).toBe(false);
    }
  });
});

describe('GET /users', () => {
  it('lists registered users for platform admins: search by e-mail or name, filter by role, company and status', async () => {
    const all = (await get(`/api/v1/users?q=${tag}`, admin())).json();
    expect(all.pagination.total).toBe(2);
    const greta = all.data.find((user: { id: string }) => user.id === buyer.userId);
    expect(greta).toMatchObject({
      email: `greta.${tag}@example.test`,
      name: 'Greta Hansen',
      role: 'buyer',
      status: 'active',
      companyId: buyer.companyId,
      company: { id: buyer.companyId, name: `Rheinland Frische ${tag}`, verified: false },
    });
    const byName = (await get(`/api/v1/users?q=${encodeURIComponent('lucia moreno')}`, admin())).json();
    expect(byName.data.map((user: { id: string }) => user.id)).toContain(supplier.userId);
    expect(byName.data.map((user: { id: string }) => user.id)).not.toContain(buyer.userId);
    const suppliers = (await get(`/api/v1/users?q=${tag}&role=supplier`, superAdmin())).json();
    expect(suppliers.data.map((user: { id: string }) => user.id)).toEqual([supplier.userId]);
    const ofCompany = (await get(`/api/v1/users?companyId=${buyer.companyId}`, admin())).json();
    expect(ofCompany.data.map((user: { id: string }) => user.id)).toEqual([buyer.userId]);
    expect((await get(`/api/v1/users?q=${tag}&status=suspended`, admin())).json().data).toEqual([]);
    const paged = (await get(`/api/v1/users?q=${tag}&limit=1`, admin())).json();
    expect(paged.pagination).toMatchObject({ page: 1, limit: 1, total: 2, totalPages: 2, hasNext: true, hasPrev: false });
  });

  it('is for platform admins only: buyers and suppliers 403, anonymous 401; bad filters 400', async () => {
    for (const headers of [buyer.headers, supplier.headers]) {
      const res = await get('/api/v1/users', headers);
      expect(res.statusCode).toBe(403);
      expect(res.json().success).toBe(false);
    }
    const smuggled = bearer(issuer.token({ sub: buyer.userId, role: 'buyer', companyId: buyer.companyId, permissions: ['user:manage'] }));
    expect((await get('/api/v1/users', smuggled)).statusCode).toBe(403);
    expect((await get('/api/v1/users')).statusCode).toBe(401);
    for (const query of ['role=owner', 'status=gone', 'limit=500', 'page=501', 'q=', 'other=1']) {
      const res = await get(`/api/v1/users?${query}`, admin());
      expect(res.statusCode, query).toBe(400);
      expect(res.json().success).toBe(false);
    }
  });
});
