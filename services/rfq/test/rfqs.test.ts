import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TOPICS, parseEvent } from '@foodxchange/contracts';
import { processedEventModel } from '@foodxchange/service-kit';
import { dropDatabase, readTopicFromNow, startTestIssuer, waitFor, type ReadRecord, type TestIssuer } from '@foodxchange/service-kit/testing';
import { createRfq, daysFromNow, inject, inMs, match, matchedEvent, newId, party, produce, quoteBody, rfqBody, startRfq, type Party } from './fixtures.js';

let server: FastifyInstance;
let replica: FastifyInstance;
let issuer: TestIssuer;
let created: { records: ReadRecord[]; stop: () => Promise<void> };
let buyer: Party;

beforeAll(async () => {
  issuer = await startTestIssuer();
  server = await startRfq(issuer);
  replica = await startRfq(issuer, {}, server);
  created = await readTopicFromNow(TOPICS.rfqCreated);
  buyer = party(issuer, 'buyer');
}, 120_000);
afterAll(async () => {
  await created?.stop();
  await dropDatabase(server);
  await replica?.close();
  await server?.close();
  await issuer?.close();
});

const NUMBER = /^RFQ-\d{4}-\d{6}$/;

describe('POST /api/v1/rfqs', () => {
  it('creates an open RFQ with server-side item ids, a number, the market of the country and rfq.created', async () => {
    const res = await inject(server, 'POST', '/api/v1/rfqs', buyer, rfqBody());
    expect(res.statusCode, res.body).toBe(201);
    const rfq = res.json().data;
    expect(rfq).toMatchObject({ status: 'open', buyerCompanyId: buyer.companyId, buyerUserId: buyer.userId, deliveryCountry: 'DE', market: 'EU', round: 1, quotingOpen: true, matches: [] });
    expect(rfq.number).toMatch(NUMBER);
    expect(rfq.number.slice(4, 8)).toBe(String(new Date().getUTCFullYear()));
    expect(rfq.items).toHaveLength(2);
    expect(new Set(rfq.items.map((item: { id: string }) => item.id)).size).toBe(2);
    // 2.5 EUR → 250 minor units, exactly
    expect(rfq.items[0]).toMatchObject({ targetUnitPriceMinor: 250, targetUnitPrice: 2.5, currency: 'EUR' });
    expect(rfq.timeline).toEqual([expect.objectContaining({ type: 'created', status: 'open', by: buyer.userId, note: rfq.number })]);
    expect(res.headers.location).toBe(`/api/v1/rfqs/${rfq.id}`);

    const record = await waitFor(() => created.records.find((entry) => entry.key === rfq.id), { what: 'rfq.created' });
    const sent = parseEvent(record.value!);
    expect(sent.subject).toBe(rfq.id);
    expect(sent.data).toMatchObject({
      rfqId: rfq.id,
      buyerCompanyId: buyer.companyId,
      market: 'EU',
      deliveryCountry: 'DE',
      requiredCertifications: ['HACCP', 'ISO22000'],
      items: [
        { id: rfq.items[0].id, name: 'cherry tomatoes', quantity: 500, unit: 'kg', targetUnitPriceMinor: 250, currency: 'EUR' },
        { id: rfq.items[1].id, name: 'red peppers', quantity: 2.5, unit: 't' },
      ],
    });
  });

  it('maps countries to markets with the shared mapping (GB → UK, US → US, others → INTL)', async () => {
    for (const [country, market] of [['GB', 'UK'], ['PR', 'US'], ['JP', 'INTL']] as const) {
      const rfq = await createRfq(server, buyer, { deliveryCountry: country });
      expect(rfq.market).toBe(market);
    }
  });

  it('refuses bad fields with 400 and field errors', async () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ responseDeadline: inMs(-60_000) }, 'body.responseDeadline', /future/],
      [{ responseDeadline: `${daysFromNow(61)}T00:00:00.000Z` }, 'body.responseDeadline', /before the delivery date/],
      [{ deliveryDate: daysFromNow(-1) }, 'body.deliveryDate', /future/],
      [{ items: [{ name: 'x', category: 'c', quantity: 1, unit: 'kg', targetUnitPrice: 2 }] }, 'body.items.0.currency', /required/],
      [{ items: [{ name: 'x', category: 'c', quantity: 1, unit: 'kg', targetUnitPrice: 2.345, currency: 'EUR' }] }, 'body.items.0.targetUnitPrice', /decimal/],
      [{ items: [{ name: 'x', category: 'c', quantity: 0, unit: 'kg' }] }, 'body.items.0.quantity', /./],
      [{ items: [] }, 'body.items', /./],
      [{ deliveryCountry: 'Germany' }, 'body.deliveryCountry', /./],
      [{ requiredCertifications: ['NOPE'] }, 'body.requiredCertifications.0', /./],
      [{ colour: 'red' }, 'body.colour', /not allowed/],
    ];
    for (const [overrides, field, message] of cases) {
      const res = await inject(server, 'POST', '/api/v1/rfqs', buyer, rfqBody(overrides));
      expect(res.statusCode, `${field}: ${res.body}`).toBe(400);
      expect(res.json()).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' }, metadata: { requestId: expect.any(String) } });
      expect(res.json().error.fields[field]?.join(' '), `${field}: ${res.body}`).toMatch(message);
    }
  });

  it('gives 20 concurrent creates 20 distinct numbers, across two instances on one database', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => inject(index % 2 === 0 ? server : replica, 'POST', '/api/v1/rfqs', buyer, rfqBody({ title: `concurrent ${index}` }))),
    );
    for (const res of results) expect(res.statusCode, res.body).toBe(201);
    const numbers = results.map((res) => res.json().data.number as string);
    for (const number of numbers) expect(number).toMatch(NUMBER);
    expect(new Set(numbers).size).toBe(20);
  });
});

