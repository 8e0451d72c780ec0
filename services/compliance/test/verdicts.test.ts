import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { EU_ALLERGENS, MAX_EVENT_BYTES, parseEvent, TOPICS, type EventData } from '@foodxchange/contracts';
import {
  bearer,
  dropDatabase,
  readTopicFromNow,
  startTestIssuer,
  waitFor,
  type ReadRecord,
  type TestIssuer,
} from '@foodxchange/service-kit/testing';
import { decideOrder, sweepPending } from '../src/verdicts/service.js';
import {
  companyCreated,
  contractEvent,
  day,
  deliver,
  handled,
  held,
  orderCreated,
  orderLine,
  productData,
  publish,
  startCompliance,
} from './saga.fixtures.js';

let server: FastifyInstance;
let issuer: TestIssuer;
let reader: { records: ReadRecord[]; stop: () => Promise<void> };
const admin = () => bearer(issuer.token({ role: 'admin', companyId: null }));

beforeAll(async () => {
  issuer = await startTestIssuer();
  server = await startCompliance(issuer.env);
  reader = await readTopicFromNow(TOPICS.complianceChecked);
});
afterAll(async () => {
  await reader?.stop();
  await dropDatabase(server);
  await server?.close();
  await issuer?.close();
});

/** A supplier whose copy holds these certificates, and one product of it in compliance's copies. */
async function supplierWith(certifications: ReturnType<typeof held>[], product: Partial<EventData<'product.created'>> = {}) {
  const supplierId = `sup-${randomUUID()}`;
  const productId = `prod-${randomUUID()}`;
  await deliver(server, contractEvent(TOPICS.companyCreated, supplierId, companyCreated(supplierId, certifications)), 'company.created.copy');
  await deliver(server, contractEvent(TOPICS.productCreated, productId, productData(productId, supplierId, product)), 'product.created.copy');
  return { supplierId, productId };
}

const verdictEvents = (orderId: string) =>
  reader.records.map((record) => parseEvent(record.value, TOPICS.complianceChecked)).filter((event) => event.data.orderId === orderId);

/** Publishes the order and waits for its compliance.checked. */
async function verdictOf(order: EventData<'order.created'>) {
  await publish(server, contractEvent(TOPICS.orderCreated, order.orderId, order));
  return waitFor(() => verdictEvents(order.orderId)[0], { what: `compliance.checked for ${order.orderId}` });
}

async function checksOf(orderId: string, headers = admin()) {
  const res = await server.inject({ url: `/api/v1/compliance/checks?orderId=${orderId}`, headers });
  expect(res.statusCode).toBe(200);
  return res.json().data as { id: string; kind: string; passed: boolean; violations: { code: string; message: string; certification?: string }[] }[];
}

