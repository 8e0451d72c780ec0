import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { dropDatabase, startTestIssuer, waitFor, type TestIssuer } from '@foodxchange/service-kit/testing';
import { reopenAfterRejectedOrder } from '../src/awards/service.js';
import { withdrawQuote } from '../src/quotes/service.js';
import { expirySlotOf, rfqLockKey } from '../src/rfqs/model.js';
import { createRfq, inject, inMs, match, party, quote, startRfq, type Party } from './fixtures.js';

let server: FastifyInstance;
let issuer: TestIssuer;
let buyer: Party;

const HOUR = 3_600_000;
const GRACE_HOURS = 1;

beforeAll(async () => {
  issuer = await startTestIssuer();
  // No timed rounds during the tests (only the start-up one): each test runs its rounds itself.
  server = await startRfq(issuer, { RFQ_AWARD_GRACE_HOURS: GRACE_HOURS, RFQ_EXPIRY_INTERVAL_MS: 24 * HOUR });
  buyer = party(issuer, 'buyer');
  // The start-up round is this process's first, a sweep: the rounds the tests run are slot rounds.
  await waitFor(async () => (await server.rfqExpiry.watermark())?.sweptAt, { what: 'the start-up sweep' });
}, 120_000);
afterAll(async () => {
  await dropDatabase(server);
  await server?.close();
  await issuer?.close();
});

const stored = async (rfqId: string) => (await server.sourcing.rfqs.findById(rfqId).lean())!;
const watermarks = () => server.mongo.collection<{ _id: string; slotFrom: Date; sweptAt?: Date }>('rfq_expiry_watermarks');

/** The filters of the scheduler's RFQ reads (by slot or by expiry) while `work` runs. */
async function schedulerReads<T>(work: () => Promise<T>): Promise<{ result: T; bySlot: string[]; ranges: number }> {
  const filters: Record<string, unknown>[] = [];
  server.mongo.set('debug', (collection: string, method: string, filter: unknown) => {
    if (collection !== 'rfqs' || method !== 'find' || !filter || typeof filter !== 'object') return;
    if ('expirySlot' in filter || 'expiresAt' in filter) filters.push(filter as Record<string, unknown>);
  });
  try {
    const result = await work();
    return {
      result,
      bySlot: filters.filter((filter) => typeof filter.expirySlot === 'string').map((filter) => filter.expirySlot as string),
      ranges: filters.filter((filter) => 'expiresAt' in filter).length,
    };
  } finally {
    server.mongo.set('debug', undefined);
  }
}

