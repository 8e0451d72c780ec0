import { describe, expect, it } from 'vitest';
import { expiryWarnings, standingOf, warningText } from '../src/pages/company/expiry';

const now = Date.parse('2026-12-02T12:00:00Z');

describe('certificate standing', () => {
  it('is green when valid beyond the warning window', () => {
    expect(standingOf({ validFrom: '2025-01-01', validUntil: '2028-12-31' }, now)).toMatchObject({ tone: 'green', text: 'Valid' });
  });
  it('is amber with the days left within 30 days', () => {
    expect(standingOf({ validFrom: '2025-01-01', validUntil: '2026-12-20' }, now)).toMatchObject({ tone: 'amber', text: 'Expires in 19 days' });
  });
  it('is red once expired', () => {
    expect(standingOf({ validFrom: '2025-01-01', validUntil: '2026-12-01' }, now)).toMatchObject({ tone: 'red', text: 'Expired' });
  });
  it('is blue before its first day', () => {
    expect(standingOf({ validFrom: '2026-12-10', validUntil: '2028-12-31' }, now)).toMatchObject({ tone: 'blue', text: 'Valid in 8 days' });
    expect(standingOf({ validFrom: '2026-12-02', validUntil: '2028-12-31' }, now).tone).toBe('green');
  });
});

describe('expiry warnings', () => {
  const certificates = [
    { id: 'a', validUntil: '2026-12-01' },
    { id: 'b', validUntil: '2026-12-15' },
    { id: 'c', validUntil: '2026-12-31' },
    { id: 'd', validUntil: '2028-01-01' },
  ];
  it('sorts out expired and expiring certificates', () => {
    const warnings = expiryWarnings(certificates, now);
    expect(warnings.expired.map((c) => c.id)).toEqual(['a']);
    expect(warnings.expiring.map((c) => c.id)).toEqual(['b', 'c']);
    expect(warningText(warnings)).toMatch(/^1 certificate has expired and 2 certificates lapse within 30 days\./);
  });
  it('says nothing when all is well', () => {
    expect(warningText(expiryWarnings([{ validUntil: '2028-01-01' }], now))).toBeUndefined();
    expect(warningText(expiryWarnings([], now))).toBeUndefined();
  });
});
