import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TOPICS, parseEvent } from '@foodxchange/contracts';
import { dropDatabase, readTopicFromNow, startTestIssuer, waitFor, type ReadRecord, type TestIssuer } from '@foodxchange/service-kit/testing';
import { createRfq, daysFromNow, inject, inMs, match, matchedEvent, party, produce, quote, quoteBody, startRfq, type Party } from './fixtures.js';

let server: FastifyInstance;
let issuer: TestIssuer;
let submitted: { records: ReadRecord[]; stop: () => Promise<void> };
let buyer: Party;

beforeAll(async () => {
  issuer = await startTestIssuer();
  server = await startRfq(issuer);
  submitted = await readTopicFromNow(TOPICS.quoteSubmitted);
  buyer = party(issuer, 'buyer');
}, 120_000);
afterAll(async () => {
  await submitted?.stop();
  await dropDatabase(server);
  await server?.close();
  await issuer?.close();
});

/** An RFQ matched to the suppliers; items: 500 kg tomatoes, 2.5 t peppers. */
async function matchedRfq(suppliers: Party[], overrides: Record<string, unknown> = {}) {
  const rfq = await createRfq(server, buyer, overrides);
  await match(server, rfq.id, buyer, suppliers);
  return rfq;
}

describe('POST /api/v1/rfqs/:id/quotes', () => {
  it('takes a matched supplier\'s quote with server-side totals in minor units and publishes quote.submitted', async () => {
    const supplier = party(issuer, 'supplier');
    const rfq = await matchedRfq([supplier]);
    const res = await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/quotes`, supplier, {
      // decimals converted exactly; 2.5 t × 612.34 EUR = 1530.85 EUR
      items: [
        { rfqItemId: rfq.items[0]!.id, unitPrice: 2.1, productId: 'product-tomato-1' },
        { rfqItemId: rfq.items[1]!.id, unitPriceMinor: 61234 },
      ],
      currency: 'EUR',
      leadTimeDays: 7,
      validUntil: daysFromNow(30),
    });
    expect(res.statusCode, res.body).toBe(201);
    const view = res.json().data;
    expect(view).toMatchObject({ status: 'submitted', revision: 1, complete: true, currency: 'EUR', supplierCompanyId: supplier.companyId });
    expect(view.items).toEqual([
      expect.objectContaining({ unitPriceMinor: 210, quantity: 500, lineTotalMinor: 105000, productId: 'product-tomato-1' }),
      expect.objectContaining({ unitPriceMinor: 61234, quantity: 2.5, lineTotalMinor: 153085 }),
    ]);
    expect(view.totalMinor).toBe(258085);
    expect(view.total).toBe(2580.85);

    const record = await waitFor(() => submitted.records.find((entry) => entry.key === view.id), { what: 'quote.submitted' });
    expect(parseEvent(record.value!).data).toMatchObject({
      quoteId: view.id,
      rfqId: rfq.id,
      buyerCompanyId: buyer.companyId,
      supplierCompanyId: supplier.companyId,
      totalMinor: 258085,
      items: [{ rfqItemId: rfq.items[0]!.id, unitPriceMinor: 210, lineTotalMinor: 105000, productId: 'product-tomato-1' }, { unitPriceMinor: 61234 }],
    });
  });

  it('keeps one quote per supplier: submitting again revises it; withdrawing and resubmitting brings it back', async () => {
    const supplier = party(issuer, 'supplier');
    const rfq = await matchedRfq([supplier]);
    const first = await quote(server, rfq, supplier, [200, 60000]);
    const revised = await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/quotes`, supplier, quoteBody(rfq, [190, 59000]));
    expect(revised.statusCode, revised.body).toBe(200);
    expect(revised.json().data).toMatchObject({ id: first.id, revision: 2, totalMinor: 95000 + 147500 });

    const withdrawn = await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/quotes/${first.id}/withdraw`, supplier);
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    expect(withdrawn.json().data.status).toBe('withdrawn');
    expect((await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/quotes/${first.id}/withdraw`, supplier)).statusCode).toBe(409);

    const back = await quote(server, rfq, supplier, [180, 58000]);
    expect(back).toMatchObject({ id: first.id, revision: 3, status: 'submitted' });
    const list = await inject(server, 'GET', `/api/v1/rfqs/${rfq.id}/quotes`, buyer);
    expect(list.json().data.quotes).toHaveLength(1);
    const timeline = (await inject(server, 'GET', `/api/v1/rfqs/${rfq.id}`, buyer)).json().data.timeline.map((entry: { type: string }) => entry.type);
    expect(timeline).toEqual(['created', 'matched', 'quote_submitted', 'quote_revised', 'quote_withdrawn', 'quote_submitted']);
  });

  it('refuses bad lines with 400 and field errors', async () => {
    const supplier = party(issuer, 'supplier');
    const rfq = await matchedRfq([supplier]);
    const [tomatoes] = rfq.items;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ items: [{ rfqItemId: 'no-such-item', unitPriceMinor: 1 }] }, 'body.items.0.rfqItemId'],
      [{ items: [{ rfqItemId: tomatoes!.id, unitPriceMinor: 1 }, { rfqItemId: tomatoes!.id, unitPriceMinor: 2 }] }, 'body.items.1.rfqItemId'],
      [{ items: [{ rfqItemId: tomatoes!.id }] }, 'body.items.0.unitPriceMinor'],
      [{ items: [{ rfqItemId: tomatoes!.id, unitPrice: 1.005 }] }, 'body.items.0.unitPrice'],
      [{ items: [{ rfqItemId: tomatoes!.id, unitPriceMinor: 1.5 }] }, 'body.items.0.unitPriceMinor'],
      [{ items: [{ rfqItemId: tomatoes!.id, unitPriceMinor: -1 }] }, 'body.items.0.unitPriceMinor'],
      [{ validUntil: daysFromNow(-1) }, 'body.validUntil'],
      [{ currency: 'euro' }, 'body.currency'],
      [{ leadTimeDays: -2 }, 'body.leadTimeDays'],
    ];
    for (const [overrides, field] of cases) {
      const res = await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/quotes`, supplier, quoteBody(rfq, [100, 100], overrides));
      expect(res.statusCode, `${field}: ${res.body}`).toBe(400);
      expect(res.json().error.fields[field], `${field}: ${res.body}`).toBeDefined();
    }
  });

  it('answers 404 to a supplier that was not matched and 409 once quoting has closed', async () => {
    const supplier = party(issuer, 'supplier');
    const rfq = await matchedRfq([supplier], { responseDeadline: inMs(4000) });
    const stranger = party(issuer, 'supplier');
    const strangerRes = await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/quotes`, stranger, quoteBody(rfq, [100, 100], { validUntil: daysFromNow(30) }));
    expect(strangerRes.statusCode).toBe(404);
    expect((await inject(server, 'GET', `/api/v1/rfqs/${rfq.id}/quotes`, stranger)).statusCode).toBe(404);

    const deadline = Date.parse((await inject(server, 'GET', `/api/v1/rfqs/${rfq.id}`, buyer)).json().data.responseDeadline);
    await waitFor(() => Date.now() > deadline + 50, { what: 'the response deadline to pass' });
    const late = await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/quotes`, supplier, quoteBody(rfq, [100, 100]));
    expect(late.statusCode, late.body).toBe(409);
    expect(late.json()).toMatchObject({ success: false, error: { code: 'CONFLICT' } });
  });
});

describe('GET /api/v1/rfqs/:id/quotes', () => {
  it('gives the buyer every quote with match scores and a comparison; a supplier sees only its own', async () => {
    const [alpha, beta, gamma] = [party(issuer, 'supplier'), party(issuer, 'supplier'), party(issuer, 'supplier')];
    const rfq = await createRfq(server, buyer);
    // alpha misses ISO22000, 90 points; beta 80; gamma 70
    await produce(server, matchedEvent(rfq.id, buyer.companyId, [
      { companyId: alpha!.companyId, name: 'Alpha', score: 90, missing: ['ISO22000'] },
      { companyId: beta!.companyId, name: 'Beta', score: 80 },
      { companyId: gamma!.companyId, name: 'Gamma', score: 70 },
    ]));
    await waitFor(async () => (await inject(server, 'GET', `/api/v1/rfqs/${rfq.id}`, buyer)).json().data.matches.length === 3, { what: 'matches' });

    const a = await quote(server, rfq, alpha!, [200, 70000]); // 100000 + 175000 = 275000
    const b = await quote(server, rfq, beta!, [210, 60000]); // 105000 + 150000 = 255000
    const g = await quote(server, rfq, gamma!, [150]); // partial: tomatoes only, 75000

    const res = await inject(server, 'GET', `/api/v1/rfqs/${rfq.id}/quotes`, buyer);
    expect(res.statusCode, res.body).toBe(200);
    const { quotes, comparison } = res.json().data;
    expect(quotes.map((entry: { id: string }) => entry.id)).toEqual([a.id, b.id, g.id]);
    expect(quotes[0]).toMatchObject({
      totalMinor: 275000,
      complete: true,
      match: { companyName: 'Alpha', score: 90, missingCertifications: ['ISO22000'], heldRequiredCertifications: ['HACCP'] },
    });
    expect(quotes[2]).toMatchObject({ totalMinor: 75000, complete: false, match: { score: 70, heldRequiredCertifications: ['HACCP', 'ISO22000'] } });
    expect(comparison).toEqual([
      {
        currency: 'EUR',
        quoteCount: 3,
        lowestPerItem: [
          expect.objectContaining({ rfqItemId: rfq.items[0]!.id, quoteId: g.id, unitPriceMinor: 150, lineTotalMinor: 75000, quoteCount: 3 }),
          expect.objectContaining({ rfqItemId: rfq.items[1]!.id, quoteId: b.id, unitPriceMinor: 60000, quoteCount: 2 }),
        ],
        // gamma is cheaper but partial: the cheapest complete quote is beta's
        cheapestCompleteQuote: { quoteId: b.id, supplierCompanyId: beta!.companyId, totalMinor: 255000 },
      },
    ]);

    const own = await inject(server, 'GET', `/api/v1/rfqs/${rfq.id}/quotes`, beta!);
    expect(own.statusCode).toBe(200);
    expect(own.json().data.quotes.map((entry: { id: string }) => entry.id)).toEqual([b.id]);
    expect(own.json().data.comparison).toBeUndefined();
    // a supplier's timeline names only its own quote
    const timeline = (await inject(server, 'GET', `/api/v1/rfqs/${rfq.id}`, beta!)).json().data.timeline;
    expect(timeline.filter((entry: { quoteId?: string }) => entry.quoteId).map((entry: { quoteId: string }) => entry.quoteId)).toEqual([b.id]);
    // and it may not withdraw a competitor's quote
    expect((await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/quotes/${a.id}/withdraw`, beta!)).statusCode).toBe(404);
  });
});
