import { describe, expect, it } from 'vitest';
import {
  BASELINE_MARKET,
  EU_MEMBER_STATES,
  blocOfCountry,
  marketCodeProblem,
  marketForCountry,
} from '../src/markets/markets.js';

describe('country → market mapping', () => {
  it('maps all 27 EU member states to EU', () => {
    expect(EU_MEMBER_STATES).toHaveLength(27);
    for (const country of EU_MEMBER_STATES) expect(marketForCountry(country)).toBe('EU');
  });

  it('maps GB to UK, US and its FDA territories to US', () => {
    expect(marketForCountry('GB')).toBe('UK');
    expect(marketForCountry('US')).toBe('US');
    expect(marketForCountry('PR')).toBe('US');
  });

  it('is case- and whitespace-insensitive', () => {
    expect(marketForCountry(' de ')).toBe('EU');
    expect(marketForCountry('gb')).toBe('UK');
  });

  it('maps countries outside a bloc to their own rule set when one exists, else INTL', () => {
    expect(marketForCountry('CH')).toBe(BASELINE_MARKET);
    expect(marketForCountry('NO', ['EU', 'UK'])).toBe('INTL');
    expect(marketForCountry('CH', ['EU', 'CH'])).toBe('CH');
    expect(marketForCountry('JP', new Set(['JP']))).toBe('JP');
  });

  it('never lets a country-specific rule set override a bloc', () => {
    expect(marketForCountry('DE', ['DE'])).toBe('EU');
    expect(blocOfCountry('DE')).toBe('EU');
    expect(blocOfCountry('CH')).toBeUndefined();
  });

  it('accepts bloc, baseline and free-standing country codes as rule-set markets', () => {
    for (const market of ['EU', 'UK', 'US', 'INTL', 'CH', 'JP']) expect(marketCodeProblem(market)).toBeUndefined();
  });

  it('rejects malformed codes and countries governed by a bloc', () => {
    expect(marketCodeProblem('eu')).toMatch(/upper-case/);
    expect(marketCodeProblem('E')).toMatch(/upper-case/);
    expect(marketCodeProblem('EU-1')).toMatch(/upper-case/);
    expect(marketCodeProblem('FR')).toBe('FR belongs to market EU; edit the EU rule set');
    expect(marketCodeProblem('GB')).toMatch(/market UK/);
    expect(marketCodeProblem('PR')).toMatch(/market US/);
  });
});
