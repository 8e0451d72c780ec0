import { describe, expect, it } from 'vitest';
import { currencyExponent, fromMinorUnits, lineTotalMinor, sumMinor, toMinorUnits } from '../src/index.js';

describe('money helpers', () => {
  it('know the minor-unit digits of a currency', () => {
    expect(currencyExponent('EUR')).toBe(2);
    expect(currencyExponent('USD')).toBe(2);
    expect(currencyExponent('JPY')).toBe(0);
    expect(currencyExponent('KWD')).toBe(3);
    expect(() => currencyExponent('eur')).toThrow(RangeError);
  });

  it('convert decimal prices exactly', () => {
    expect(toMinorUnits(12.5, 'EUR')).toBe(1250);
    expect(toMinorUnits(0.1, 'EUR')).toBe(10);
    expect(toMinorUnits(1.15, 'EUR')).toBe(115); // 1.15 * 100 = 114.99999999999999 as floats
    expect(toMinorUnits(8.1, 'EUR')).toBe(810);
    expect(toMinorUnits('19.990', 'USD')).toBe(1999);
    expect(toMinorUnits(1500, 'JPY')).toBe(1500);
    expect(toMinorUnits(1.234, 'KWD')).toBe(1234);
    expect(toMinorUnits(0, 'EUR')).toBe(0);
  });

  it('refuse amounts they would have to round, negatives and nonsense', () => {
    expect(() => toMinorUnits(12.345, 'EUR')).toThrow(RangeError);
    expect(() => toMinorUnits(0.1 + 0.2, 'EUR')).toThrow(RangeError);
    expect(() => toMinorUnits(10.5, 'JPY')).toThrow(RangeError);
    expect(() => toMinorUnits(-1, 'EUR')).toThrow(RangeError);
    expect(() => toMinorUnits(Number.NaN, 'EUR')).toThrow(RangeError);
    expect(() => toMinorUnits('12,50', 'EUR')).toThrow(RangeError);
    expect(() => toMinorUnits(1e-7, 'EUR')).toThrow(RangeError);
    expect(() => toMinorUnits(1e300, 'EUR')).toThrow(RangeError);
  });

  it('convert back for display', () => {
    expect(fromMinorUnits(1250, 'EUR')).toBe(12.5);
    expect(fromMinorUnits(1500, 'JPY')).toBe(1500);
    expect(() => fromMinorUnits(1.5, 'EUR')).toThrow(RangeError);
  });

  it('compute line totals without float drift, rounding half up', () => {
    expect(lineTotalMinor(2000, 810)).toBe(1_620_000);
    expect(lineTotalMinor(2.5, 612_000)).toBe(1_530_000);
    expect(lineTotalMinor(0.3, 3)).toBe(1); // 0.9 → 1
    expect(lineTotalMinor(0.5, 1)).toBe(1); // half up
    expect(lineTotalMinor(0.49, 1)).toBe(0);
    expect(lineTotalMinor(1.1, 1_000_000_000)).toBe(1_100_000_000);
    expect(() => lineTotalMinor(-1, 100)).toThrow(RangeError);
    expect(() => lineTotalMinor(1, 1.5)).toThrow(RangeError);
  });

  it('sum integers only', () => {
    expect(sumMinor([1_620_000, 1_530_000])).toBe(3_150_000);
    expect(sumMinor([])).toBe(0);
    expect(() => sumMinor([1, 0.5])).toThrow(RangeError);
  });
});
