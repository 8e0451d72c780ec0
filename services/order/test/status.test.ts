import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ORDER_STATUSES, ORDER_TRANSITIONS, TOPICS, type EventData, type OrderStatus } from '@foodxchange/contracts';
import { readTopicFromNow, waitFor } from '@foodxchange/service-kit/testing';
import type { OrderDoc } from '../src/orders/model.js';
import { applyComplianceVerdict, changeStatus, createOrderFromAward, type Actor } from '../src/orders/service.js';
import { awardData, contractEvent, handled, id, ordersOf, parsed, party, publish, startOrder, type OrderTestApp, type Party } from './fixtures.js';

let order: OrderTestApp;
let server: FastifyInstance;
let buyer: Party;
let supplier: Party;
let admin: Party;
type Reader = Awaited<ReturnType<typeof readTopicFromNow>>;
let confirmed: Reader;
let rejected: Reader;
let changed: Reader;

beforeAll(async () => {
  order = await startOrder();
  server = order.server;
  // One reader per topic for the whole file (joining a group takes seconds); tests pick their orders' events.
  [confirmed, rejected, changed] = await Promise.all([
    readTopicFromNow(TOPICS.orderConfirmed),
    readTopicFromNow(TOPICS.orderRejected),
    readTopicFromNow(TOPICS.orderStatusChanged),
  ]);
  buyer = party(order.issuer, 'buyer');
  supplier = party(order.issuer, 'supplier');
  admin = party(order.issuer, 'admin', null);
});
afterAll(async () => {
  await Promise.all([confirmed?.stop(), rejected?.stop(), changed?.stop()]);
  await order?.close();
});

const SYSTEM: Actor = { userId: 'test-runner', role: 'admin' };
const actorOf = (who: Party, role: Actor['role']): Actor => ({ userId: who.userId, role, companyId: who.companyId });

function verdict(doc: OrderDoc, passed: boolean, overrides: Partial<EventData<'compliance.checked'>> = {}): EventData<'compliance.checked'> {
  return {
    checkId: id('chk'),
    orderId: doc._id,
    market: 'EU',
    passed,
    violations: passed
      ? []
      : [{ rule: 'requiredCertifications', code: 'CERTIFICATION_MISSING', certification: 'ISO22000', message: 'Olivar SA holds no ISO22000 certificate valid on the delivery date' }],
    violationCount: passed ? 0 : 1,
    violationsByCode: passed ? [] : [{ code: 'CERTIFICATION_MISSING', count: 1 }],
    warnings: [],
    warningCount: 0,
    ruleSetVersion: 3,
    buyerCompanyId: doc.buyerCompanyId,
    supplierCompanyId: doc.supplierCompanyId,
    checkedAt: new Date().toISOString(),
    ...overrides,
  };
}

async function newOrder(): Promise<OrderDoc> {
  return (await createOrderFromAward(server.orders, awardData(buyer.companyId, supplier.companyId), server.events.context())).order;
}

/** An order brought to `status` through the service's own steps. */
async function orderIn(status: OrderStatus): Promise<OrderDoc> {
  const doc = await newOrder();
  const ctx = server.events.context();
  const step = (to: OrderStatus, who: Actor) => changeStatus(server.orders, doc._id, { status: to }, who, ctx);
  if (status === 'confirmed' || status === 'shipped' || status === 'delivered') await applyComplianceVerdict(server.orders, verdict(doc, true), ctx);
  if (status === 'rejected') await applyComplianceVerdict(server.orders, verdict(doc, false), ctx);
  if (status === 'shipped' || status === 'delivered') await step('shipped', actorOf(supplier, 'supplier'));
  if (status === 'delivered') await step('delivered', actorOf(buyer, 'buyer'));
  if (status === 'cancelled') await step('cancelled', SYSTEM);
  return (await ordersOf(server).findById(doc._id).lean<OrderDoc>())!;
}

const move = (orderId: string, headers: Record<string, string>, body: Record<string, unknown>) =>
  server.inject({ method: 'POST', url: `/api/v1/orders/${orderId}/status`, headers, payload: body });

