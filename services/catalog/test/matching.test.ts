import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TOPICS, parseEvent, toKafkaMessage, validateEventData, type EventData } from '@foodxchange/contracts';
import { buildService, processedEventModel } from '@foodxchange/service-kit';
import {
  bearer,
  dropDatabase,
  isolatedEnv,
  readTopicFromNow,
  startTestIssuer,
  uniqueSuffix,
  waitFor,
  type ReadRecord,
  type TestIssuer,
} from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';
import { buildCatalogue, daysFromNow, dropIndexes, event, produce, type BuiltSupplier, type FixtureSupplier } from './matching-fixture.js';

let server: FastifyInstance;
let issuer: TestIssuer;
let matched: { records: ReadRecord[]; stop: () => Promise<void> };
let built: Record<string, BuiltSupplier>;
const alias = `test-products-matching-${uniqueSuffix()}`;

/** Delivery in 90 days: Campo Fresco's ISO 22000 certificate runs out in 30 (valid today, not then). */
const deliveryDate = daysFromNow(90);

const SUPPLIERS: FixtureSupplier[] = [
  {
    key: 'verde',
    name: 'Huerta Verde SL',
    country: 'ES',
    verified: true,
    marketsServed: ['EU'],
    certifications: { HACCP: daysFromNow(400), ISO22000: daysFromNow(400) },
    products: [
      { key: 'tomatoes', name: 'Cherry tomatoes', category: 'vegetables.tomatoes', moq: 100, tiers: [[100, 2.1], [400, 2.0]] },
      { key: 'peppers', name: 'Red bell peppers', category: 'vegetables.peppers', moq: 50, tiers: [[50, 3.2]] },
      { key: 'courgettes', name: 'Green courgettes', category: 'vegetables.cucurbits', moq: 100, tiers: [[100, 1.4]] },
    ],
  },
  {
    key: 'campo',
    name: 'Campo Fresco Srl',
    country: 'IT',
    verified: false,
    marketsServed: [],
    certifications: { HACCP: daysFromNow(400), ISO22000: daysFromNow(30) },
    products: [
      { key: 'tomatoes', name: 'Cherry tomatoes on the vine', category: 'vegetables.tomatoes', moq: 200, tiers: [[200, 2.8]] },
      { key: 'peppers', name: 'Red peppers', category: 'vegetables.peppers', moq: 100, tiers: [[100, 2.9]] },
    ],
  },
  {
    key: 'nordic',
    name: 'Nordic Greens AB',
    country: 'SE',
    verified: true,
    marketsServed: ['DE', 'SE'],
    certifications: { HACCP: daysFromNow(400), ISO22000: daysFromNow(400) },
    products: [
      { key: 'tomatoes', name: 'Cherry tomatoes', category: 'vegetables.tomatoes', moq: 1, unit: 't', tiers: [[1, 1900]] },
      // "courgettes" finds it through the synonym list (courgette ↔ zucchini)
      { key: 'zucchini', name: 'Zucchini', category: 'vegetables.cucurbits', moq: 50, tiers: [[50, 1.3]] },
    ],
  },
  {
    key: 'atlantic',
    name: 'Atlantic Produce Ltd',
    country: 'GB',
    verified: true,
    marketsServed: ['UK', 'US'],
    certifications: { HACCP: daysFromNow(400), ISO22000: daysFromNow(400) },
    products: [{ key: 'tomatoes', name: 'Cherry tomatoes', category: 'vegetables.tomatoes', moq: 100, tiers: [[100, 1.5]] }],
  },
];

const ITEMS = [
  { name: 'cherry tomatoes', category: 'vegetables.tomatoes', quantity: 500, unit: 'kg', targetUnitPrice: 2.5, currency: 'EUR' },
  { name: 'red peppers', category: 'vegetables.peppers', quantity: 200, unit: 'kg' },
  { name: 'courgettes', category: 'vegetables.cucurbits', quantity: 300, unit: 'kg' },
];

const matchBody = () => ({ items: ITEMS, requiredCertifications: ['HACCP', 'ISO22000'], deliveryCountry: 'DE', deliveryDate });

