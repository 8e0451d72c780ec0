import { describe, expect, it } from 'vitest';
import { expiryLabel, expiryOf } from '../src/pages/company/expiry';

const now = Date.parse('2026-12-02T12:00:00Z');

describe('certificate expiry', () => {
  it('is fine more than 30 days out', () => {
    expect(expiryOf('2027-06-30', now).kind).toBe('ok');
    expect(expiryLabel(expiryOf('2027-06-30', now))).toBeUndefined();
  });
  it('warns within 30 days, counting the last day as valid', () => {
    const state = expiryOf('2026-12-31', now);
    expect(state).toEqual({ kind: 'expiring', days: 30 });
    expect(expiryLabel(state)).toBe('Expires in 30 days');
    expect(expiryOf('2027-01-01', now).kind).toBe('ok');
  });
  it('a certificate valid until today is still valid today', () => {
    expect(expiryOf('2026-12-02', now)).toEqual({ kind: 'expiring', days: 1 });
    expect(expiryLabel(expiryOf('2026-12-02', now))).toBe('Expires within a day');
  });
  it('is expired after its last day', () => {
    const state = expiryOf('2026-12-01', now);
    expect(state.kind).toBe('expired');
    expect(expiryLabel(state)).toBe('Expired');
  });
  it('reads exact date-times', () => {
    expect(expiryOf('2026-12-02T11:00:00Z', now).kind).toBe('expired');
    expect(expiryOf('2026-12-03T12:00:00Z', now)).toEqual({ kind: 'expiring', days: 1 });
  });
});
