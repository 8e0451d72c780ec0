/**
 * Which market a delivery country (ISO 3166-1 alpha-2) belongs to: the one mapping every
 * service shares, so the market compliance applies rules for, the market an RFQ carries and the
 * market supplier matching checks a supplier serves are always the same.
 *
 * Decision:
 * 1. The 27 EU member states → `EU` (one single market, one rule set).
 * 2. `GB` → `UK` (Great Britain; Northern Ireland's goods rules follow the EU's Windsor Framework,
 *    but ISO has no separate code, so GB as a whole maps to UK).
 * 3. `US` and the US territories that apply FDA food law (PR, GU, VI, AS, MP, UM) → `US`.
 * 4. Any other country → its own code when a rule set for that code exists (admins create one
 *    with `PUT /compliance/rules/:code`), otherwise `INTL`, the baseline rule set.
 *
 * Pure: the caller passes the markets that have a rule set.
 */
export const EU_MEMBER_STATES = [
  'AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE',
  'IT', 'LV', 'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE',
] as const;

export const US_JURISDICTIONS = ['US', 'PR', 'GU', 'VI', 'AS', 'MP', 'UM'] as const;

/** Markets with a rule set seeded at start-up. */
export const BLOC_MARKETS = ['EU', 'UK', 'US'] as const;
export const BASELINE_MARKET = 'INTL';

/** A market code: a bloc (`EU`), `INTL`, or a country code for a country-specific rule set. */
export const MARKET_CODE_PATTERN = '^[A-Z]{2,8}$';
const MARKET_CODE = new RegExp(MARKET_CODE_PATTERN);
const COUNTRY_CODE = /^[A-Z]{2}$/;

const BLOC_OF_COUNTRY: ReadonlyMap<string, string> = new Map<string, string>([
  ...EU_MEMBER_STATES.map((country) => [country, 'EU'] as [string, string]),
  ['GB', 'UK'],
  ...US_JURISDICTIONS.map((country) => [country, 'US'] as [string, string]),
]);

export function isCountryCode(value: string): boolean {
  return COUNTRY_CODE.test(value);
}

export function isMarketCode(value: string): boolean {
  return MARKET_CODE.test(value);
}

/** The bloc a country belongs to (`EU`, `UK`, `US`), or undefined when it has none. */
export function blocOfCountry(country: string): string | undefined {
  return BLOC_OF_COUNTRY.get(country.toUpperCase());
}

/**
 * The market whose rules apply to deliveries into `country`.
 * @param knownMarkets markets that have a rule set (only consulted for countries outside a bloc)
 */
export function marketForCountry(country: string, knownMarkets: Iterable<string> = []): string {
  const code = country.trim().toUpperCase();
  const bloc = BLOC_OF_COUNTRY.get(code);
  if (bloc) return bloc;
  for (const market of knownMarkets) if (market === code) return code;
  return BASELINE_MARKET;
}

/**
 * Why a market code can't have its own rule set, or undefined when it can: a country inside a
 * bloc is governed by the bloc's rules, so a rule set under its code would never apply.
 */
export function marketCodeProblem(market: string): string | undefined {
  if (!isMarketCode(market)) return 'must be 2 to 8 upper-case letters (EU, UK, US, INTL or a country code)';
  const bloc = BLOC_OF_COUNTRY.get(market);
  if (bloc && bloc !== market) return `${market} belongs to market ${bloc}; edit the ${bloc} rule set`;
  return undefined;
}