describe('the compliance outcome (compliance.checked)', () => {
  it('a passed check confirms the order: order.confirmed and order.status-changed', async () => {
    const doc = await newOrder();
    const data = verdict(doc, true);
    await publish(server, contractEvent(TOPICS.complianceChecked, data.checkId, data, '/foodxchange/compliance'));
    const stored = await waitFor(async () => {
      const found = await ordersOf(server).findById(doc._id).lean<OrderDoc>();
      return found?.status === 'confirmed' ? found : undefined;
    }, { what: 'the order confirmed' });
    expect(stored.compliance).toMatchObject({ checkId: data.checkId, passed: true, market: 'EU', violationCount: 0, ruleSetVersion: 3 });
    expect(stored.statusHistory.at(-1)).toMatchObject({ from: 'pending_compliance', to: 'confirmed', by: 'system', byRole: 'compliance' });
    const [event] = await waitFor(() => {
      const found = parsed<'order.confirmed'>(confirmed.records).filter((e) => e.data.orderId === doc._id);
      return found.length > 0 ? found : undefined;
    }, { what: 'order.confirmed' });
    expect(event!.data).toMatchObject({ from: 'pending_compliance', to: 'confirmed', checkId: data.checkId, rfqId: doc.rfqId, totalMinor: doc.totalMinor, changedBy: 'system' });
    await waitFor(() => parsed<'order.status-changed'>(changed.records).some((e) => e.data.orderId === doc._id && e.data.to === 'confirmed'), {
      what: 'order.status-changed',
    });
  });

  it('a failed check rejects it, keeps the reasons, and order.rejected carries the rfqId and the violations', async () => {
    const doc = await newOrder();
    const data = verdict(doc, false);
    await publish(server, contractEvent(TOPICS.complianceChecked, data.checkId, data, '/foodxchange/compliance'));
    const stored = await waitFor(async () => {
      const found = await ordersOf(server).findById(doc._id).lean<OrderDoc>();
      return found?.status === 'rejected' ? found : undefined;
    }, { what: 'the order rejected' });
    expect(stored.compliance).toMatchObject({ passed: false, violationCount: 1, violations: [expect.objectContaining({ code: 'CERTIFICATION_MISSING', certification: 'ISO22000' })] });
    expect(stored.statusHistory.at(-1)!.note).toContain('holds no ISO22000 certificate');
    const [event] = await waitFor(() => {
      const found = parsed<'order.rejected'>(rejected.records).filter((e) => e.data.orderId === doc._id);
      return found.length > 0 ? found : undefined;
    }, { what: 'order.rejected' });
    expect(event!.data).toMatchObject({
      to: 'rejected',
      rfqId: doc.rfqId,
      quoteId: doc.quoteId,
      checkId: data.checkId,
      violationCount: 1,
      violations: [expect.objectContaining({ rule: 'requiredCertifications', certification: 'ISO22000' })],
    });
  });

  it('a verdict for an unknown order, an order already decided or other companies is ignored, never dead-lettered', async () => {
    const unknown = verdict({ _id: id('no-such-order'), buyerCompanyId: buyer.companyId, supplierCompanyId: supplier.companyId } as OrderDoc, true);
    const decided = await orderIn('confirmed');
    const late = verdict(decided, false);
    const pending = await newOrder();
    const foreign = verdict(pending, true, { supplierCompanyId: id('another-supplier') });
    const events = [unknown, late, foreign].map((data) => contractEvent(TOPICS.complianceChecked, data.checkId, data, '/foodxchange/compliance'));
    for (const event of events) await publish(server, event);
    for (const event of events) expect(await handled(server, 'compliance.checked.order-outcome', event.id)).toBe('done');
    expect((await ordersOf(server).findById(decided._id).lean<OrderDoc>())!.status).toBe('confirmed');
    expect((await ordersOf(server).findById(pending._id).lean<OrderDoc>())!.status).toBe('pending_compliance');
    expect(await ordersOf(server).exists({ _id: unknown.orderId })).toBeNull();
  });
});

