import { describe, expect, it } from 'vitest';
import { BASELINE_MARKET, BLOC_MARKETS, EU_MEMBER_STATES, KNOWN_MARKETS, blocOfCountry, marketForCountry } from '../src/index.js';

describe('country → market mapping (shared by compliance, rfq and catalog)', () => {
  it('is exported from the contracts', () => {
    expect(EU_MEMBER_STATES).toHaveLength(27);
    expect(marketForCountry('DE')).toBe('EU');
    expect(marketForCountry('GB')).toBe('UK');
    expect(marketForCountry('PR')).toBe('US');
    expect(marketForCountry('CH')).toBe('INTL');
    expect(blocOfCountry('se')).toBe('EU');
  });

  it('knows the same markets as the MarketCode documentation', () => {
    expect([...BLOC_MARKETS, BASELINE_MARKET]).toEqual([...KNOWN_MARKETS]);
  });
});