beforeAll(async () => {
  issuer = await startTestIssuer();
  server = await buildService(service, app, isolatedEnv('catalog', { ...issuer.env, SEARCH_INDEX_ALIAS: alias }));
  await server.events.whenConsuming();
  matched = await readTopicFromNow(TOPICS.rfqMatched);
  built = await buildCatalogue(server, issuer, SUPPLIERS);
}, 120_000);
afterAll(async () => {
  await matched?.stop();
  await dropIndexes(server, alias);
  await dropDatabase(server);
  await server?.close();
  await issuer?.close();
});

const companyOf = (key: string) => built[key]!.companyId;
const buyer = () => bearer(issuer.token({ role: 'buyer' }));

function match(body: unknown) {
  return server.inject({ method: 'POST', url: '/api/v1/suppliers/match', headers: { 'content-type': 'application/json', ...buyer() }, payload: JSON.stringify(body) });
}

/** Only this run's suppliers (the index alias is this file's own, but be explicit). */
const ours = (matches: Array<{ supplierCompanyId: string }>) => {
  const known = new Set(Object.values(built).map((supplier) => supplier.companyId));
  return matches.filter((entry) => known.has(entry.supplierCompanyId));
};

describe('POST /api/v1/suppliers/match on a fixture catalogue', () => {
  it('ranks the suppliers that cover the RFQ, with the reasons per item', async () => {
    const res = await match(matchBody());
    expect(res.statusCode, res.body).toBe(200);
    const matches = res.json().data as Array<{
      supplierCompanyId: string;
      companyName: string;
      score: number;
      matchedItems: Array<{ itemIndex: number; name: string; productIds: string[]; reason: string }>;
      matchedItemCount: number;
      missingCertifications: string[];
      verified: boolean;
    }>;
    expect(ours(matches)).toHaveLength(matches.length);
    // Atlantic serves UK and US only: not matched for a delivery into Germany (EU).
    expect(matches.map((entry) => entry.companyName)).toEqual(['Huerta Verde SL', 'Nordic Greens AB', 'Campo Fresco Srl']);
    const [verde, nordic, campo] = matches;

    expect(verde).toMatchObject({ supplierCompanyId: companyOf('verde'), verified: true, missingCertifications: [], matchedItemCount: 3 });
    expect(verde!.matchedItems.map((item) => item.productIds[0])).toEqual([
      built.verde!.productIds.tomatoes,
      built.verde!.productIds.peppers,
      built.verde!.productIds.courgettes,
    ]);
    // 500 kg reach the 400 kg tier: 2.00 EUR/kg, under the 2.50 target
    expect(verde!.matchedItems[0]!.reason).toMatch(/^"Cherry tomatoes"; relevance 1\.00; category fits; MOQ 100 kg <= 500; 2\.00 EUR\/kg <= target 2\.50 EUR$/);
    expect(verde!.score).toBeGreaterThan(95);

    // Nordic: tomatoes only by the tonne (MOQ 1 t > 500 kg), courgettes as zucchini, no peppers
    expect(nordic).toMatchObject({ supplierCompanyId: companyOf('nordic'), verified: true, missingCertifications: [], matchedItemCount: 2 });
    expect(nordic!.matchedItems.map((item) => item.itemIndex)).toEqual([0, 2]);
    expect(nordic!.matchedItems[0]!.reason).toContain('MOQ 1000 kg > 500; 1.90 EUR/kg <= target 2.50 EUR');
    expect(nordic!.matchedItems[1]!.productIds).toEqual([built.nordic!.productIds.zucchini]);
    expect(nordic!.matchedItems[1]!.reason).toContain('"Zucchini"');

    // Campo: its ISO 22000 certificate ends before the delivery date; it declares no markets
    expect(campo).toMatchObject({ supplierCompanyId: companyOf('campo'), verified: false, missingCertifications: ['ISO22000'], matchedItemCount: 2 });
    expect(campo!.matchedItems[0]!.reason).toContain('MOQ 200 kg <= 500; 2.80 EUR/kg > target 2.50 EUR');
    expect(campo!.score).toBeLessThan(nordic!.score);
    for (const entry of matches) for (const item of entry.matchedItems) expect(item.reason).toMatch(/^[ -~]{1,160}$/);
  });

  it('counts the certificate that runs out before the delivery date when the delivery is earlier', async () => {
    const res = await match({ ...matchBody(), deliveryDate: daysFromNow(10) });
    expect(res.statusCode).toBe(200);
    const campo = (res.json().data as Array<{ supplierCompanyId: string; missingCertifications: string[] }>).find(
      (entry) => entry.supplierCompanyId === companyOf('campo'),
    );
    expect(campo?.missingCertifications).toEqual([]);
    // without a delivery date: today, when it is valid too
    const today = await match({ ...matchBody(), deliveryDate: undefined });
    expect((today.json().data as Array<{ supplierCompanyId: string; missingCertifications: string[] }>).find((entry) => entry.supplierCompanyId === companyOf('campo'))?.missingCertifications).toEqual([]);
  });

  it('gives the same ranking for the same catalogue and request', async () => {
    const first = (await match(matchBody())).json().data;
    const second = (await match(matchBody())).json().data;
    expect(second).toEqual(first);
  });

  it('matches the delivery market: a UK delivery finds the supplier serving the UK, not the EU-only ones', async () => {
    const res = await match({ ...matchBody(), deliveryCountry: 'GB' });
    const names = (res.json().data as Array<{ companyName: string }>).map((entry) => entry.companyName);
    expect(names).toContain('Atlantic Produce Ltd');
    expect(names).toContain('Campo Fresco Srl'); // no markets declared: not excluded
    expect(names).not.toContain('Huerta Verde SL');
    expect(names).not.toContain('Nordic Greens AB');
  });

  it('finds nobody for an item nobody sells', async () => {
    const res = await match({ ...matchBody(), items: [{ name: 'saffron threads', category: 'spices', quantity: 1, unit: 'kg' }] });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual([]);
  });
});

