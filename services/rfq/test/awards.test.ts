import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TOPICS, parseEvent } from '@foodxchange/contracts';
import { processedEventModel } from '@foodxchange/service-kit';
import { dropDatabase, readTopicFromNow, startTestIssuer, waitFor, type ReadRecord, type TestIssuer } from '@foodxchange/service-kit/testing';
import { createRfq, event, inject, inMs, match, newId, party, produce, quote, startRfq, type Party } from './fixtures.js';

let server: FastifyInstance;
let replica: FastifyInstance;
let issuer: TestIssuer;
let awarded: { records: ReadRecord[]; stop: () => Promise<void> };
let cancelled: { records: ReadRecord[]; stop: () => Promise<void> };
let buyer: Party;

const GRACE_HOURS = 1;

beforeAll(async () => {
  issuer = await startTestIssuer();
  server = await startRfq(issuer, { RFQ_AWARD_GRACE_HOURS: GRACE_HOURS });
  // A second instance on the same database (its own consumer group: it races on every event too).
  replica = await startRfq(issuer, { RFQ_AWARD_GRACE_HOURS: GRACE_HOURS }, server);
  awarded = await readTopicFromNow(TOPICS.rfqAwarded);
  cancelled = await readTopicFromNow(TOPICS.rfqCancelled);
  buyer = party(issuer, 'buyer');
}, 120_000);
afterAll(async () => {
  await awarded?.stop();
  await cancelled?.stop();
  await dropDatabase(server);
  await replica?.close();
  await server?.close();
  await issuer?.close();
});

const eventsFor = (reader: { records: ReadRecord[] }, rfqId: string) =>
  reader.records.filter((record) => record.key === rfqId).map((record) => parseEvent(record.value!));

async function rfqWithQuotes(count: number, overrides: Record<string, unknown> = {}) {
  const suppliers = Array.from({ length: count }, () => party(issuer, 'supplier'));
  const rfq = await createRfq(server, buyer, overrides);
  await match(server, rfq.id, buyer, suppliers);
  const quotes = [];
  for (const [index, supplier] of suppliers.entries()) quotes.push(await quote(server, rfq, supplier, [200 + index, 60000 + index], { leadTimeDays: 5 + index }));
  return { rfq, suppliers, quotes };
}

const get = async (rfqId: string, who: Party = buyer) => (await inject(server, 'GET', `/api/v1/rfqs/${rfqId}`, who)).json().data;
const quotesOf = async (rfqId: string) => (await inject(server, 'GET', `/api/v1/rfqs/${rfqId}/quotes`, buyer)).json().data.quotes as Array<{ id: string; status: string }>;

