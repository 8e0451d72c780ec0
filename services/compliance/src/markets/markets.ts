/**
 * The country → market mapping lives in the contracts (packages/contracts/src/markets.ts), so
 * compliance, rfq and catalog's supplier matching agree on it; compliance's modules keep
 * importing it from here.
 */
export {
  BASELINE_MARKET,
  BLOC_MARKETS,
  EU_MEMBER_STATES,
  MARKET_CODE_PATTERN,
  US_JURISDICTIONS,
  blocOfCountry,
  isCountryCode,
  isMarketCode,
  marketCodeProblem,
  marketForCountry,
} from '@foodxchange/contracts';
