import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TOPICS, type EventData } from '@foodxchange/contracts';
import { readTopicFromNow, uniqueSuffix, waitFor } from '@foodxchange/service-kit/testing';
import type { ProductCopyDoc } from '../src/products/model.js';
import { snapshotOf } from '../src/products/events.js';
import { applyProductSnapshot } from '../src/products/service.js';
import { contractEvent, id, isoDay, ordersOf, parsed, party, productData, publish, startOrder, type OrderTestApp, type Party } from './fixtures.js';

let order: OrderTestApp;
let server: FastifyInstance;
let buyer: Party;
let supplier: Party;

beforeAll(async () => {
  order = await startOrder();
  server = order.server;
  buyer = party(order.issuer, 'buyer');
  supplier = party(order.issuer, 'supplier');
});
afterAll(async () => {
  await order?.close();
});

const copyOf = (productId: string) => server.orders.products.findById(productId).lean<ProductCopyDoc>();

async function listed(overrides: Partial<EventData<'product.created'>> = {}): Promise<EventData<'product.created'>> {
  const data = productData(supplier.companyId, overrides);
  await publish(server, contractEvent(TOPICS.productCreated, data.productId, data, '/foodxchange/catalog'));
  await waitFor(async () => (await copyOf(data.productId))?.version === data.version, { what: 'the product copy' });
  return data;
}

const key = () => `purchase-${uniqueSuffix()}`;
/** `null`: no Idempotency-Key header at all. */
const buy = (headers: Record<string, string>, body: unknown, idempotencyKey: string | null = key()) =>
  server.inject({
    method: 'POST',
    url: '/api/v1/orders',
    headers: { ...headers, ...(idempotencyKey === null ? {} : { 'idempotency-key': idempotencyKey }) },
    payload: body as object,
  });
const purchase = (productId: string, quantity: number, extra: Record<string, unknown> = {}) => ({
  items: [{ productId, quantity }],
  deliveryCountry: 'FR',
  deliveryDate: isoDay(20),
  ...extra,
});

describe('product read copies from product events', () => {
  it('keep the newest version: an older snapshot arriving late changes nothing; a deletion is final', async () => {
    const v1 = productData(supplier.companyId, { version: 1 });
    const topic = TOPICS.productUpdated;
    await publish(server, contractEvent(TOPICS.productCreated, v1.productId, v1));
    await publish(server, contractEvent(topic, v1.productId, { ...v1, version: 3, moq: 50, priceTiers: [{ minQuantity: 10, unitPriceMinor: 999, currency: 'EUR' }] }));
    await publish(server, contractEvent(topic, v1.productId, { ...v1, version: 2, moq: 7 }));
    await waitFor(async () => (await copyOf(v1.productId))?.version === 3, { what: 'version 3' });
    // Version 2 came after 3: wait until it was certainly handled (a later event of the same product
    // on the same partition), then check it did not win.
    await publish(server, contractEvent(topic, v1.productId, { ...v1, version: 4, moq: 60 }));
    await waitFor(async () => (await copyOf(v1.productId))?.version === 4, { what: 'version 4' });
    expect(await copyOf(v1.productId)).toMatchObject({ moq: 60, status: 'active' });
    await publish(server, contractEvent(TOPICS.productDeleted, v1.productId, { productId: v1.productId, supplierCompanyId: supplier.companyId, version: 5 }));
    await waitFor(async () => (await copyOf(v1.productId))?.status === 'deleted', { what: 'the deletion' });
    // Nothing brings a deleted product back (the catalogue never reuses an id), nor do repeats change it.
    expect(await applyProductSnapshot(server.orders.products, snapshotOf(topic, contractEvent(topic, v1.productId, { ...v1, version: 6 })))).toBe(false);
    expect(await applyProductSnapshot(server.orders.products, { ...snapshotOf(TOPICS.productCreated, contractEvent(TOPICS.productCreated, v1.productId, v1)) })).toBe(false);
    expect(await copyOf(v1.productId)).toMatchObject({ status: 'deleted', version: 5 });
    // The same snapshot twice is one write.
    const fresh = productData(supplier.companyId, { version: 9 });
    const snapshot = snapshotOf(TOPICS.productCreated, contractEvent(TOPICS.productCreated, fresh.productId, fresh));
    expect(await applyProductSnapshot(server.orders.products, snapshot)).toBe(true);
    expect(await applyProductSnapshot(server.orders.products, snapshot)).toBe(false);
  });
});