describe('POST /api/v1/rfqs/:id/award', () => {
  it('awards one quote → rfq.awarded with the lines and totals; the others rejected; a second award 409', async () => {
    const { rfq, suppliers, quotes } = await rfqWithQuotes(3);
    const res = await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/award`, buyer, { quoteId: quotes[1]!.id });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().data).toMatchObject({ id: `${rfq.id}:1`, round: 1, quoteId: quotes[1]!.id, totalMinor: 250503, status: 'live' });

    const sent = await waitFor(() => eventsFor(awarded, rfq.id)[0], { what: 'rfq.awarded' });
    expect(sent.data).toMatchObject({
      rfqId: rfq.id,
      quoteId: quotes[1]!.id,
      buyerCompanyId: buyer.companyId,
      buyerUserId: buyer.userId,
      supplierCompanyId: suppliers[1]!.companyId,
      supplierName: 'Supplier 2',
      currency: 'EUR',
      deliveryCountry: 'DE',
      market: 'EU',
      requiredCertifications: ['HACCP', 'ISO22000'],
      deliveryDate: rfq.deliveryDate,
      leadTimeDays: 6,
      awardedBy: buyer.userId,
      lines: [
        { rfqItemId: rfq.items[0]!.id, name: 'cherry tomatoes', quantity: 500, unit: 'kg', unitPriceMinor: 201, lineTotalMinor: 100500 },
        // 2.5 t × 60001 = 150002.5 → 150003 (half up)
        { rfqItemId: rfq.items[1]!.id, name: 'red peppers', quantity: 2.5, unit: 't', unitPriceMinor: 60001, lineTotalMinor: 150003 },
      ],
      totalMinor: 250503,
    });
    expect(new Set((sent.data as { rejectedQuotes: Array<{ quoteId: string }> }).rejectedQuotes.map((entry) => entry.quoteId))).toEqual(new Set([quotes[0]!.id, quotes[2]!.id]));

    const statuses = Object.fromEntries((await quotesOf(rfq.id)).map((entry) => [entry.id, entry.status]));
    expect(statuses).toEqual({ [quotes[0]!.id]: 'rejected', [quotes[1]!.id]: 'accepted', [quotes[2]!.id]: 'rejected' });
    const after = await get(rfq.id);
    expect(after).toMatchObject({ status: 'awarded', awardedQuoteId: quotes[1]!.id });
    expect(after.timeline.at(-1)).toMatchObject({ type: 'awarded', status: 'awarded', quoteId: quotes[1]!.id, by: buyer.userId });

    const again = await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/award`, buyer, { quoteId: quotes[0]!.id });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('CONFLICT');
    // quotes after the award: 409
    expect((await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/quotes`, suppliers[0]!, { items: [{ rfqItemId: rfq.items[0]!.id, unitPriceMinor: 1 }], currency: 'EUR', leadTimeDays: 1, validUntil: rfq.deliveryDate })).statusCode).toBe(409);
  });

  it('refuses quotes that cannot be awarded: unknown 404, withdrawn 409, stale revision 409', async () => {
    const { rfq, suppliers, quotes } = await rfqWithQuotes(2);
    expect((await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/award`, buyer, { quoteId: newId() })).statusCode).toBe(404);
    await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/quotes/${quotes[0]!.id}/withdraw`, suppliers[0]!);
    expect((await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/award`, buyer, { quoteId: quotes[0]!.id })).statusCode).toBe(409);
    await quote(server, rfq, suppliers[1]!, [100, 100]);
    expect((await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/award`, buyer, { quoteId: quotes[1]!.id, revision: 1 })).statusCode).toBe(409);
    expect((await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/award`, buyer, { quoteId: quotes[1]!.id, revision: 2 })).statusCode).toBe(201);
  });

  it('two concurrent awards on one instance, and on two instances sharing the database: exactly one award', async () => {
    const ours: string[] = [];
    for (const [first, second] of [[server, server], [server, replica]] as const) {
      const { rfq, quotes } = await rfqWithQuotes(2);
      ours.push(rfq.id);
      const results = await Promise.all([
        inject(first, 'POST', `/api/v1/rfqs/${rfq.id}/award`, buyer, { quoteId: quotes[0]!.id }),
        inject(second, 'POST', `/api/v1/rfqs/${rfq.id}/award`, buyer, { quoteId: quotes[1]!.id }),
      ]);
      expect(results.map((res) => res.statusCode).sort(), results.map((res) => res.body).join('\n')).toEqual([201, 409]);
      const winner = results.find((res) => res.statusCode === 201)!.json().data.quoteId;
      expect(await server.sourcing.awards.countDocuments({ rfqId: rfq.id })).toBe(1);
      const statuses = (await quotesOf(rfq.id)).map((entry) => [entry.id === winner, entry.status]);
      expect(statuses.sort()).toEqual([[false, 'rejected'], [true, 'accepted']]);
      await waitFor(() => eventsFor(awarded, rfq.id).length === 1, { what: 'rfq.awarded' });
    }
    // each went out once (the relay of either instance); other test runs share the topic, so only ours count
    for (const id of ours) expect(eventsFor(awarded, id)).toHaveLength(1);
  });
});

