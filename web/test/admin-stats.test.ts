import { describe, expect, it } from 'vitest';
import { headlines, ordersByState, percent, valueByCurrency, type PlatformStats } from '@/pages/admin/stats-charts';

const stats = {
  users: { total: 5, byRole: { buyer: 2, supplier: 2, admin: 1, super_admin: 0 } },
  companies: { total: 4, verified: 1 },
  products: { live: 7, total: 9 },
  rfqs: { total: 3, byState: {} },
  quotes: { total: 6 },
  orders: {
    total: 3,
    byState: { pending: 1, confirmed: 2, in_transit: 0 },
    valueByCurrency: [
      { currency: 'EUR', orders: 2, totalMinor: 123_450, activeTotalMinor: 100_000 },
      { currency: 'USD', orders: 1, totalMinor: 99, activeTotalMinor: 0 },
    ],
  },
  compliance: { checked: 3, passed: 2, failed: 1, passRate: 2 / 3 },
  matching: { rfqs: 3, matched: 3, withMatches: 2, coverage: 2 / 3 },
  generatedAt: '2026-12-02T08:00:00.000Z',
} as unknown as PlatformStats;

describe('admin stats chart data', () => {
  it('orders by state keep the API order and get readable labels', () => {
    expect(ordersByState(stats)).toEqual([
      { state: 'pending', label: 'Pending', orders: 1 },
      { state: 'confirmed', label: 'Confirmed', orders: 2 },
      { state: 'in_transit', label: 'In transit', orders: 0 },
    ]);
  });

  it('order value per currency in major units', () => {
    expect(valueByCurrency(stats)).toEqual([
      { currency: 'EUR', orders: 2, total: 1234.5, active: 1000 },
      { currency: 'USD', orders: 1, total: 0.99, active: 0 },
    ]);
  });

  it('ratios as percentages, nothing counted as a dash', () => {
    expect(percent(2 / 3)).toBe('66.7 %');
    expect(percent(1)).toBe('100 %');
    expect(percent(null)).toBe('—');
  });

  it('headline numbers', () => {
    expect(headlines(stats).map((h) => [h.label, h.value])).toEqual([
      ['Users', 5], ['Companies', 4], ['Live products', 7], ['RFQs', 3], ['Quotes', 6], ['Orders', 3],
    ]);
  });
});