describe('order.created → the verdict, from compliance’s own copies', () => {
  it('passes an EU order whose supplier holds HACCP and ISO 22000 valid on the delivery date; the verdict is in the audit trail', async () => {
    const { supplierId, productId } = await supplierWith([held('HACCP'), held('ISO22000')], { allergens: ['nuts'] });
    // The order line states no origin or allergens: the product copy knows them.
    const order = orderCreated(supplierId, [orderLine({ productId, sku: 'PESTO-1', name: 'Pesto' })]);
    const event = await verdictOf(order);
    expect(event.source).toBe('/foodxchange/compliance');
    expect(event.data).toMatchObject({ orderId: order.orderId, market: 'EU', passed: true, violations: [], supplierCompanyId: supplierId, buyerCompanyId: order.buyerCompanyId });

    const buyer = bearer(issuer.token({ role: 'buyer', companyId: order.buyerCompanyId }));
    const [check] = await checksOf(order.orderId, buyer);
    expect(check).toMatchObject({ id: event.data.checkId, kind: 'verdict', passed: true, orderId: order.orderId, rfqId: order.rfqId, deliveryDate: order.deliveryDate });
    expect((check as unknown as { products: unknown[] }).products).toEqual([
      expect.objectContaining({ productId, allergens: ['nuts'], labelledAllergens: ['nuts'], originCountry: 'ES' }),
    ]);
    const other = bearer(issuer.token({ role: 'buyer', companyId: `buyer-${randomUUID()}` }));
    expect(await checksOf(order.orderId, other)).toEqual([]);
  });

  it('the rejection path: an EU delivery from a supplier without a valid ISO 22000 fails with that reason', async () => {
    const { supplierId, productId } = await supplierWith([held('HACCP'), held('ISO22000', day(-400), day(-10))]);
    const order = orderCreated(supplierId, [orderLine({ productId })]);
    const event = await verdictOf(order);
    expect(event.data.passed).toBe(false);
    expect(event.data.violations).toEqual([expect.objectContaining({ code: 'CERTIFICATION_EXPIRED', certification: 'ISO22000' })]);

    const none = await supplierWith([held('HACCP')]);
    const second = orderCreated(none.supplierId, [orderLine({ productId: none.productId })]);
    const missing = await verdictOf(second);
    expect(missing.data).toMatchObject({ passed: false, violationCount: 1 });
    expect(missing.data.violations).toEqual([
      { rule: 'requiredCertifications', code: 'CERTIFICATION_MISSING', certification: 'ISO22000', message: 'No ISO22000 certificate' },
    ]);
    const [check] = await checksOf(second.orderId);
    expect(check).toMatchObject({ kind: 'verdict', passed: false, violations: [expect.objectContaining({ message: 'No ISO22000 certificate' })] });
  });

  it('a pre-check naming the order decides nothing: the verdict comes from the copies compliance holds', async () => {
    const { supplierId, productId } = await supplierWith([held('HACCP')]);
    const order = orderCreated(supplierId, [orderLine({ productId })]);
    // The caller claims an ISO 22000 the supplier does not hold.
    const claimed = [held('HACCP'), held('ISO22000')].map(({ id: _id, ...certificate }) => certificate);
    const pre = await server.inject({
      method: 'POST',
      url: '/api/v1/compliance/validate',
      headers: { ...admin(), 'content-type': 'application/json' },
      payload: JSON.stringify({
        deliveryCountry: 'DE',
        orderId: order.orderId,
        supplier: { companyId: supplierId, certifications: claimed },
        products: [{ productId, name: 'Olive oil', allergens: [], labelledAllergens: [], originCountry: 'ES' }],
      }),
    });
    expect(pre.statusCode).toBe(201);
    expect(pre.json().data).toMatchObject({ kind: 'pre-check', passed: true });

    const verdict = await verdictOf(order);
    expect(verdict.data).toMatchObject({ passed: false, violations: [expect.objectContaining({ code: 'CERTIFICATION_MISSING', certification: 'ISO22000' })] });
    expect(verdict.data.checkId).not.toBe(pre.json().data.id);
    const checks = await checksOf(order.orderId);
    expect(checks.map((check) => check.kind).sort()).toEqual(['pre-check', 'verdict']);
    const verdicts = await server.inject({ url: `/api/v1/compliance/checks?orderId=${order.orderId}&kind=verdict`, headers: admin() });
    expect(verdicts.json().data.map((check: { id: string }) => check.id)).toEqual([verdict.data.checkId]);
  });

  it('counts certificates on the delivery date: one starting before it counts, one ending before it does not', async () => {
    const starting = await supplierWith([held('HACCP'), held('ISO22000', day(10), day(400))]);
    const passed = await verdictOf(orderCreated(starting.supplierId, [orderLine({ productId: starting.productId })], { deliveryDate: day(30) }));
    expect(passed.data.passed).toBe(true);

    const ending = await supplierWith([held('HACCP'), held('ISO22000', day(-300), day(20))]);
    const failed = await verdictOf(orderCreated(ending.supplierId, [orderLine({ productId: ending.productId })], { deliveryDate: day(30) }));
    expect(failed.data.violations).toEqual([expect.objectContaining({ code: 'CERTIFICATION_EXPIRES_BEFORE_DELIVERY', certification: 'ISO22000' })]);
  });

  it('checks the goods: from the product copy where a line names one, from the line itself otherwise', async () => {
    const { supplierId, productId } = await supplierWith([held('HACCP'), held('ISO22000')], { originCountry: 'IT', allergens: ['milk'] });
    const order = orderCreated(supplierId, [
      // The copy knows origin and allergens; a label list the line states can only add findings.
      orderLine({ productId, sku: 'CHEESE-1', labelledAllergens: [] }),
      // No product: what the line says is all there is.
      orderLine({ name: 'Hazelnut spread', allergens: ['nuts'], labelledAllergens: ['nuts'], originCountry: 'IT' }),
      orderLine({ name: 'Mystery crackers', originCountry: 'FR' }),
      orderLine({ name: 'Anonymous oil', allergens: [] }),
    ]);
    const event = await verdictOf(order);
    expect(event.data.passed).toBe(false);
    expect(event.data.violations).toEqual([
      expect.objectContaining({ code: 'ALLERGEN_NOT_LABELLED', itemIndex: 0, allergen: 'milk', productId }),
      expect.objectContaining({ code: 'ALLERGENS_NOT_DECLARED', itemIndex: 2, message: 'Mystery crackers declares no allergen information' }),
      expect.objectContaining({ code: 'ORIGIN_MISSING', itemIndex: 3, message: 'Anonymous oil has no country of origin' }),
    ]);
  });

  it('one verdict per order: the same event twice, the order again under a new event id', async () => {
    const { supplierId, productId } = await supplierWith([held('HACCP'), held('ISO22000')]);
    const order = orderCreated(supplierId, [orderLine({ productId })]);
    const first = contractEvent(TOPICS.orderCreated, order.orderId, order);
    const again = contractEvent(TOPICS.orderCreated, order.orderId, order);
    await publish(server, first);
    await publish(server, first);
    await publish(server, again);
    await handled(server, 'order.created.verdict', first.id);
    await handled(server, 'order.created.verdict', again.id);
    // Everything the relay would publish for this order is out once the verdict's outbox is delivered.
    const checks = await checksOf(order.orderId);
    expect(checks).toHaveLength(1);
    await waitFor(() => verdictEvents(order.orderId).length > 0, { what: 'the verdict event' });
    const doc = await server.mongo.model('Check').findById(checks[0]!.id).lean<{ outbox: { id: string; createdAt: Date }[] }>();
    await waitFor(async () => (await server.events.relay.undelivered(doc!.outbox)).size === 0, { what: 'verdict delivered' });
    expect(verdictEvents(order.orderId)).toHaveLength(1);
  });

  it('two replicas racing on the same order give one verdict', async () => {
    // A second instance on the same database in another consumer group receives every event too:
    // only the unique verdict insert stands between them.
    const twin = await startCompliance(issuer.env, { MONGO_DB: server.config.MONGO_DB });
    try {
      const { supplierId, productId } = await supplierWith([held('HACCP'), held('ISO22000')]);
      const order = orderCreated(supplierId, [orderLine({ productId })]);
      const event = contractEvent(TOPICS.orderCreated, order.orderId, order);
      await publish(server, event);
      await handled(server, 'order.created.verdict', event.id);
      await handled(twin, 'order.created.verdict', event.id);
      expect(await checksOf(order.orderId)).toHaveLength(1);

      // And ten concurrent decisions in one process: one decides, the rest find it decided.
      const racing = orderCreated(supplierId, [orderLine({ productId })]);
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, n) =>
          decideOrder((n % 2 ? twin : server).compliance.verdicts, { order: racing, eventId: randomUUID(), correlationId: 'corr-race' }),
        ),
      );
      expect(outcomes.filter((outcome) => outcome.status === 'decided')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome.status === 'already-decided')).toHaveLength(9);
      expect(await checksOf(racing.orderId)).toHaveLength(1);
    } finally {
      await twin.close();
    }
  });

  it('bounds the event of an order with very many findings; the whole list stays in the check', async () => {
    const { supplierId } = await supplierWith([held('HACCP'), held('ISO22000')]);
    const items = Array.from({ length: 100 }, (_, n) =>
      orderLine({ name: `Antipasti tray ${n}`, sku: `TRAY-${n}`, allergens: [...EU_ALLERGENS], labelledAllergens: [] }),
    );
    const order = orderCreated(supplierId, items);
    const event = await verdictOf(order);
    const record = reader.records.find((r) => r.key === event.data.checkId)!;
    expect(Buffer.byteLength(record.value!)).toBeLessThan(MAX_EVENT_BYTES);
    expect(event.data).toMatchObject({ passed: false, violationCount: 200, truncated: true });
    expect(event.data.violations.length).toBeLessThanOrEqual(50);
    const one = await server.inject({ url: `/api/v1/compliance/checks/${event.data.checkId}`, headers: admin() });
    expect(one.json().data.violations).toHaveLength(200);
  });
});

