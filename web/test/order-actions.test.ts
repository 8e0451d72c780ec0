import { describe, expect, it } from 'vitest';
import { actionsFor, timelineOf } from '../src/pages/orders/order-actions';

const order = (status: Parameters<typeof actionsFor>[0]['status']) => ({ status, buyerCompanyId: 'buyer-co', supplierCompanyId: 'supplier-co' });

describe('order actions per side', () => {
  it('lets the supplier ship a confirmed order and the buyer confirm a shipped one', () => {
    expect(actionsFor(order('confirmed'), 'supplier-co').map((a) => a.label)).toEqual(['Mark shipped', 'Cancel order']);
    expect(actionsFor(order('confirmed'), 'buyer-co').map((a) => a.label)).toEqual(['Cancel order']);
    expect(actionsFor(order('shipped'), 'buyer-co').map((a) => a.label)).toEqual(['Confirm delivery']);
    expect(actionsFor(order('shipped'), 'supplier-co')).toEqual([]);
  });

  it('offers nothing on finished orders or to outsiders', () => {
    for (const status of ['delivered', 'rejected', 'cancelled'] as const) {
      expect(actionsFor(order(status), 'buyer-co')).toEqual([]);
      expect(actionsFor(order(status), 'supplier-co')).toEqual([]);
    }
    expect(actionsFor(order('confirmed'), 'someone-else')).toEqual([]);
    expect(actionsFor(order('confirmed'), undefined)).toEqual([]);
  });
});

describe('order timeline', () => {
  it('shows the steps passed with their time and the ones ahead', () => {
    const steps = timelineOf({ status: 'confirmed', statusHistory: [{ to: 'pending_compliance', at: 't1' }, { to: 'confirmed', at: 't2' }] });
    expect(steps.map((s) => [s.status, s.done, s.at])).toEqual([
      ['pending_compliance', true, 't1'],
      ['confirmed', true, 't2'],
      ['shipped', false, undefined],
      ['delivered', false, undefined],
    ]);
  });

  it('ends a rejected order at the rejection, with its note', () => {
    const steps = timelineOf({ status: 'rejected', statusHistory: [{ to: 'pending_compliance', at: 't1' }, { to: 'rejected', at: 't2', note: 'EU: HACCP missing' }] });
    expect(steps.map((s) => s.status)).toEqual(['pending_compliance', 'rejected']);
    expect(steps[1]!.note).toBe('EU: HACCP missing');
  });
});