describe('GET /api/v1/rfqs and /api/v1/rfqs/:id', () => {
  it("lists the buyer company's RFQs, newest first, with status and created-range filters and pagination", async () => {
    const own = party(issuer, 'buyer');
    const before = new Date().toISOString();
    const first = await createRfq(server, own, { title: 'first' });
    const second = await createRfq(server, own, { title: 'second' });
    const third = await createRfq(server, own, { title: 'third' });
    await createRfq(server, buyer, { title: 'another company' });
    const cancel = await inject(server, 'POST', `/api/v1/rfqs/${first.id}/cancel`, own, { reason: 'changed plans' });
    expect(cancel.statusCode, cancel.body).toBe(200);

    const all = await inject(server, 'GET', '/api/v1/rfqs', own);
    expect(all.statusCode).toBe(200);
    expect(all.json().data.map((rfq: { id: string }) => rfq.id)).toEqual([third.id, second.id, first.id]);
    expect(all.json().pagination).toMatchObject({ page: 1, total: 3 });

    const open = await inject(server, 'GET', '/api/v1/rfqs?status=open', own);
    expect(open.json().data.map((rfq: { id: string }) => rfq.id)).toEqual([third.id, second.id]);
    const cancelled = await inject(server, 'GET', '/api/v1/rfqs?status=cancelled', own);
    expect(cancelled.json().data.map((rfq: { id: string }) => rfq.id)).toEqual([first.id]);

    const page = await inject(server, 'GET', '/api/v1/rfqs?limit=2&page=2', own);
    expect(page.json().data.map((rfq: { id: string }) => rfq.id)).toEqual([first.id]);
    expect(page.json().pagination).toMatchObject({ page: 2, limit: 2, total: 3, totalPages: 2, hasNext: false, hasPrev: true });

    const none = await inject(server, 'GET', `/api/v1/rfqs?createdTo=${encodeURIComponent(before)}`, own);
    expect(none.json().data).toEqual([]);
    const since = await inject(server, 'GET', `/api/v1/rfqs?createdFrom=${encodeURIComponent(before)}`, own);
    expect(since.json().pagination.total).toBe(3);

    const bad = await inject(server, 'GET', '/api/v1/rfqs?status=lost', own);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.fields['querystring.status']).toBeDefined();
  });

  it('shows the RFQ with its timeline to its buyer company, 404 to other companies and unmatched suppliers', async () => {
    const rfq = await createRfq(server, buyer);
    const supplier = party(issuer, 'supplier');
    const other = party(issuer, 'supplier');
    const url = `/api/v1/rfqs/${rfq.id}`;
    expect((await inject(server, 'GET', url, buyer)).json().data.timeline[0].type).toBe('created');
    expect((await inject(server, 'GET', url, party(issuer, 'buyer'))).statusCode).toBe(404);
    expect((await inject(server, 'GET', url, supplier)).statusCode).toBe(404);
    expect((await inject(server, 'GET', `/api/v1/rfqs/${newId()}`, buyer)).statusCode).toBe(404);
    const admin = await inject(server, 'GET', url, party(issuer, 'admin'));
    expect(admin.statusCode).toBe(200);

    await match(server, rfq.id, buyer, [supplier, other]);
    const seen = await inject(server, 'GET', url, supplier);
    expect(seen.statusCode).toBe(200);
    // A supplier sees its own match only, never its competitors'.
    expect(seen.json().data.matches.map((entry: { supplierCompanyId: string }) => entry.supplierCompanyId)).toEqual([supplier.companyId]);
    expect(seen.json().data.timeline.map((entry: { type: string }) => entry.type)).toEqual(['created', 'matched']);

    const listed = await inject(server, 'GET', '/api/v1/rfqs?quotable=true', supplier);
    expect(listed.json().data.map((entry: { id: string }) => entry.id)).toEqual([rfq.id]);
    expect((await inject(server, 'GET', '/api/v1/rfqs', party(issuer, 'supplier'))).json().data).toEqual([]);
  });
});