describe('an order whose copies are missing when it arrives', () => {
  it('waits for the copy, and is decided when it arrives', async () => {
    const supplierId = `sup-${randomUUID()}`;
    const productId = `prod-${randomUUID()}`;
    const order = orderCreated(supplierId, [orderLine({ productId })]);
    const event = contractEvent(TOPICS.orderCreated, order.orderId, order);
    await deliver(server, event, 'order.created.verdict');
    const pending = server.compliance.verdicts.pending;
    expect(await pending.findById(order.orderId).lean()).toMatchObject({ missing: [`company:${supplierId}`, `product:${productId}`] });
    expect(await checksOf(order.orderId)).toEqual([]);

    await deliver(server, contractEvent(TOPICS.productCreated, productId, productData(productId, supplierId)), 'product.created.copy');
    expect(await pending.findById(order.orderId).lean()).toMatchObject({ missing: [`company:${supplierId}`] });
    await publish(server, contractEvent(TOPICS.companyCreated, supplierId, companyCreated(supplierId, [held('HACCP'), held('ISO22000')])));
    const verdict = await waitFor(() => verdictEvents(order.orderId)[0], { what: 'the verdict once the copies arrived' });
    expect(verdict.data.passed).toBe(true);
    expect(await pending.findById(order.orderId).lean()).toBeNull();
  });

  it('a product deleted before compliance saw any snapshot of it fails at once: nothing will tell its content', async () => {
    const { supplierId } = await supplierWith([held('HACCP'), held('ISO22000')]);
    const gone = `prod-${randomUUID()}`;
    await deliver(
      server,
      contractEvent(TOPICS.productDeleted, gone, { productId: gone, supplierCompanyId: supplierId, sku: 'GONE-1', version: 3 }),
      'product.deleted.copy',
    );
    const order = orderCreated(supplierId, [orderLine({ productId: gone, sku: 'GONE-1' }), orderLine({ allergens: [], originCountry: 'ES' })]);
    const verdict = await verdictOf(order);
    expect(verdict.data.violations).toEqual([
      expect.objectContaining({
        code: 'PRODUCT_DATA_MISSING',
        itemIndex: 0,
        message: 'GONE-1 was removed from the catalogue before compliance knew its allergens and origin',
      }),
    ]);
    expect(await server.compliance.verdicts.pending.findById(order.orderId).lean()).toBeNull();
  });

  it('fails, naming the missing data, once the wait is over (never passes, never dead-letters)', async () => {
    const supplierId = `sup-${randomUUID()}`;
    const productId = `prod-${randomUUID()}`;
    const order = orderCreated(supplierId, [orderLine({ productId, sku: 'GHOST-1' })]);
    await deliver(server, contractEvent(TOPICS.orderCreated, order.orderId, order), 'order.created.verdict');
    const pending = server.compliance.verdicts.pending;
    const parked = await pending.findById(order.orderId).lean();
    expect(parked).not.toBeNull();

    // A sweep before the wait is over leaves it parked; one after it decides.
    expect(await sweepPending(server.compliance.verdicts, new Date(parked!.firstSeenAt.getTime() + 1_000))).toBe(0);
    const waitMs = server.compliance.verdicts.copyWaitMs;
    await sweepPending(server.compliance.verdicts, new Date(parked!.firstSeenAt.getTime() + waitMs + 1_000));
    const verdict = await waitFor(() => verdictEvents(order.orderId)[0], { what: 'the failed verdict' });
    expect(verdict.data.passed).toBe(false);
    expect(verdict.data.violations).toEqual([
      expect.objectContaining({ code: 'SUPPLIER_DATA_MISSING', message: `Compliance holds no certificate record of supplier ${supplierId}` }),
      expect.objectContaining({ code: 'PRODUCT_DATA_MISSING', itemIndex: 0, productId, message: 'Compliance holds no catalogue record of GHOST-1' }),
      // Without the supplier's copy its certificates count as none held.
      expect.objectContaining({ code: 'CERTIFICATION_MISSING', certification: 'HACCP' }),
      expect.objectContaining({ code: 'CERTIFICATION_MISSING', certification: 'ISO22000' }),
    ]);
    expect(await pending.findById(order.orderId).lean()).toBeNull();
    expect(await checksOf(order.orderId)).toHaveLength(1);
  });
});