describe('POST /orders (catalogue purchase)', () => {
  it('prices from the copy at the applicable tier, never from the client, and publishes order.created', async () => {
    const product = await listed({ originCountry: 'ES', allergens: ['sulphites'] });
    const created = await readTopicFromNow(TOPICS.orderCreated);
    try {
      const res = await buy(buyer.headers, purchase(product.productId, 6000.5, { requiredCertifications: ['HACCP'] }));
      expect(res.statusCode).toBe(201);
      const data = res.json().data;
      expect(data).toMatchObject({
        createdFrom: 'catalog',
        status: 'pending_compliance',
        buyerCompanyId: buyer.companyId,
        supplierCompanyId: supplier.companyId,
        currency: 'EUR',
        market: 'EU',
        deliveryCountry: 'FR',
        requiredCertifications: ['HACCP'],
        // 6000.5 l at the 5,000 l tier of 7.90: 47,403.95 EUR
        totalMinor: 4_740_395,
        items: [
          expect.objectContaining({ productId: product.productId, sku: product.sku, unitPriceMinor: 790, lineTotalMinor: 4_740_395, priceTierMinQuantity: 5000, originCountry: 'ES', allergens: ['sulphites'], certifications: ['HACCP'] }),
        ],
      });
      expect(data.orderNumber).toMatch(/^ORD-\d{4}-\d{6}$/);
      expect(res.headers.location).toBe(`/api/v1/orders/${data.id}`);
      const [event] = await waitFor(() => {
        const found = parsed<'order.created'>(created.records).filter((e) => e.data.orderId === data.id);
        return found.length > 0 ? found : undefined;
      }, { what: 'order.created' });
      expect(event!.data).toMatchObject({ createdFrom: 'catalog', totalMinor: 4_740_395, buyerUserId: buyer.userId });

      const smaller = await buy(buyer.headers, purchase(product.productId, 500));
      expect(smaller.json().data.items[0]).toMatchObject({ unitPriceMinor: 845, lineTotalMinor: 422_500, priceTierMinQuantity: 100 });
      // A price in the request is not a field of the request.
      const priced = await buy(buyer.headers, { ...purchase(product.productId, 500), items: [{ productId: product.productId, quantity: 500, unitPrice: 0.01 }] });
      expect(priced.statusCode).toBe(400);
    } finally {
      await created.stop();
    }
  });

  it('Idempotency-Key: same key and body → the same order (200); another body → 409; no key → 400', async () => {
    const product = await listed();
    const idempotencyKey = key();
    const body = purchase(product.productId, 600);
    const first = await buy(buyer.headers, body, idempotencyKey);
    expect(first.statusCode).toBe(201);
    // The same body with its keys in another order is the same request.
    const again = await buy(buyer.headers, { deliveryDate: body.deliveryDate, deliveryCountry: 'FR', items: body.items }, idempotencyKey);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().data.id).toBe(first.json().data.id);
    const changed = await buy(buyer.headers, purchase(product.productId, 700), idempotencyKey);
    expect(changed.statusCode).toBe(409);
    expect(changed.json().error).toMatchObject({ code: 'CONFLICT', details: { orderId: first.json().data.id } });
    expect(await ordersOf(server).countDocuments({ buyerCompanyId: buyer.companyId, 'items.productId': product.productId })).toBe(1);

    // Keys are per buyer company: another company's identical key is its own purchase.
    const otherBuyer = party(order.issuer, 'buyer');
    const theirs = await buy(otherBuyer.headers, body, idempotencyKey);
    expect(theirs.statusCode).toBe(201);
    expect(theirs.json().data.id).not.toBe(first.json().data.id);

    const keyless = await buy(buyer.headers, body, null);
    expect(keyless.statusCode).toBe(400);
    expect(keyless.json().error.fields).toHaveProperty(['headers.idempotency-key']);
  });

  it('concurrent requests with one key make one order, all answered with it', async () => {
    const product = await listed();
    const idempotencyKey = key();
    const answers = await Promise.all(Array.from({ length: 6 }, () => buy(buyer.headers, purchase(product.productId, 800), idempotencyKey)));
    expect(answers.map((res) => res.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((res) => res.json().data.id)).size).toBe(1);
    expect(await ordersOf(server).countDocuments({ buyerCompanyId: buyer.companyId, 'items.productId': product.productId })).toBe(1);
  });

  it('refuses quantities below the MOQ, unknown, deleted and inactive products, with the field', async () => {
    const product = await listed({ moq: 500 });
    const belowMoq = await buy(buyer.headers, purchase(product.productId, 499));
    expect(belowMoq.statusCode).toBe(400);
    expect(belowMoq.json().error.fields['body.items.0.quantity'][0]).toContain('minimum order quantity of 500 l');

    const unknown = await buy(buyer.headers, { ...purchase(product.productId, 600), items: [{ productId: product.productId, quantity: 600 }, { productId: id('no-such-product'), quantity: 1 }] });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.fields).toEqual({ 'body.items.1.productId': ['is not a product of the catalogue'] });

    const inactive = await listed({ status: 'inactive' });
    expect((await buy(buyer.headers, purchase(inactive.productId, 600))).json().error.fields['body.items.0.productId'][0]).toContain('inactive');

    await publish(server, contractEvent(TOPICS.productDeleted, product.productId, { productId: product.productId, supplierCompanyId: supplier.companyId, version: 2 }));
    await waitFor(async () => (await copyOf(product.productId))?.status === 'deleted', { what: 'the deletion' });
    const deleted = await buy(buyer.headers, purchase(product.productId, 600));
    expect(deleted.statusCode).toBe(400);
    expect(deleted.json().error.fields['body.items.0.productId']).toEqual(['was deleted from the catalogue']);

    const otherSupplier = productData(id('supplier'));
    await publish(server, contractEvent(TOPICS.productCreated, otherSupplier.productId, otherSupplier));
    await waitFor(async () => copyOf(otherSupplier.productId), { what: 'the second supplier product' });
    const live = await listed();
    const mixed = await buy(buyer.headers, { ...purchase(live.productId, 600), items: [{ productId: live.productId, quantity: 600 }, { productId: otherSupplier.productId, quantity: 600 }] });
    expect(mixed.json().error.fields['body.items.1.productId'][0]).toContain('another supplier');
  });

  it('bad fields are 400 with field errors; nothing is stored for a refused request', async () => {
    const product = await listed();
    const idempotencyKey = key();
    const res = await buy(buyer.headers, { items: [], deliveryCountry: 'france', deliveryDate: 'soon' }, idempotencyKey);
    expect(res.statusCode).toBe(400);
    expect(Object.keys(res.json().error.fields)).toEqual(expect.arrayContaining(['body.items', 'body.deliveryCountry', 'body.deliveryDate']));
    const past = await buy(buyer.headers, purchase(product.productId, 600, { deliveryDate: isoDay(-1) }), idempotencyKey);
    expect(past.statusCode).toBe(400);
    expect(past.json().error.fields).toEqual({ 'body.deliveryDate': ['must be today or later'] });
    // The key made no order: it is still free for a good request.
    expect((await buy(buyer.headers, purchase(product.productId, 600), idempotencyKey)).statusCode).toBe(201);
  });

  it('authorization: anonymous 401; suppliers 403; platform admins (no company) 403', async () => {
    const product = await listed();
    const body = purchase(product.productId, 600);
    const anonymous = await buy({}, body);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error.code).toBe('AUTHENTICATION_ERROR');
    expect((await buy(supplier.headers, body)).statusCode).toBe(403);
    const admin = party(order.issuer, 'admin', null);
    expect((await buy(admin.headers, body)).statusCode).toBe(403);
  });
});
