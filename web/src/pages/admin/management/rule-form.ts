/**
 * The market rule set editor's form state, the PUT body made from it, and the API's field paths
 * (`allergenLabelling.allergens.3`) mapped back onto the form's controls.
 */

export const CERTIFICATIONS = ['HACCP', 'ISO22000', 'BRCGS', 'IFS', 'FSSC22000', 'ORGANIC_EU', 'USDA_ORGANIC', 'FDA_REGISTERED', 'HALAL', 'KOSHER'] as const;
export type Certification = (typeof CERTIFICATIONS)[number];

export const MARKET_CODE = /^[A-Z]{2,8}$/;

export interface RuleSet {
  market: string;
  name: string;
  description: string;
  countries: string[];
  requiredCertifications: Certification[];
  anyOfCertifications: Certification[];
  allergenLabelling: { required: boolean; allergens: string[] };
  originTracking: { required: boolean };
  expiryWarningDays: number;
  version: number;
}

export interface RuleForm {
  name: string;
  description: string;
  /** Country codes separated by commas, spaces or new lines. */
  countries: string;
  requiredCertifications: Certification[];
  anyOfCertifications: Certification[];
  allergensRequired: boolean;
  /** Allergen names separated by commas or new lines. */
  allergens: string;
  originRequired: boolean;
  expiryWarningDays: string;
}

export type RuleField = keyof RuleForm;

export interface RuleBody {
  name: string;
  description: string;
  countries: string[];
  requiredCertifications: Certification[];
  anyOfCertifications: Certification[];
  allergenLabelling: { required: boolean; allergens: string[] };
  originTracking: { required: boolean };
  expiryWarningDays?: number;
  expectedVersion: number;
}

export const EMPTY_FORM: RuleForm = {
  name: '',
  description: '',
  countries: '',
  requiredCertifications: [],
  anyOfCertifications: [],
  allergensRequired: false,
  allergens: '',
  originRequired: false,
  expiryWarningDays: '30',
};

export function formOf(rule: RuleSet): RuleForm {
  return {
    name: rule.name,
    description: rule.description,
    countries: rule.countries.join(', '),
    requiredCertifications: [...rule.requiredCertifications],
    anyOfCertifications: [...rule.anyOfCertifications],
    allergensRequired: rule.allergenLabelling.required,
    allergens: rule.allergenLabelling.allergens.join(', '),
    originRequired: rule.originTracking.required,
    expiryWarningDays: String(rule.expiryWarningDays),
  };
}

/** Country codes upper-cased, de-duplicated, in the order given. */
export function countriesOf(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).map((c) => c.trim().toUpperCase()).filter(Boolean))];
}

/** Allergen names trimmed and de-duplicated (they may contain spaces: "tree nuts"). */
export function allergensOf(text: string): string[] {
  return [...new Set(text.split(/[,;\n]+/).map((a) => a.trim()).filter(Boolean))];
}

/** The form's own checks before anything is sent (the API checks again and has the last word). */
export function checkRuleForm(form: RuleForm): Partial<Record<RuleField, string[]>> {
  const problems: Partial<Record<RuleField, string[]>> = {};
  const name = form.name.trim();
  if (!name) problems.name = ['Give the rule set a name.'];
  else if (name.length > 120) problems.name = ['Keep the name to at most 120 characters.'];
  if (form.description.length > 2000) problems.description = ['Keep the description to at most 2000 characters.'];
  const badCountries = countriesOf(form.countries).filter((c) => !/^[A-Z]{2}$/.test(c));
  if (badCountries.length) problems.countries = [`Not two-letter country codes: ${badCountries.join(', ')}.`];
  const badAllergens = allergensOf(form.allergens).filter((a) => a.length > 32 || !/^[\x20\x21\x23-\x5B\x5D-\x7E]+$/.test(a));
  if (badAllergens.length) problems.allergens = [`Allergen names are up to 32 plain characters (no quotes or backslashes): ${badAllergens.join(', ')}.`];
  const days = form.expiryWarningDays.trim();
  if (days !== '' && !(/^\d+$/.test(days) && Number(days) <= 365)) problems.expiryWarningDays = ['A whole number of days from 0 to 365.'];
  const both = form.requiredCertifications.filter((c) => form.anyOfCertifications.includes(c));
  if (both.length) problems.anyOfCertifications = [`Already required: ${both.join(', ')}.`];
  return problems;
}

export function bodyOf(form: RuleForm, expectedVersion: number): RuleBody {
  const days = form.expiryWarningDays.trim();
  return {
    name: form.name.trim(),
    description: form.description.trim(),
    countries: countriesOf(form.countries),
    requiredCertifications: form.requiredCertifications,
    anyOfCertifications: form.anyOfCertifications,
    allergenLabelling: { required: form.allergensRequired, allergens: allergensOf(form.allergens) },
    originTracking: { required: form.originRequired },
    ...(days !== '' ? { expiryWarningDays: Number(days) } : {}),
    expectedVersion,
  };
}

const FIELD_OF_PATH: [RegExp, RuleField][] = [
  [/^name$/, 'name'],
  [/^description$/, 'description'],
  [/^countries(\.|$)/, 'countries'],
  [/^requiredCertifications(\.|$)/, 'requiredCertifications'],
  [/^anyOfCertifications(\.|$)/, 'anyOfCertifications'],
  [/^allergenLabelling\.allergens(\.|$)/, 'allergens'],
  [/^allergenLabelling(\.required)?$/, 'allergensRequired'],
  [/^originTracking(\.|$)/, 'originRequired'],
  [/^expiryWarningDays$/, 'expiryWarningDays'],
];

/**
 * The API's body field errors (paths inside the body, as fieldErrors gives them) grouped by the
 * form control they belong to; a path with an item index names the item ("Item 3: …"). Paths
 * that belong to no control are returned under `other`.
 */
export function ruleFieldErrors(errors: Record<string, string[]>, form?: RuleForm): { fields: Partial<Record<RuleField, string[]>>; other: string[] } {
  const fields: Partial<Record<RuleField, string[]>> = {};
  const other: string[] = [];
  for (const [path, messages] of Object.entries(errors)) {
    const match = FIELD_OF_PATH.find(([pattern]) => pattern.test(path));
    if (!match) {
      other.push(...messages.map((m) => (path ? `${path}: ${m}` : m)));
      continue;
    }
    const index = /\.(\d+)$/.exec(path)?.[1];
    const field = match[1];
    let prefix = '';
    if (index !== undefined) {
      const items = field === 'countries' && form ? countriesOf(form.countries) : field === 'allergens' && form ? allergensOf(form.allergens) : undefined;
      const item = items?.[Number(index)];
      prefix = item !== undefined ? `"${item}": ` : `Item ${Number(index) + 1}: `;
    }
    (fields[field] ??= []).push(...messages.map((m) => prefix + m));
  }
  return { fields, other };
}
