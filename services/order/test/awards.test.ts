import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TOPICS, type FoodXchangeEvent } from '@foodxchange/contracts';
import { readTopicFromNow, waitFor } from '@foodxchange/service-kit/testing';
import { createOrderFromAward } from '../src/orders/service.js';
import { ORDER_NUMBER_PATTERN } from '../src/orders/numbers.js';
import {
  awardData,
  contractEvent,
  handled,
  id,
  ordersOfRfq,
  parsed,
  productData,
  publish,
  startOrder,
  startRacingInstance,
  type OrderTestApp,
} from './fixtures.js';

let order: OrderTestApp;
let server: FastifyInstance;
let racer: FastifyInstance | undefined;
let created: Awaited<ReturnType<typeof readTopicFromNow>>;

beforeAll(async () => {
  order = await startOrder();
  server = order.server;
  // One reader for the file (joining a group takes seconds); tests pick their orders' events.
  created = await readTopicFromNow(TOPICS.orderCreated);
});
afterAll(async () => {
  await created?.stop();
  await racer?.close();
  await order?.close();
});

describe('rfq.awarded → one order per award', () => {
  it('creates the order pending_compliance from the award lines, enriched from the product copy, and publishes order.created', async () => {
    const buyer = id('buyer');
    const supplier = id('supplier');
    const product = productData(supplier, { originCountry: 'IT', allergens: ['sulphites'], certifications: ['HACCP', 'ISO22000'] });
    await publish(server, contractEvent(TOPICS.productCreated, product.productId, product));
    await waitFor(async () => server.orders.products.exists({ _id: product.productId }), { what: 'the product copy' });

    const award = awardData(buyer, supplier);
    award.lines[1]!.productId = product.productId;
    await publish(server, contractEvent(TOPICS.rfqAwarded, award.rfqId, award));
    const [doc] = await waitFor(async () => {
      const found = await ordersOfRfq(server, award.rfqId);
      return found.length > 0 ? found : undefined;
    }, { what: 'the order of the award' });
    expect(doc).toMatchObject({
      createdFrom: 'rfq',
      status: 'pending_compliance',
      rfqId: award.rfqId,
      quoteId: award.quoteId,
      buyerCompanyId: buyer,
      supplierCompanyId: supplier,
      currency: 'EUR',
      totalMinor: 1_629_900,
      deliveryCountry: 'DE',
      market: 'EU',
      deliveryDate: award.deliveryDate,
      requiredCertifications: ['HACCP', 'ISO22000'],
    });
    expect(doc!.orderNumber).toMatch(new RegExp(ORDER_NUMBER_PATTERN));
    expect(doc!.orderNumber.slice(4, 8)).toBe(String(new Date().getUTCFullYear()));
    expect(doc!.items).toEqual([
      expect.objectContaining({ name: 'Extra virgin olive oil', quantity: 2.5, unitPriceMinor: 612_000, lineTotalMinor: 1_530_000 }),
      expect.objectContaining({
        name: 'Green olives',
        productId: product.productId,
        sku: product.sku,
        originCountry: 'IT',
        allergens: ['sulphites'],
        certifications: ['HACCP', 'ISO22000'],
        lineTotalMinor: 99_900,
      }),
    ]);
    expect(doc!.items[0]).not.toHaveProperty('sku');
    expect(doc!.statusHistory).toEqual([expect.objectContaining({ to: 'pending_compliance', by: 'system' })]);

    const [event] = await waitFor(async () => {
      const events = parsed<'order.created'>(created.records).filter((e) => e.data.orderId === doc!._id);
      return events.length > 0 ? events : undefined;
    }, { what: 'order.created' });
    expect(event!.data).toMatchObject({
      orderId: doc!._id,
      orderNumber: doc!.orderNumber,
      createdFrom: 'rfq',
      rfqId: award.rfqId,
      quoteId: award.quoteId,
      status: 'pending_compliance',
      totalMinor: 1_629_900,
      market: 'EU',
      deliveryDate: award.deliveryDate,
    });
    expect(event!.data.items[1]).toMatchObject({ productId: product.productId, sku: product.sku, originCountry: 'IT', allergens: ['sulphites'] });
  });

  it('computes line totals and the total itself from quantity × unit price, whatever the award says', async () => {
    const award = awardData(id('buyer'), id('supplier'));
    award.lines[0]!.lineTotalMinor = 1; // a producer's arithmetic slip must not become the order's money
    award.totalMinor = 2;
    const { order: doc } = await createOrderFromAward(server.orders, award, server.events.context());
    expect(doc.items.map((line) => line.lineTotalMinor)).toEqual([1_530_000, 99_900]);
    expect(doc.totalMinor).toBe(1_629_900);
  });

  it('the same event delivered twice, and a second event of the same award, make one order', async () => {
    const award = awardData(id('buyer'), id('supplier'));
    const event = contractEvent(TOPICS.rfqAwarded, award.rfqId, award);
    await publish(server, event);
    await publish(server, event);
    const resent = contractEvent(TOPICS.rfqAwarded, award.rfqId, award); // new event id, same award
    await publish(server, resent);
    expect(await handled(server, 'rfq.awarded.order', event.id)).toBe('done');
    expect(await handled(server, 'rfq.awarded.order', resent.id)).toBe('done');
    expect(await ordersOfRfq(server, award.rfqId)).toHaveLength(1);
  });

  it('two instances sharing one database and both handling the award make one order', async () => {
    racer = await startRacingInstance(order);
    const award = awardData(id('buyer'), id('supplier'));
    const event = contractEvent(TOPICS.rfqAwarded, award.rfqId, award);
    await publish(server, event);
    // Both instances' groups receive the event: each records its handling under its own group.
    expect(await handled(server, 'rfq.awarded.order', event.id)).toBe('done');
    expect(await handled(racer, 'rfq.awarded.order', event.id)).toBe('done');

    // And the same award handed to both at the very same moment, many times over.
    const again = awardData(id('buyer'), id('supplier'));
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, index) => createOrderFromAward((index % 2 ? racer! : server).orders, again, server.events.context())),
    );
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(new Set(results.map((result) => result.order._id)).size).toBe(1);

    for (const rfqId of [award.rfqId, again.rfqId]) expect(await ordersOfRfq(server, rfqId)).toHaveLength(1);
    const orderIds = new Set([...(await ordersOfRfq(server, award.rfqId)), ...(await ordersOfRfq(server, again.rfqId))].map((doc) => doc._id));
    await waitFor(async () => parsed<'order.created'>(created.records).filter((e) => orderIds.has(e.data.orderId)).length >= 2, {
      what: 'both order.created events',
    });
    const events: FoodXchangeEvent<'order.created'>[] = parsed<'order.created'>(created.records).filter((e) => orderIds.has(e.data.orderId));
    // One order.created per order: the losers' inserts staged nothing.
    expect(events.map((e) => e.data.orderId).sort()).toEqual([...orderIds].sort());
  });

  it('20 concurrent orders on two instances get 20 distinct order numbers', async () => {
    const second = racer ?? (racer = await startRacingInstance(order));
    const awards = Array.from({ length: 20 }, () => awardData(id('buyer'), id('supplier')));
    const results = await Promise.all(awards.map((award, index) => createOrderFromAward((index % 2 ? second : server).orders, award, server.events.context())));
    const numbers = results.map((result) => result.order.orderNumber);
    expect(results.every((result) => result.created)).toBe(true);
    expect(new Set(numbers).size).toBe(20);
    for (const number of numbers) expect(number).toMatch(new RegExp(ORDER_NUMBER_PATTERN));
  });
});