describe('an award a crash interrupted', () => {
  it('is finished by the next scheduler round: quotes decided, RFQ awarded, one award', async () => {
    const { rfq, quotes } = await rfqWithQuotes(2);
    // What a process that died right after the award's insert leaves behind: the award (with its
    // event, which the relay sends) and nothing else.
    await server.sourcing.awards.create({
      _id: `${rfq.id}:1`,
      rfqId: rfq.id,
      round: 1,
      quoteId: quotes[0]!.id,
      quoteRevision: 1,
      buyerCompanyId: buyer.companyId,
      supplierCompanyId: 'whoever',
      awardedBy: buyer.userId,
      awardedAt: new Date(),
      currency: 'EUR',
      lines: [{ rfqItemId: rfq.items[0]!.id, name: 'cherry tomatoes', quantity: 500, unit: 'kg', unitPriceMinor: 200, lineTotalMinor: 100000 }],
      totalMinor: 100000,
      rejectedQuoteIds: [quotes[1]!.id],
      status: 'live',
      applied: false,
      eventId: newId(),
    });
    expect((await get(rfq.id)).status).toBe('open');
    await server.rfqExpiry.runOnce();
    expect(await get(rfq.id)).toMatchObject({ status: 'awarded', awardedQuoteId: quotes[0]!.id });
    expect(Object.fromEntries((await quotesOf(rfq.id)).map((entry) => [entry.id, entry.status]))).toEqual({ [quotes[0]!.id]: 'accepted', [quotes[1]!.id]: 'rejected' });
    expect((await server.sourcing.awards.findById(`${rfq.id}:1`).lean())?.applied).toBe(true);
    // and a later award attempt is a 409, not a second award
    expect((await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/award`, buyer, { quoteId: quotes[1]!.id })).statusCode).toBe(409);
    expect(await server.sourcing.awards.countDocuments({ rfqId: rfq.id })).toBe(1);
  });

  it('refuses an award body without a quote id with a field error', async () => {
    const rfq = await createRfq(server, buyer);
    const res = await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/award`, buyer, {});
    expect(res.statusCode).toBe(400);
    expect(res.json().error.fields['body.quoteId']).toBeDefined();
  });
});

describe('POST /api/v1/rfqs/:id/cancel', () => {
  it('cancels an open RFQ → rfq.cancelled naming the matched suppliers; then cancel, award and quotes 409', async () => {
    const { rfq, suppliers, quotes } = await rfqWithQuotes(1);
    const res = await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/cancel`, buyer, { reason: 'budget cut' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data).toMatchObject({ status: 'cancelled' });
    expect(res.json().data.timeline.at(-1)).toMatchObject({ type: 'cancelled', note: 'budget cut', by: buyer.userId });
    const sent = await waitFor(() => eventsFor(cancelled, rfq.id)[0], { what: 'rfq.cancelled' });
    expect(sent.data).toMatchObject({ rfqId: rfq.id, status: 'cancelled', reason: 'budget cut', cancelledBy: buyer.userId, matchedSupplierCompanyIds: [suppliers[0]!.companyId] });
    expect((await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/cancel`, buyer, {})).statusCode).toBe(409);
    expect((await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/award`, buyer, { quoteId: quotes[0]!.id })).statusCode).toBe(409);
  });
});

describe('expiry', () => {
  it('expires an RFQ without quotes at its deadline, one with quotes only after the award window; once across two instances', async () => {
    const bare = await createRfq(server, buyer, { responseDeadline: inMs(60_000) });
    const { rfq: quoted } = await rfqWithQuotes(1, { responseDeadline: inMs(60_000) });
    const deadline = Date.parse(bare.responseDeadline as string);

    // Just after the deadline: the bare one expires, the quoted one stays open for its award.
    const justAfter = new Date(Date.parse(quoted.responseDeadline as string) + 1000);
    const counts = await Promise.all([server.rfqExpiry.runOnce(justAfter), replica.rfqExpiry.runOnce(justAfter)]);
    expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    expect((await get(bare.id)).status).toBe('expired');
    expect((await get(quoted.id)).status).toBe('open');
    expect(new Date(deadline).getTime()).toBeLessThan(justAfter.getTime());

    const afterWindow = new Date(justAfter.getTime() + GRACE_HOURS * 3_600_000);
    await Promise.all([server.rfqExpiry.runOnce(afterWindow), replica.rfqExpiry.runOnce(afterWindow)]);
    const expired = await get(quoted.id);
    expect(expired.status).toBe('expired');
    for (const id of [bare.id, quoted.id]) {
      const entries = (await get(id)).timeline.filter((entry: { type: string }) => entry.type === 'expired');
      expect(entries).toHaveLength(1);
      const sent = await waitFor(() => eventsFor(cancelled, id)[0], { what: 'rfq.cancelled (expired)' });
      expect(sent.data).toMatchObject({ rfqId: id, status: 'expired', cancelledBy: 'system' });
    }
    // an expired RFQ takes no award
    const [quoteOfExpired] = await quotesOf(quoted.id);
    expect((await inject(server, 'POST', `/api/v1/rfqs/${quoted.id}/award`, buyer, { quoteId: quoteOfExpired!.id })).statusCode).toBe(409);
    await waitFor(() => eventsFor(cancelled, bare.id).length === 1 && eventsFor(cancelled, quoted.id).length === 1, { what: 'one rfq.cancelled each' });
  });

  it('survives a restart: an instance started after the deadline passed expires the RFQ on its own', async () => {
    const first = await startRfq(issuer, {}, server);
    const rfq = await createRfq(first, buyer, { responseDeadline: inMs(4000) });
    await first.close();
    await waitFor(() => Date.now() > Date.parse(rfq.responseDeadline as string), { what: 'the deadline to pass' });
    const second = await startRfq(issuer, { RFQ_EXPIRY_INTERVAL_MS: 200 }, server);
    try {
      await waitFor(async () => (await get(rfq.id)).status === 'expired', { what: 'the scheduler to expire the RFQ' });
    } finally {
      await second.close();
    }
  });
});

describe('order events', () => {
  const created = (rfqId: string, quoteId: string, orderId: string, supplierCompanyId: string) =>
    event('order.created', orderId, {
      orderId,
      createdFrom: 'rfq',
      rfqId,
      quoteId,
      buyerCompanyId: buyer.companyId,
      supplierCompanyId,
      status: 'pending_compliance',
      currency: 'EUR',
      items: [{ productId: 'p-1', name: 'cherry tomatoes', quantity: 500, unit: 'kg', unitPriceMinor: 200, lineTotalMinor: 100000 }],
      totalMinor: 100000,
      deliveryCountry: 'DE',
      market: 'EU',
      requiredCertifications: ['HACCP', 'ISO22000'],
    });
  const rejected = (rfqId: string, orderId: string, supplierCompanyId: string, quoteId?: string) =>
    event('order.rejected', orderId, {
      orderId,
      rfqId,
      ...(quoteId ? { quoteId } : {}),
      buyerCompanyId: buyer.companyId,
      supplierCompanyId,
      from: 'pending_compliance',
      to: 'rejected',
      changedBy: 'system',
      market: 'EU',
      violations: [{ rule: 'requiredCertifications', code: 'CERTIFICATION_MISSING', certification: 'ISO22000', message: 'Supplier holds no ISO22000 certificate valid on the delivery date' }],
      violationCount: 1,
    });

  it('order.rejected reopens the RFQ for another award (round 2); a redelivery and a stale rejection change nothing', async () => {
    const { rfq, suppliers, quotes } = await rfqWithQuotes(3);
    await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/quotes/${quotes[2]!.id}/withdraw`, suppliers[2]!);
    expect((await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/award`, buyer, { quoteId: quotes[0]!.id })).statusCode).toBe(201);
    const orderId = `order-${newId()}`;
    await produce(server, created(rfq.id, quotes[0]!.id, orderId, suppliers[0]!.companyId));
    await waitFor(async () => (await get(rfq.id)).timeline.some((entry: { type: string }) => entry.type === 'order_created'), { what: 'order_created' });

    // A rejection of some other order of this supplier (not the recorded one) is not about the award.
    await produce(server, rejected(rfq.id, `order-${newId()}`, suppliers[0]!.companyId));
    // Nor is one that names another quote (order sends the awarded quote's id).
    const otherQuote = rejected(rfq.id, orderId, suppliers[0]!.companyId, quotes[1]!.id);
    await produce(server, otherQuote);
    await waitFor(async () => (await processedEventModel(server.mongo).countDocuments({ eventId: otherQuote.id, status: 'done' })) === 2, { what: 'both instances to handle the rejection naming another quote' });
    expect((await get(rfq.id)).status).toBe('awarded');
    const rejection = rejected(rfq.id, orderId, suppliers[0]!.companyId, quotes[0]!.id);
    await produce(server, rejection);
    const reopened = await waitFor(async () => {
      const data = await get(rfq.id);
      return data.status === 'open' ? data : undefined;
    }, { what: 'the RFQ to reopen' });
    expect(reopened).toMatchObject({ status: 'open', round: 2 });
    expect(reopened.awardedQuoteId).toBeUndefined();
    const reopenedEntries = reopened.timeline.filter((entry: { type: string }) => entry.type === 'reopened');
    expect(reopenedEntries).toEqual([expect.objectContaining({ orderId, quoteId: quotes[0]!.id, round: 2, by: 'system', note: expect.stringContaining('ISO22000') })]);
    expect(reopened.timeline.filter((entry: { type: string }) => entry.type === 'order_created')).toEqual([expect.objectContaining({ orderId, round: 1 })]);
    const statuses = Object.fromEntries((await quotesOf(rfq.id)).map((entry) => [entry.id, entry.status]));
    // the refused quote stays rejected; the one the award rejected is back; the withdrawn one stays withdrawn
    expect(statuses).toEqual({ [quotes[0]!.id]: 'rejected', [quotes[1]!.id]: 'submitted', [quotes[2]!.id]: 'withdrawn' });

    // the same event again (and both instances consumed it): nothing more
    await produce(server, rejection);
    expect((await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/award`, buyer, { quoteId: quotes[0]!.id })).statusCode).toBe(409);
    const second = await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/award`, buyer, { quoteId: quotes[1]!.id });
    expect(second.statusCode, second.body).toBe(201);
    expect(second.json().data).toMatchObject({ id: `${rfq.id}:2`, round: 2, quoteId: quotes[1]!.id, rejectedQuoteIds: [] });
    await waitFor(() => eventsFor(awarded, rfq.id).length === 2, { what: 'the second rfq.awarded' });

    // the round-1 rejection delivered once more (a new event id): the round-2 award stands. It shares
    // the first rejection's key (the order id), so once both instances have handled it, the
    // redelivery above has been handled too.
    const stale = rejected(rfq.id, orderId, suppliers[0]!.companyId);
    await produce(server, stale);
    await waitFor(async () => (await processedEventModel(server.mongo).countDocuments({ eventId: stale.id, status: 'done' })) === 2, { what: 'both instances to handle the stale rejection' });
    const final = await get(rfq.id);
    expect(final).toMatchObject({ status: 'awarded', round: 2, awardedQuoteId: quotes[1]!.id });
    expect(final.timeline.filter((entry: { type: string }) => entry.type === 'reopened')).toHaveLength(1);
  });
});
