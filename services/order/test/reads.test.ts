import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createOrderFromAward } from '../src/orders/service.js';
import type { OrderDoc } from '../src/orders/model.js';
import { awardData, id, party, startOrder, type OrderTestApp, type Party } from './fixtures.js';

let order: OrderTestApp;
let server: FastifyInstance;
let buyer: Party;
let supplier: Party;
let otherBuyer: Party;
let otherSupplier: Party;
let admin: Party;
let rfqId: string;
const mine: OrderDoc[] = [];

beforeAll(async () => {
  order = await startOrder();
  server = order.server;
  buyer = party(order.issuer, 'buyer');
  supplier = party(order.issuer, 'supplier');
  otherBuyer = party(order.issuer, 'buyer');
  otherSupplier = party(order.issuer, 'supplier');
  admin = party(order.issuer, 'admin', null);
  rfqId = id('rfq');
  const ctx = server.events.context();
  // Three orders between buyer and supplier (two of one RFQ: a rejection and a second award), one between others.
  for (const data of [awardData(buyer.companyId, supplier.companyId, { rfqId }), awardData(buyer.companyId, supplier.companyId, { rfqId }), awardData(buyer.companyId, supplier.companyId)]) {
    mine.push((await createOrderFromAward(server.orders, data, ctx)).order);
  }
  await createOrderFromAward(server.orders, awardData(otherBuyer.companyId, otherSupplier.companyId), ctx);
  await server.orders.orders.updateOne({ _id: mine[0]!._id }, { $set: { status: 'rejected' } });
});
afterAll(async () => {
  await order?.close();
});

const list = (headers: Record<string, string>, query = '') => server.inject({ url: `/api/v1/orders${query}`, headers });
const read = (headers: Record<string, string>, orderId: string) => server.inject({ url: `/api/v1/orders/${orderId}`, headers });

