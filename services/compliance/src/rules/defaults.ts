import { EU_ALLERGENS } from '@foodxchange/contracts';
import { EU_MEMBER_STATES, US_JURISDICTIONS } from '../markets/markets.js';

/**
 * Rule sets seeded at start-up when a market has none (an existing set, edited by an admin, is
 * never overwritten: the seed is an upsert with `$setOnInsert`).
 */

/** Regulation (EU) No 1169/2011 Annex II: the 14 allergens that must be declared on the label. */
export const EU_LABELLED_ALLERGENS: readonly string[] = [...EU_ALLERGENS];

/** UK Food Information Regulations retain the same 14. */
export const UK_LABELLED_ALLERGENS: readonly string[] = [...EU_ALLERGENS];

/** FALCPA + FASTER Act: the 9 major food allergens of the US (wheat rather than gluten). */
export const US_LABELLED_ALLERGENS: readonly string[] = ['milk', 'eggs', 'fish', 'crustaceans', 'nuts', 'peanuts', 'wheat', 'soybeans', 'sesame'];

/** Codex Alimentarius GSLPF 4.2.1.4: the baseline list most markets build on. */
export const CODEX_LABELLED_ALLERGENS: readonly string[] = ['gluten', 'crustaceans', 'eggs', 'fish', 'peanuts', 'soybeans', 'milk', 'nuts', 'sulphites'];

export interface RuleSetDefinition {
  market: string;
  name: string;
  description: string;
  /** Countries this rule set applies to (informational; the mapping is code in markets.ts). */
  countries: string[];
  requiredCertifications: string[];
  anyOfCertifications: string[];
  allergenLabelling: { required: boolean; allergens: string[] };
  originTracking: { required: boolean };
  expiryWarningDays: number;
}

export const DEFAULT_RULE_SETS: readonly RuleSetDefinition[] = [
  {
    market: 'EU',
    name: 'European Union',
    description:
      'Reg. (EC) 852/2004 HACCP-based food safety management plus ISO 22000 certification; Reg. (EU) 1169/2011 allergen labelling (14 allergens); Reg. (EC) 178/2002 traceability of origin.',
    countries: [...EU_MEMBER_STATES],
    requiredCertifications: ['HACCP', 'ISO22000'],
    anyOfCertifications: [],
    allergenLabelling: { required: true, allergens: [...EU_LABELLED_ALLERGENS] },
    originTracking: { required: true },
    expiryWarningDays: 30,
  },
  {
    market: 'UK',
    name: 'United Kingdom',
    description:
      'Retained food hygiene law (HACCP) plus one GFSI-benchmarked scheme (BRCGS, ISO 22000, FSSC 22000 or IFS); Food Information Regulations allergen labelling (14 allergens); origin traceability.',
    countries: ['GB'],
    requiredCertifications: ['HACCP'],
    anyOfCertifications: ['BRCGS', 'ISO22000', 'FSSC22000', 'IFS'],
    allergenLabelling: { required: true, allergens: [...UK_LABELLED_ALLERGENS] },
    originTracking: { required: true },
    expiryWarningDays: 30,
  },
  {
    market: 'US',
    name: 'United States',
    description:
      'FDA food facility registration and a HACCP / FSMA preventive-controls plan; FALCPA + FASTER Act labelling of the 9 major allergens; FSMA 204 traceability of origin.',
    countries: [...US_JURISDICTIONS],
    requiredCertifications: ['FDA_REGISTERED', 'HACCP'],
    anyOfCertifications: [],
    allergenLabelling: { required: true, allergens: [...US_LABELLED_ALLERGENS] },
    originTracking: { required: true },
    expiryWarningDays: 30,
  },
  {
    market: 'INTL',
    name: 'International baseline',
    description:
      'Applies to delivery countries without a market-specific rule set: Codex HACCP, Codex allergen declaration list; origin recommended but not mandatory.',
    countries: [],
    requiredCertifications: ['HACCP'],
    anyOfCertifications: [],
    allergenLabelling: { required: true, allergens: [...CODEX_LABELLED_ALLERGENS] },
    originTracking: { required: false },
    expiryWarningDays: 30,
  },
];
