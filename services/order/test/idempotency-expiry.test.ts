import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TOPICS, type EventData } from '@foodxchange/contracts';
import { buildService } from '@foodxchange/service-kit';
import { uniqueSuffix, waitFor } from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';
import type { ProductCopyDoc } from '../src/products/model.js';
import { contractEvent, isoDay, ordersOf, party, productData, publish, startOrder, type OrderTestApp, type Party } from './fixtures.js';

/** The key records as stored (read raw, so these tests do not lean on the service's own model). */
interface StoredKey {
  _id: string;
  orderId: string;
  requestHash: string;
  createdAt: Date;
  expiresAt: Date;
}

const RETENTION_HOURS = 48;
let order: OrderTestApp;
let server: FastifyInstance;
let buyer: Party;
let supplier: Party;

beforeAll(async () => {
  // A retention other than the default proves the setting is read; the cleanup job of this
  // instance keeps its (long) default interval, so a key made expired here stays until a request
  // finds it — the case of a job that has not run yet.
  order = await startOrder({ ORDER_IDEMPOTENCY_RETENTION_HOURS: RETENTION_HOURS });
  server = order.server;
  buyer = party(order.issuer, 'buyer');
  supplier = party(order.issuer, 'supplier');
});
afterAll(async () => {
  await order?.close();
});

const keys = () => server.mongo.collection<StoredKey>('order_idempotency_keys');
const scopeOf = (who: Party, idempotencyKey: string) => `${who.companyId}|${idempotencyKey}`;
/** What the clock does in a day or two: the key's retention is over (the record is still there). */
async function pastRetention(who: Party, idempotencyKey: string): Promise<void> {
  const { matchedCount } = await keys().updateOne({ _id: scopeOf(who, idempotencyKey) }, { $set: { expiresAt: new Date(Date.now() - 60_000) } });
  expect(matchedCount).toBe(1);
}

async function listed(overrides: Partial<EventData<'product.created'>> = {}): Promise<EventData<'product.created'>> {
  const data = productData(supplier.companyId, overrides);
  await publish(server, contractEvent(TOPICS.productCreated, data.productId, data, '/foodxchange/catalog'));
  await waitFor(async () => (await server.orders.products.findById(data.productId).lean<ProductCopyDoc>())?.version === data.version, { what: 'the product copy' });
  return data;
}

const key = () => `expiring-${uniqueSuffix()}`;
const buy = (on: FastifyInstance, headers: Record<string, string>, body: unknown, idempotencyKey: string) =>
  on.inject({ method: 'POST', url: '/api/v1/orders', headers: { ...headers, 'idempotency-key': idempotencyKey }, payload: body as object });
const purchase = (productId: string, quantity: number) => ({ items: [{ productId, quantity }], deliveryCountry: 'FR', deliveryDate: isoDay(20) });
const ordersOfProduct = (productId: string) => ordersOf(server).countDocuments({ buyerCompanyId: buyer.companyId, 'items.productId': productId });