describe('GET /orders and GET /orders/:id', () => {
  it("buyers and suppliers list only their own company's orders, newest first; admins all", async () => {
    for (const who of [buyer, supplier]) {
      const res = await list(who.headers);
      expect(res.statusCode).toBe(200);
      expect(res.json().data.map((o: { id: string }) => o.id)).toEqual([...mine].reverse().map((doc) => doc._id));
      expect(res.json().pagination).toMatchObject({ page: 1, total: 3 });
    }
    const others = await list(otherBuyer.headers);
    expect(others.json().data).toHaveLength(1);
    expect(others.json().data.some((o: { id: string }) => mine.some((doc) => doc._id === o.id))).toBe(false);
    const all = await list(admin.headers, '?limit=100');
    expect(all.json().pagination.total).toBe(4);
    // No outbox or idempotency internals leak.
    expect(all.json().data[0]).not.toHaveProperty('outbox');
    expect(all.json().data[0]).not.toHaveProperty('awardKey');
  });

  it('filters by rfqId and status, and pages', async () => {
    const ofRfq = await list(buyer.headers, `?rfqId=${rfqId}`);
    expect(ofRfq.json().data.map((o: { id: string }) => o.id).sort()).toEqual([mine[0]!._id, mine[1]!._id].sort());
    const rejected = await list(buyer.headers, `?rfqId=${rfqId}&status=rejected`);
    expect(rejected.json().data.map((o: { id: string }) => o.id)).toEqual([mine[0]!._id]);
    const page2 = await list(supplier.headers, '?limit=2&page=2');
    expect(page2.json().data.map((o: { id: string }) => o.id)).toEqual([mine[0]!._id]);
    expect(page2.json().pagination).toMatchObject({ page: 2, limit: 2, total: 3, totalPages: 2, hasNext: false, hasPrev: true });
    // Another company's RFQ id gives nothing, not their orders.
    expect((await list(otherBuyer.headers, `?rfqId=${rfqId}`)).json().data).toEqual([]);
  });

  it('reads one order: the parties and admins 200, anyone else 404, anonymous 401', async () => {
    const target = mine[2]!;
    for (const who of [buyer, supplier, admin]) {
      const res = await read(who.headers, target._id);
      expect(res.statusCode).toBe(200);
      expect(res.json().data).toMatchObject({ id: target._id, orderNumber: target.orderNumber, status: 'pending_compliance', totalMinor: 1_629_900 });
    }
    for (const who of [otherBuyer, otherSupplier]) {
      const res = await read(who.headers, target._id);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ success: false, error: { code: 'NOT_FOUND' }, metadata: { version: 'v1' } });
    }
    expect((await read(buyer.headers, id('no-such-order'))).statusCode).toBe(404);
    expect((await read({}, target._id)).statusCode).toBe(401);
    expect((await list({})).statusCode).toBe(401);
    const noRead = { authorization: `Bearer ${order.issuer.token({ role: 'buyer', companyId: buyer.companyId, permissions: ['rfq:read'] })}` };
    expect((await read(noRead, target._id)).statusCode).toBe(403);
    expect((await list(noRead)).statusCode).toBe(403);
  });

  it('admins filter by buyerCompanyId and supplierCompanyId (with the other filters and paging)', async () => {
    const ids = (res: { json(): { data: { id: string }[] } }) => res.json().data.map((o) => o.id);
    const newestFirst = [...mine].reverse().map((doc) => doc._id);
    const ofBuyer = await list(admin.headers, `?buyerCompanyId=${buyer.companyId}`);
    expect(ofBuyer.statusCode).toBe(200);
    expect(ids(ofBuyer)).toEqual(newestFirst);
    expect(ofBuyer.json().pagination).toMatchObject({ total: 3 });
    expect(ids(await list(admin.headers, `?supplierCompanyId=${supplier.companyId}`))).toEqual(newestFirst);
    const theirs = await list(admin.headers, `?supplierCompanyId=${otherSupplier.companyId}`);
    expect(theirs.json().data).toHaveLength(1);
    expect(theirs.json().data[0]).toMatchObject({ buyerCompanyId: otherBuyer.companyId, supplierCompanyId: otherSupplier.companyId });
    // Both filters hold together: buyer's orders from the other supplier are none.
    expect((await list(admin.headers, `?buyerCompanyId=${buyer.companyId}&supplierCompanyId=${otherSupplier.companyId}`)).json().data).toEqual([]);
    // A buyer's id is not a supplier's: the filters name the side.
    expect((await list(admin.headers, `?supplierCompanyId=${buyer.companyId}`)).json().data).toEqual([]);
    const rejected = await list(admin.headers, `?buyerCompanyId=${buyer.companyId}&supplierCompanyId=${supplier.companyId}&rfqId=${rfqId}&status=rejected`);
    expect(ids(rejected)).toEqual([mine[0]!._id]);
    const page2 = await list(admin.headers, `?buyerCompanyId=${buyer.companyId}&limit=2&page=2`);
    expect(ids(page2)).toEqual([mine[0]!._id]);
    expect(page2.json().pagination).toMatchObject({ page: 2, limit: 2, total: 3 });
    const bad = await list(admin.headers, '?buyerCompanyId=');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.fields).toHaveProperty(['querystring.buyerCompanyId']);
  });

  it('buyers and suppliers may not use the company filters (403), not even to name their own company', async () => {
    const attempts: [Party, string][] = [
      [buyer, `?buyerCompanyId=${otherBuyer.companyId}`],
      [buyer, `?supplierCompanyId=${otherSupplier.companyId}`],
      [supplier, `?supplierCompanyId=${otherSupplier.companyId}`],
      [supplier, `?buyerCompanyId=${otherBuyer.companyId}&supplierCompanyId=${otherSupplier.companyId}`],
      [otherBuyer, `?buyerCompanyId=${buyer.companyId}`],
      [buyer, `?buyerCompanyId=${buyer.companyId}`],
      [supplier, `?supplierCompanyId=${supplier.companyId}&status=pending_compliance`],
    ];
    for (const [who, query] of attempts) {
      const res = await list(who.headers, query);
      expect(res.statusCode, query).toBe(403);
      expect(res.json()).toMatchObject({ success: false, error: { code: 'AUTHORIZATION_ERROR' }, metadata: { version: 'v1', requestId: expect.any(String) } });
      expect(res.json()).not.toHaveProperty('data');
    }
    expect((await list(buyer.headers, `?buyerCompanyId=${otherBuyer.companyId}`)).json().error.details).toEqual({ filters: ['buyerCompanyId'] });
    // Without the filters nothing changed: still only their own company's orders.
    expect((await list(otherBuyer.headers)).json().pagination.total).toBe(1);
  });

  it('bad query parameters are 400 with field errors', async () => {
    const res = await list(buyer.headers, '?status=lost&limit=1000');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_ERROR');
    expect(Object.keys(res.json().error.fields ?? {}).length).toBeGreaterThan(0);
  });
});