function rfqCreated(rfqId: string, items = ITEMS): EventData<'rfq.created'> {
  return {
    rfqId,
    title: 'Summer vegetables for the Berlin stores',
    buyerCompanyId: `buyer-${randomUUID()}`,
    status: 'open',
    items: items.map((item, index) => ({
      id: `${rfqId}-item-${index}`,
      name: item.name,
      category: item.category,
      quantity: item.quantity,
      unit: item.unit,
      ...('targetUnitPrice' in item && item.targetUnitPrice ? { targetUnitPriceMinor: Math.round(item.targetUnitPrice * 100), currency: item.currency } : {}),
    })),
    requiredCertifications: ['HACCP', 'ISO22000'],
    deliveryCountry: 'DE',
    market: 'EU',
    deliveryDate,
    responseDeadline: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    createdAt: new Date().toISOString(),
  };
}

/**
 * rfq.matched records this app published for an RFQ. The test topics are shared: every catalog
 * test app running at the same time also consumes this rfq.created and answers it from its own
 * index, so records are told apart by the event id this app's match run staged.
 */
async function publishedBy(rfqId: string): Promise<ReadRecord[]> {
  const run = await server.matching.runs.findById(rfqId).lean();
  if (!run) return [];
  return matched.records.filter((record) => record.key === rfqId && !record.headers['x-test-sentinel'] && parseEvent(record.value!, TOPICS.rfqMatched).id === run.eventId);
}

/** Records for the RFQ that name one of this file's suppliers (only this app's index holds them). */
function namingOurSuppliers(rfqId: string): ReadRecord[] {
  const ids = new Set(Object.values(built).map((supplier) => supplier.companyId));
  return matched.records.filter(
    (record) =>
      record.key === rfqId &&
      !record.headers['x-test-sentinel'] &&
      parseEvent(record.value!, TOPICS.rfqMatched).data.matches.some((entry) => ids.has(entry.supplierCompanyId)),
  );
}

/**
 * Waits until nothing more can be on its way for an RFQ: the relay has published what was staged,
 * then a sentinel keyed like the RFQ (same partition, read after anything before it) has arrived.
 */