describe('Idempotency-Key retention', () => {
  it('keeps a key for the configured retention; past it the key is new: the same or another body makes a new order', async () => {
    const product = await listed();
    const idempotencyKey = key();
    const body = purchase(product.productId, 600);
    const first = await buy(server, buyer.headers, body, idempotencyKey);
    expect(first.statusCode).toBe(201);
    const record = await keys().findOne({ _id: scopeOf(buyer, idempotencyKey) });
    expect(record).toMatchObject({ orderId: first.json().data.id });
    expect(record!.expiresAt.getTime() - record!.createdAt.getTime()).toBe(RETENTION_HOURS * 3_600_000);
    expect((await buy(server, buyer.headers, body, idempotencyKey)).json().data.id).toBe(first.json().data.id);

    await pastRetention(buyer, idempotencyKey);
    const renewed = await buy(server, buyer.headers, body, idempotencyKey);
    expect(renewed.statusCode).toBe(201);
    expect(renewed.headers['idempotent-replayed']).toBeUndefined();
    expect(renewed.json().data.id).not.toBe(first.json().data.id);
    // The key's new life replays its new order.
    const replayed = await buy(server, buyer.headers, body, idempotencyKey);
    expect(replayed.statusCode).toBe(200);
    expect(replayed.json().data.id).toBe(renewed.json().data.id);
    expect(await keys().findOne({ _id: scopeOf(buyer, idempotencyKey) })).toMatchObject({ orderId: renewed.json().data.id });

    // Another body is no conflict once the key has expired.
    await pastRetention(buyer, idempotencyKey);
    const other = await buy(server, buyer.headers, purchase(product.productId, 700), idempotencyKey);
    expect(other.statusCode).toBe(201);
    // Expiry forgets the key, never the orders it made.
    expect(await ordersOfProduct(product.productId)).toBe(3);
    for (const made of [first, renewed]) {
      expect((await server.inject({ url: `/api/v1/orders/${made.json().data.id}`, headers: buyer.headers })).statusCode).toBe(200);
    }
  });

  it('concurrent requests reusing an expired key make exactly one new order', async () => {
    const product = await listed();
    const idempotencyKey = key();
    const body = purchase(product.productId, 800);
    const first = await buy(server, buyer.headers, body, idempotencyKey);
    expect(first.statusCode).toBe(201);

    await pastRetention(buyer, idempotencyKey);
    const answers = await Promise.all(Array.from({ length: 6 }, () => buy(server, buyer.headers, body, idempotencyKey)));
    expect(answers.map((res) => res.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    const ids = new Set(answers.map((res) => res.json().data.id));
    expect(ids.size).toBe(1);
    expect(ids.has(first.json().data.id)).toBe(false);
    expect(await ordersOfProduct(product.productId)).toBe(2);

    // Two bodies racing for one expired key: one of them wins the key's new life, the other is a 409.
    await pastRetention(buyer, idempotencyKey);
    const bodies = [purchase(product.productId, 900), purchase(product.productId, 1000)];
    const raced = await Promise.all([0, 1, 0, 1, 0, 1].map((index) => buy(server, buyer.headers, bodies[index], idempotencyKey)));
    const created = raced.filter((res) => res.statusCode === 201);
    expect(created).toHaveLength(1);
    const winner = created[0]!.json().data.id;
    for (const res of raced) {
      if (res.statusCode === 409) expect(res.json().error).toMatchObject({ code: 'CONFLICT', details: { orderId: winner } });
      else expect(res.json().data.id).toBe(winner);
    }
    expect(raced.filter((res) => res.statusCode === 409)).toHaveLength(3);
    expect(await ordersOfProduct(product.productId)).toBe(3);
  });

  it('a live key whose order is missing (a request stopped between the claim and the order) makes that order on a retry', async () => {
    const product = await listed();
    const idempotencyKey = key();
    const body = purchase(product.productId, 600);
    const first = await buy(server, buyer.headers, body, idempotencyKey);
    const orderId = first.json().data.id;
    // As if the process had stopped after claiming the key: the claim names an order never stored.
    await ordersOf(server).deleteOne({ _id: orderId });
    const other = await buy(server, buyer.headers, purchase(product.productId, 700), idempotencyKey);
    expect(other.statusCode).toBe(409);
    expect(other.json().error.details).toMatchObject({ orderId });
    const retries = await Promise.all([0, 1, 2].map(() => buy(server, buyer.headers, body, idempotencyKey)));
    expect(retries.map((res) => res.statusCode).sort()).toEqual([200, 200, 201]);
    expect(retries.every((res) => res.json().data.id === orderId)).toBe(true);
    expect(await ordersOfProduct(product.productId)).toBe(1);
  });

  it('the cleanup job deletes expired keys and leaves live ones', async () => {
    // A replica on the same database whose job runs often (its consumers are not needed: no wait for them).
    const sweeper = await buildService(service, app, { ...order.env, KAFKA_GROUP_ID: `${String(order.env.KAFKA_GROUP_ID)}.sweeper`, ORDER_IDEMPOTENCY_CLEANUP_MS: 100 });
    try {
      const product = await listed();
      const expiring = key();
      const live = key();
      const expiredOrder = await buy(server, buyer.headers, purchase(product.productId, 600), expiring);
      expect(expiredOrder.statusCode).toBe(201);
      expect((await buy(server, buyer.headers, purchase(product.productId, 650), live)).statusCode).toBe(201);
      await pastRetention(buyer, expiring);

      await waitFor(async () => (await keys().countDocuments({ _id: scopeOf(buyer, expiring) })) === 0, { what: 'the expired key to be deleted' });
      expect(await keys().findOne({ _id: scopeOf(buyer, live) })).toMatchObject({ expiresAt: expect.any(Date) });
      // The order outlives its key; the freed key makes a new one.
      expect(await ordersOf(server).countDocuments({ _id: expiredOrder.json().data.id })).toBe(1);
      const again = await buy(sweeper, buyer.headers, purchase(product.productId, 600), expiring);
      expect(again.statusCode).toBe(201);
      expect(again.json().data.id).not.toBe(expiredOrder.json().data.id);
    } finally {
      await sweeper.close();
    }
  });
});
