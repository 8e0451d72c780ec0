import { describe, expect, it } from 'vitest';
import { compareQuotes, isComplete, type CompareItem, type CompareQuote } from '@/pages/buyer/compare';

const items: CompareItem[] = [
  { id: 'i1', name: 'Tomatoes', quantity: 100, unit: 'kg' },
  { id: 'i2', name: 'Peppers', quantity: 50, unit: 'kg' },
];
const quote = (id: string, currency: string, prices: Record<string, number>, status = 'submitted'): CompareQuote => {
  const lines = Object.entries(prices).map(([rfqItemId, unitPriceMinor]) => ({
    rfqItemId,
    unitPriceMinor,
    lineTotalMinor: unitPriceMinor * (items.find((i) => i.id === rfqItemId)?.quantity ?? 0),
  }));
  return { id, supplierCompanyId: `s-${id}`, currency, status, items: lines, totalMinor: lines.reduce((s, l) => s + l.lineTotalMinor, 0) };
};

describe('quote comparison', () => {
  it('a quote is complete only when it prices every item', () => {
    expect(isComplete(quote('a', 'EUR', { i1: 100, i2: 200 }), items)).toBe(true);
    expect(isComplete(quote('b', 'EUR', { i1: 100 }), items)).toBe(false);
    expect(isComplete(quote('c', 'EUR', {}), [])).toBe(false);
  });

  it('the cheapest complete quote wins even when an incomplete one is cheaper in total', () => {
    const result = compareQuotes([quote('a', 'EUR', { i1: 120, i2: 200 }), quote('b', 'EUR', { i1: 90 }), quote('c', 'EUR', { i1: 110, i2: 210 })], items);
    expect(result.mixedCurrencies).toBe(false);
    const eur = result.currencies[0]!;
    // a = 12000 + 10000 = 22000; c = 11000 + 10500 = 21500
    expect(eur.cheapestCompleteId).toBe('c');
    expect(eur.bestPerItem).toEqual({ i1: ['b'], i2: ['a'] });
    expect(result.complete).toEqual({ a: true, b: false, c: true });
  });

  it('ties for the best unit price are all marked', () => {
    const eur = compareQuotes([quote('a', 'EUR', { i1: 100, i2: 200 }), quote('b', 'EUR', { i1: 100, i2: 300 })], items).currencies[0]!;
    expect(eur.bestPerItem.i1).toEqual(['a', 'b']);
  });

  it('never compares across currencies', () => {
    const result = compareQuotes([quote('a', 'EUR', { i1: 100, i2: 200 }), quote('b', 'USD', { i1: 1, i2: 1 })], items);
    expect(result.mixedCurrencies).toBe(true);
    expect(result.currencies.map((g) => [g.currency, g.cheapestCompleteId])).toEqual([
      ['EUR', 'a'],
      ['USD', 'b'],
    ]);
    expect(result.currencies[0]!.bestPerItem.i1).toEqual(['a']);
  });

  it('withdrawn and rejected quotes take no part', () => {
    const result = compareQuotes([quote('a', 'EUR', { i1: 1, i2: 1 }, 'withdrawn'), quote('b', 'EUR', { i1: 100, i2: 200 })], items);
    expect(result.currencies[0]!.cheapestCompleteId).toBe('b');
    expect(result.currencies[0]!.quoteIds).toEqual(['b']);
  });

  it('no complete quote: no winner', () => {
    expect(compareQuotes([quote('a', 'EUR', { i1: 1 })], items).currencies[0]!.cheapestCompleteId).toBeUndefined();
  });
});