describe('expiry scheduler: slots and watermark', () => {
  it('finds due RFQs by their expiry slot (equality), never by the range, and moves the watermark on', async () => {
    const rfq = await createRfq(server, buyer, { responseDeadline: inMs(60_000) });
    const deadline = new Date(rfq.responseDeadline as string);
    expect(await stored(rfq.id)).toMatchObject({ expiresAt: deadline, expirySlot: expirySlotOf(deadline) });

    const justAfter = new Date(deadline.getTime() + 1000);
    const { result: expired, bySlot, ranges } = await schedulerReads(() => server.rfqExpiry.runOnce(justAfter));
    expect(expired).toBe(1);
    expect((await stored(rfq.id)).status).toBe('expired');
    expect(ranges).toBe(0);
    expect(bySlot).toContain(expirySlotOf(deadline));
    // the minutes since the start-up round (plus the late margin), not hours of them
    expect(bySlot.length).toBeLessThan(30);
    const mark = await server.rfqExpiry.watermark();
    expect(mark!.slotFrom.getTime()).toBeGreaterThan(Date.now() - 10 * 60_000);
    expect(mark!.slotFrom.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('moves the slot with every write of the expiry: create, quote, reopening, withdrawal after the deadline', async () => {
    const suppliers = [party(issuer, 'supplier'), party(issuer, 'supplier')];
    const rfq = await createRfq(server, buyer, { responseDeadline: inMs(120_000) });
    const deadline = new Date(rfq.responseDeadline as string);
    await match(server, rfq.id, buyer, suppliers);
    const [first, second] = [await quote(server, rfq, suppliers[0]!, [200, 60000]), await quote(server, rfq, suppliers[1]!, [210, 61000])];
    const awardWindowEnd = new Date(deadline.getTime() + GRACE_HOURS * HOUR);
    expect(await stored(rfq.id)).toMatchObject({ expiresAt: awardWindowEnd, expirySlot: expirySlotOf(awardWindowEnd) });

    expect((await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/award`, buyer, { quoteId: first.id })).statusCode).toBe(201);
    // Compliance refuses the order two hours after the deadline: the award window restarts then.
    const reopenedAt = new Date(deadline.getTime() + 2 * HOUR);
    const rejection = { orderId: `order-${rfq.id}`, rfqId: rfq.id, supplierCompanyId: suppliers[0]!.companyId, quoteId: first.id, reasons: ['certificate expired'] };
    await reopenAfterRejectedOrder(server.sourcing, rejection, server.log, reopenedAt);
    const reopenedWindowEnd = new Date(reopenedAt.getTime() + GRACE_HOURS * HOUR);
    expect(await stored(rfq.id)).toMatchObject({ status: 'open', round: 2, expiresAt: reopenedWindowEnd, expirySlot: expirySlotOf(reopenedWindowEnd) });

    // The last live quote withdrawn: the expiry falls back to the reopening, already past, so the
    // RFQ goes into the withdrawal's slot, where the scheduler still looks.
    const withdrawnAt = new Date(reopenedAt.getTime() + 5 * 60_000);
    const viewer = { userId: suppliers[1]!.userId, companyId: suppliers[1]!.companyId, admin: false, supplier: true };
    await withdrawQuote(server.sourcing, viewer, rfq.id, second.id, withdrawnAt);
    expect(await stored(rfq.id)).toMatchObject({ expiresAt: reopenedAt, expirySlot: expirySlotOf(withdrawnAt) });

    const { result: expired, ranges, bySlot } = await schedulerReads(() => server.rfqExpiry.runOnce(new Date(withdrawnAt.getTime() + 1000)));
    expect(expired).toBe(1);
    expect(ranges).toBe(0);
    expect(bySlot).toContain(expirySlotOf(withdrawnAt));
    expect((await stored(rfq.id)).status).toBe('expired');
  });

  it('refuses a save that moves the expiry past its slot (a write path that forgot expiryFields)', async () => {
    const rfq = await createRfq(server, buyer);
    const doc = (await server.sourcing.rfqs.findById(rfq.id))!;
    doc.expiresAt = new Date(doc.expiresAt.getTime() + 2 * HOUR);
    await expect(doc.save()).rejects.toThrow(/expirySlot/);
    expect((await stored(rfq.id)).expiresAt).toEqual(new Date(rfq.responseDeadline as string));
  });

  it('moves an RFQ found in a slot before its expiry (an older replica moved the expiry later) to its expiry\'s slot', async () => {
    const rfq = await createRfq(server, buyer);
    const staleSlot = expirySlotOf(new Date());
    await server.sourcing.rfqs.collection.updateOne({ _id: rfq.id } as never, { $set: { expirySlot: staleSlot } });
    const { result: expired, bySlot } = await schedulerReads(() => server.rfqExpiry.runOnce());
    expect(expired).toBe(0);
    expect(bySlot).toContain(staleSlot);
    const moved = await stored(rfq.id);
    expect(moved).toMatchObject({ status: 'open', expirySlot: expirySlotOf(new Date(rfq.responseDeadline as string)) });
  });

  it('a due RFQ whose lock is busy is found again next round: the watermark waits at its slot', async () => {
    // An RFQ due ten minutes ago, and a scheduler that was away since a quarter of an hour ago.
    const rfq = await createRfq(server, buyer);
    const dueAt = new Date(Date.now() - 10 * 60_000);
    await server.sourcing.rfqs.collection.updateOne({ _id: rfq.id } as never, { $set: { expiresAt: dueAt, expirySlot: expirySlotOf(dueAt) } });
    await watermarks().updateOne({ _id: 'rfqs' }, { $set: { slotFrom: new Date(Date.now() - 15 * 60_000) } });

    // Someone (an award, say) holds the RFQ for longer than the scheduler waits for it.
    const skipped = await server.sourcing.locks.withLock(rfqLockKey(rfq.id), () => server.rfqExpiry.runOnce());
    expect(skipped).toBe(0);
    expect((await stored(rfq.id)).status).toBe('open');
    expect((await server.rfqExpiry.watermark())!.slotFrom).toEqual(new Date(`${expirySlotOf(dueAt)}:00.000Z`));

    const { result: expired, ranges, bySlot } = await schedulerReads(() => server.rfqExpiry.runOnce());
    expect(expired).toBe(1);
    expect(ranges).toBe(0);
    expect(bySlot[0]).toBe(expirySlotOf(dueAt));
    expect((await stored(rfq.id)).status).toBe('expired');
    expect((await server.rfqExpiry.watermark())!.slotFrom.getTime()).toBeGreaterThan(Date.now() - 10 * 60_000);
  });

  it('RFQs without a slot (written before slots) are left to the sweep, which expires the due ones and gives the others their slot', async () => {
    const due = await createRfq(server, buyer, { responseDeadline: inMs(60_000) });
    const later = await createRfq(server, buyer);
    for (const id of [due.id, later.id]) await server.sourcing.rfqs.collection.updateOne({ _id: id } as never, { $unset: { expirySlot: '' } });
    const justAfter = new Date(Date.parse(due.responseDeadline as string) + 1000);

    // A slot round does not see them.
    const slotRound = await schedulerReads(() => server.rfqExpiry.runOnce(justAfter));
    expect(slotRound.result).toBe(0);
    expect(slotRound.ranges).toBe(0);
    expect((await stored(due.id)).status).toBe('open');

    // An hour on, the next round sweeps.
    const before = new Date();
    await watermarks().updateOne({ _id: 'rfqs' }, { $set: { sweptAt: new Date(Date.now() - 2 * HOUR) } });
    const sweep = await schedulerReads(() => server.rfqExpiry.runOnce(justAfter));
    expect(sweep.result).toBe(1);
    expect(sweep.ranges).toBeGreaterThanOrEqual(1);
    expect((await stored(due.id)).status).toBe('expired');
    const backfilled = await stored(later.id);
    expect(backfilled).toMatchObject({ status: 'open', expirySlot: expirySlotOf(backfilled.expiresAt) });
    expect((await server.rfqExpiry.watermark())!.sweptAt!.getTime()).toBeGreaterThanOrEqual(before.getTime());

    // and the round after is a slot round again
    expect((await schedulerReads(() => server.rfqExpiry.runOnce(justAfter))).ranges).toBe(0);
  });

  it('a watermark days behind (a scheduler down since) is caught up by one range read, not thousands of slot reads', async () => {
    const rfq = await createRfq(server, buyer, { responseDeadline: inMs(60_000) });
    const justAfter = new Date(Date.parse(rfq.responseDeadline as string) + 1000);
    await watermarks().updateOne({ _id: 'rfqs' }, { $set: { slotFrom: new Date(Date.now() - 3 * 24 * HOUR) } });

    const { result: expired, ranges, bySlot } = await schedulerReads(() => server.rfqExpiry.runOnce(justAfter));
    expect(expired).toBe(1);
    expect(ranges).toBe(1);
    expect(bySlot).toHaveLength(0);
    expect((await stored(rfq.id)).status).toBe('expired');
    expect((await server.rfqExpiry.watermark())!.slotFrom.getTime()).toBeGreaterThan(Date.now() - 10 * 60_000);
    // caught up: the next round reads slots again
    expect((await schedulerReads(() => server.rfqExpiry.runOnce(justAfter))).ranges).toBe(0);
  });
});