describe('rfq.matched', () => {
  const handledByBoth = (eventId: string) =>
    waitFor(async () => (await processedEventModel(server.mongo).countDocuments({ eventId, status: 'done' })) === 2, { what: `both instances to handle ${eventId}` });

  it('stores the first matches once: a redelivery or a second matching run changes nothing, with two instances consuming', async () => {
    const rfq = await createRfq(server, buyer);
    const [alpha, beta] = [party(issuer, 'supplier'), party(issuer, 'supplier')];
    const first = matchedEvent(rfq.id, buyer.companyId, [{ companyId: alpha.companyId, name: 'Alpha Foods', score: 91.5, missing: ['ISO22000'] }]);
    await produce(server, first);
    await produce(server, first);
    // Same key (the RFQ id), so it is handled after the two above.
    const rerun = matchedEvent(rfq.id, buyer.companyId, [{ companyId: beta.companyId }]);
    await produce(server, rerun);
    await handledByBoth(rerun.id);

    const data = (await inject(server, 'GET', `/api/v1/rfqs/${rfq.id}`, buyer)).json().data;
    expect(data.matches).toEqual([
      {
        supplierCompanyId: alpha.companyId,
        companyName: 'Alpha Foods',
        score: 91.5,
        matchedItems: [{ name: 'cherry tomatoes', reason: 'tomato (relevance 0.92); category fits' }],
        matchedItemCount: 1,
        missingCertifications: ['ISO22000'],
        verified: true,
      },
    ]);
    expect(data.matchedAt).toEqual(expect.any(String));
    expect(data.timeline.filter((entry: { type: string }) => entry.type === 'matched')).toEqual([expect.objectContaining({ matchCount: 1, by: 'system' })]);
    expect((await inject(server, 'GET', `/api/v1/rfqs/${rfq.id}`, beta)).statusCode).toBe(404);
  });

  it('ignores matches of an RFQ it does not hold, or that name another buyer (no dead letter)', async () => {
    const rfq = await createRfq(server, buyer);
    const unknown = matchedEvent(newId(), buyer.companyId, [{ companyId: 'someone' }]);
    const foreign = matchedEvent(rfq.id, 'another-buyer', [{ companyId: 'someone' }]);
    await produce(server, unknown);
    await produce(server, foreign);
    await handledByBoth(unknown.id);
    await handledByBoth(foreign.id);
    expect((await inject(server, 'GET', `/api/v1/rfqs/${rfq.id}`, buyer)).json().data.matches).toEqual([]);
  });
});

describe('access to every route', () => {
  it('answers 401 without a token, 403 for the wrong role', async () => {
    const rfq = await createRfq(server, buyer);
    const routes: Array<['GET' | 'POST', string, unknown?]> = [
      ['POST', '/api/v1/rfqs', rfqBody()],
      ['GET', '/api/v1/rfqs'],
      ['GET', `/api/v1/rfqs/${rfq.id}`],
      ['POST', `/api/v1/rfqs/${rfq.id}/quotes`, {}],
      ['POST', `/api/v1/rfqs/${rfq.id}/quotes/${newId()}/withdraw`],
      ['GET', `/api/v1/rfqs/${rfq.id}/quotes`],
      ['POST', `/api/v1/rfqs/${rfq.id}/award`, { quoteId: newId() }],
      ['POST', `/api/v1/rfqs/${rfq.id}/cancel`, {}],
    ];
    for (const [method, url, body] of routes) {
      const res = await inject(server, method, url, undefined, body);
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect(res.json().error.code).toBe('AUTHENTICATION_ERROR');
    }
    const supplier = party(issuer, 'supplier');
    for (const [method, url, body] of [routes[0]!, routes[6]!, routes[7]!]) {
      const res = await inject(server, method, url, supplier, body);
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.json().error.code).toBe('AUTHORIZATION_ERROR');
    }
    for (const [method, url, body] of [routes[3]!, routes[4]!]) {
      const res = await inject(server, method, url, buyer, body);
      expect(res.statusCode, `${method} ${url}`).toBe(403);
    }
    // a supplier that was not matched: 404 on every route it holds the permission for
    const validQuote: ['POST', string, unknown] = ['POST', `/api/v1/rfqs/${rfq.id}/quotes`, quoteBody(rfq, [100, 100])];
    for (const [method, url, body] of [routes[2]!, validQuote, routes[4]!, routes[5]!]) {
      const res = await inject(server, method, url, party(issuer, 'supplier'), body);
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(404);
    }
  });

  it('keeps another buyer company out of award, cancel and quotes with 404', async () => {
    const rfq = await createRfq(server, buyer);
    const stranger = party(issuer, 'buyer');
    for (const [method, url, body] of [
      ['GET', `/api/v1/rfqs/${rfq.id}/quotes`, undefined],
      ['POST', `/api/v1/rfqs/${rfq.id}/award`, { quoteId: newId() }],
      ['POST', `/api/v1/rfqs/${rfq.id}/cancel`, {}],
    ] as const) {
      const res = await inject(server, method, url, stranger, body);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().error.code).toBe('NOT_FOUND');
    }
    // and the RFQ is untouched
    expect((await inject(server, 'GET', `/api/v1/rfqs/${rfq.id}`, buyer)).json().data.status).toBe('open');
  });
});