async function settle(rfqId: string): Promise<void> {
  await server.events.relay.flush();
  const sentinel = event(TOPICS.rfqMatched, rfqId, { rfqId, buyerCompanyId: 'sentinel', matches: [] });
  const message = toKafkaMessage(sentinel);
  await server.events.producer.send({
    topic: server.events.brokerTopic(TOPICS.rfqMatched),
    messages: [{ ...message, headers: { ...message.headers, 'x-test-sentinel': '1' } }],
  });
  await waitFor(() => matched.records.some((record) => record.key === rfqId && record.headers['x-test-sentinel']), { what: 'the sentinel rfq.matched' });
}

describe('rfq.created → rfq.matched', () => {
  it('publishes one rfq.matched that fits the contract, ranked as the HTTP route ranks', async () => {
    const rfqId = `rfq-${randomUUID()}`;
    const data = rfqCreated(rfqId);
    const created = event(TOPICS.rfqCreated, rfqId, data);
    await produce(server, created);
    const [record] = await waitFor(async () => ((await publishedBy(rfqId)).length > 0 ? publishedBy(rfqId) : undefined), { what: 'rfq.matched', timeoutMs: 30_000 });
    const published = parseEvent(record!.value!, TOPICS.rfqMatched);
    expect(validateEventData(TOPICS.rfqMatched, published.data)).toEqual({ valid: true });
    expect(published.correlationid).toBe(created.correlationid);
    expect(published.subject).toBe(rfqId);
    expect(published.data).toMatchObject({ rfqId, buyerCompanyId: data.buyerCompanyId, market: 'EU', deliveryCountry: 'DE', title: data.title });
    expect(published.data.matches.map((entry) => entry.companyName)).toEqual(['Huerta Verde SL', 'Nordic Greens AB', 'Campo Fresco Srl']);
    expect(published.data.matches[0]!.matchedItems.map((item) => item.rfqItemId)).toEqual([`${rfqId}-item-0`, `${rfqId}-item-1`, `${rfqId}-item-2`]);
    expect(published.data.matches[2]!.missingCertifications).toEqual(['ISO22000']);

    // The same as the HTTP route for the same request (its matched items carry their position too).
    const http = (await match(matchBody())).json().data as Array<Record<string, unknown> & { matchedItems: Array<Record<string, unknown>> }>;
    expect(published.data.matches.map((entry) => [entry.supplierCompanyId, entry.score])).toEqual(http.map((entry) => [entry.supplierCompanyId, entry.score]));
    expect(published.data.matches.map((entry) => entry.matchedItems.map((item) => item.reason))).toEqual(
      http.map((entry) => entry.matchedItems.map((item) => item.reason)),
    );

    // Redelivered (same event) and re-sent (same RFQ, a new event id): nothing more is published.
    const resent = event(TOPICS.rfqCreated, rfqId, data);
    await produce(server, created);
    await produce(server, resent);
    await waitFor(() => processedEventModel(server.mongo).exists({ eventId: resent.id, status: 'done' }), { what: 'the re-sent rfq.created handled' });
    await settle(rfqId);
    expect(await publishedBy(rfqId)).toHaveLength(1);
    expect(namingOurSuppliers(rfqId)).toHaveLength(1);
    const runs = await server.matching.runs.find({ _id: rfqId }).lean();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.outbox).toHaveLength(1);
    expect(runs[0]!.sourceEventId).toBe(created.id);
  });

  it('publishes matches: [] when nobody can serve the RFQ', async () => {
    const rfqId = `rfq-${randomUUID()}`;
    await produce(server, event(TOPICS.rfqCreated, rfqId, rfqCreated(rfqId, [{ name: 'saffron threads', category: 'spices', quantity: 1, unit: 'kg' }] as typeof ITEMS)));
    const [record] = await waitFor(async () => ((await publishedBy(rfqId)).length > 0 ? publishedBy(rfqId) : undefined), { what: 'rfq.matched', timeoutMs: 30_000 });
    const published = parseEvent(record!.value!, TOPICS.rfqMatched);
    expect(validateEventData(TOPICS.rfqMatched, published.data)).toEqual({ valid: true });
    expect(published.data.matches).toEqual([]);
    await settle(rfqId);
    expect(await publishedBy(rfqId)).toHaveLength(1);
  });
});