describe('POST /orders/:id/status', () => {
  it('the supplier ships a confirmed order, the buyer takes delivery; the history says who, when and why', async () => {
    const doc = await orderIn('confirmed');
    const shipped = await move(doc._id, supplier.headers, { status: 'shipped', note: 'Truck DE-OL 42 left Jaén' });
    expect(shipped.statusCode).toBe(200);
    expect(shipped.json().data).toMatchObject({ status: 'shipped' });
    const delivered = await move(doc._id, buyer.headers, { status: 'delivered' });
    expect(delivered.statusCode).toBe(200);
    const history = delivered.json().data.statusHistory;
    expect(history.map((change: { to: string }) => change.to)).toEqual(['pending_compliance', 'confirmed', 'shipped', 'delivered']);
    expect(history[2]).toMatchObject({ from: 'confirmed', to: 'shipped', by: supplier.userId, byRole: 'supplier', note: 'Truck DE-OL 42 left Jaén' });
    expect(history[3]).toMatchObject({ from: 'shipped', to: 'delivered', by: buyer.userId, byRole: 'buyer' });
    expect(Date.parse(history[3].at)).toBeGreaterThanOrEqual(Date.parse(history[2].at));
    // The reader may also see the confirmation, when the relay sent it after the reader started.
    const ours = () => parsed<'order.status-changed'>(changed.records).filter((e) => e.data.orderId === doc._id && e.data.from !== 'pending_compliance');
    await waitFor(() => ours().length >= 2, { what: 'two order.status-changed' });
    const events = ours();
    expect(events.map((e) => [e.data.from, e.data.to, e.data.changedBy])).toEqual([
      ['confirmed', 'shipped', supplier.userId],
      ['shipped', 'delivered', buyer.userId],
    ]);
    expect(events[0]!.data.note).toBe('Truck DE-OL 42 left Jaén');
  });

  it('checks the role of every transition: wrong side 403, compliance outcomes nobody\'s, admins may', async () => {
    const confirmed = await orderIn('confirmed');
    expect((await move(confirmed._id, buyer.headers, { status: 'shipped' })).statusCode).toBe(403);
    const shipped = await orderIn('shipped');
    expect((await move(shipped._id, supplier.headers, { status: 'delivered' })).statusCode).toBe(403);
    const pending = await newOrder();
    for (const who of [buyer, supplier, admin]) {
      for (const status of ['confirmed', 'rejected']) {
        const res = await move(pending._id, who.headers, { status });
        expect(res.statusCode).toBe(403);
        expect(res.json()).toMatchObject({ success: false, error: { code: 'AUTHORIZATION_ERROR' }, metadata: { requestId: expect.any(String) } });
      }
    }
    // A buyer-company member acting as supplier is not the order's supplier.
    const wrongRole = party(order.issuer, 'supplier', buyer.companyId);
    expect((await move(confirmed._id, wrongRole.headers, { status: 'shipped' })).statusCode).toBe(403);
    expect((await move(confirmed._id, admin.headers, { status: 'shipped', note: 'shipped on behalf of the supplier' })).statusCode).toBe(200);
  });

  it('either side may cancel while allowed', async () => {
    const pending = await newOrder();
    const byBuyer = await move(pending._id, buyer.headers, { status: 'cancelled', note: 'Found it cheaper' });
    expect(byBuyer.statusCode).toBe(200);
    expect(byBuyer.json().data.status).toBe('cancelled');
    const confirmed = await orderIn('confirmed');
    expect((await move(confirmed._id, supplier.headers, { status: 'cancelled' })).statusCode).toBe(200);
  });

  it('answers 409 for every transition the status machine does not allow', async () => {
    const illegal: [OrderStatus, OrderStatus][] = ORDER_STATUSES.flatMap((from) =>
      ORDER_STATUSES.filter((to) => !ORDER_TRANSITIONS[from].includes(to)).map((to) => [from, to] as [OrderStatus, OrderStatus]),
    );
    expect(illegal.length).toBeGreaterThanOrEqual(25);
    const orders = new Map<OrderStatus, OrderDoc>();
    for (const status of ORDER_STATUSES) orders.set(status, await orderIn(status));
    for (const [from, to] of illegal) {
      const doc = orders.get(from)!;
      for (const who of [admin, buyer, supplier]) {
        const res = await move(doc._id, who.headers, { status: to });
        expect(res.statusCode, `${from} → ${to}`).toBe(409);
        expect(res.json().error).toMatchObject({ code: 'CONFLICT', details: { status: from, requested: to } });
      }
      expect((await ordersOf(server).findById(doc._id).lean<OrderDoc>())!.status).toBe(from);
    }
  });

  it('two concurrent cancels: one 200, one 409', async () => {
    const doc = await orderIn('confirmed');
    const answers = await Promise.all([move(doc._id, buyer.headers, { status: 'cancelled' }), move(doc._id, supplier.headers, { status: 'cancelled' })]);
    expect(answers.map((res) => res.statusCode).sort()).toEqual([200, 409]);
    const stored = (await ordersOf(server).findById(doc._id).lean<OrderDoc>())!;
    expect(stored.statusHistory.filter((change) => change.to === 'cancelled')).toHaveLength(1);
  });

  it('authorization: anonymous 401, a permission-less token 403, another company 404', async () => {
    const doc = await orderIn('confirmed');
    expect((await move(doc._id, {}, { status: 'shipped' })).statusCode).toBe(401);
    const noUpdate = { authorization: `Bearer ${order.issuer.token({ role: 'supplier', companyId: supplier.companyId, permissions: ['order:read'] })}` };
    expect((await move(doc._id, noUpdate, { status: 'shipped' })).statusCode).toBe(403);
    for (const stranger of [party(order.issuer, 'supplier'), party(order.issuer, 'buyer')]) {
      const res = await move(doc._id, stranger.headers, { status: 'cancelled' });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('NOT_FOUND');
    }
    expect((await move(id('no-such-order'), supplier.headers, { status: 'shipped' })).statusCode).toBe(404);
  });

  it('bad input is a 400 with field errors', async () => {
    const doc = await newOrder();
    const unknownStatus = await move(doc._id, buyer.headers, { status: 'teleported' });
    expect(unknownStatus.statusCode).toBe(400);
    expect(Object.keys(unknownStatus.json().error.fields)).toContain('body.status');
    const extra = await move(doc._id, buyer.headers, { status: 'cancelled', colour: 'red' });
    expect(extra.statusCode).toBe(400);
    const controlChars = await move(doc._id, buyer.headers, { status: 'cancelled', note: 'bell\u0007' });
    expect(controlChars.statusCode).toBe(400);
    expect((await ordersOf(server).findById(doc._id).lean<OrderDoc>())!.status).toBe('pending_compliance');
  });
});
