import { describe, expect, it } from 'vitest';
import {
  daysBetween,
  hasOrders,
  headlines,
  ordersByState,
  percent,
  periodOf,
  ratioFigures,
  valueByCurrency,
  valueOverTime,
  type DayValue,
  type PlatformStats,
} from '@/pages/admin/stats-charts';

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

  it('knows when there are no orders yet', () => {
    expect(hasOrders(stats)).toBe(true);
    expect(hasOrders({ ...stats, orders: { ...stats.orders, total: 0 } })).toBe(false);
  });

  it('compliance pass rate and matching coverage as figures with their counts', () => {
    expect(ratioFigures(stats)).toEqual([
      { label: 'Compliance pass rate', ratio: 2 / 3, value: '66.7 %', detail: '2 of 3 checked orders passed (1 failed)' },
      { label: 'Matching coverage', ratio: 2 / 3, value: '66.7 %', detail: '2 of 3 RFQs found at least one supplier' },
    ]);
    const none = {
      ...stats,
      compliance: { checked: 0, passed: 0, failed: 0, passRate: null },
      matching: { rfqs: 0, matched: 0, withMatches: 0, coverage: null },
    } as PlatformStats;
    expect(ratioFigures(none).map((f) => [f.value, f.detail])).toEqual([
      ['—', 'No order checked yet'],
      ['—', 'No RFQ yet'],
    ]);
  });

  it('lists every day of a range, both ends included, across a month end', () => {
    expect(daysBetween('2026-11-29', '2026-12-02')).toEqual(['2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02']);
    expect(daysBetween('2026-12-02', '2026-12-02')).toEqual(['2026-12-02']);
    expect(daysBetween('2026-12-03', '2026-12-02')).toEqual([]);
    expect(daysBetween('yesterday', '2026-12-02')).toEqual([]);
    expect(daysBetween('2025-01-01', '2030-01-01')).toHaveLength(366);
  });

  describe('order value over time', () => {
    const entries: DayValue[] = [
      { day: '2026-11-30', currency: 'EUR', orders: 2, totalMinor: 150_050 },
      { day: '2026-11-30', currency: 'GBP', orders: 1, totalMinor: 7_000 },
      { day: '2026-12-02', currency: 'EUR', orders: 1, totalMinor: 99 },
    ];

    it('one line per currency in major units, the days without orders at zero', () => {
      expect(valueOverTime(entries, { from: '2026-11-29', to: '2026-12-02' })).toEqual({
        currencies: ['EUR', 'GBP'],
        points: [
          { day: '2026-11-29', EUR: 0, GBP: 0 },
          { day: '2026-11-30', EUR: 1500.5, GBP: 70 },
          { day: '2026-12-01', EUR: 0, GBP: 0 },
          { day: '2026-12-02', EUR: 0.99, GBP: 0 },
        ],
      });
    });

    it('without a range, from the first to the last day listed, whatever order they come in', () => {
      const { points } = valueOverTime([...entries].reverse());
      expect(points.map((p) => p.day)).toEqual(['2026-11-30', '2026-12-01', '2026-12-02']);
    });

    it('nothing to draw without entries; a range alone gives zero days without lines', () => {
      expect(valueOverTime([])).toEqual({ currencies: [], points: [] });
      expect(valueOverTime([], { from: '2026-12-01', to: '2026-12-02' })).toEqual({
        currencies: [],
        points: [{ day: '2026-12-01' }, { day: '2026-12-02' }],
      });
    });

    it('leaves out entries outside the range', () => {
      expect(valueOverTime(entries, { from: '2026-12-01', to: '2026-12-02' }).points).toEqual([
        { day: '2026-12-01', EUR: 0, GBP: 0 },
        { day: '2026-12-02', EUR: 0.99, GBP: 0 },
      ]);
    });
  });

  describe('periodOf', () => {
    it('takes an offered period from the address', () => {
      expect(periodOf(new URLSearchParams('days=7'))).toBe(7);
      expect(periodOf(new URLSearchParams('days=365'))).toBe(365);
    });

    it('falls back to the default for a missing, unknown or malformed period', () => {
      for (const query of ['', 'days=', 'days=8', 'days=abc', 'days=30.5', 'days=-7', 'days=1e9']) {
        expect(periodOf(new URLSearchParams(query)), query).toBe(30);
      }
    });
  });
});
