/**
 * The company profile form: its values from the API's company, the PATCH body of what changed,
 * and the API's field errors in words next to the controls they belong to.
 */
import type { paths } from '@/api/schema';

export type CompanyView = paths['/api/v1/companies/{id}']['get']['responses']['200']['content']['application/json']['data'];
export type FullCompany = Extract<CompanyView, { view: 'full' }>;
export type Certification = CompanyView['certifications'][number];
export type CertificationType = Certification['type'];
export type UpdateCompanyBody = NonNullable<paths['/api/v1/companies/{id}']['patch']['requestBody']>['content']['application/json'];
export type AddCertificationBody = NonNullable<paths['/api/v1/companies/{id}/certifications']['post']['requestBody']>['content']['application/json'];

/** The certification types the API accepts (its enum), in its order. */
export const CERTIFICATION_TYPES = [
  'HACCP',
  'ISO22000',
  'BRCGS',
  'IFS',
  'FSSC22000',
  'ORGANIC_EU',
  'USDA_ORGANIC',
  'FDA_REGISTERED',
  'HALAL',
  'KOSHER',
] as const satisfies readonly CertificationType[];

const TYPE_LABELS: Record<CertificationType, string> = {
  HACCP: 'HACCP',
  ISO22000: 'ISO 22000',
  BRCGS: 'BRCGS',
  IFS: 'IFS Food',
  FSSC22000: 'FSSC 22000',
  ORGANIC_EU: 'EU organic',
  USDA_ORGANIC: 'USDA organic',
  FDA_REGISTERED: 'FDA registered',
  HALAL: 'Halal',
  KOSHER: 'Kosher',
};

export function certificationTypeLabel(type: string): string {
  return TYPE_LABELS[type as CertificationType] ?? type;
}

/** The compliance markets offered as check boxes; other codes go in a text field. */
export const KNOWN_MARKETS = [
  { code: 'EU', label: 'European Union (EU)' },
  { code: 'UK', label: 'United Kingdom (UK)' },
  { code: 'US', label: 'United States (US)' },
  { code: 'INTL', label: 'International (INTL)' },
] as const;
const KNOWN_MARKET_CODES: readonly string[] = KNOWN_MARKETS.map((market) => market.code);

export interface ProfileForm {
  name: string;
  description: string;
  website: string;
  phone: string;
  line1: string;
  line2: string;
  city: string;
  postalCode: string;
  country: string;
  markets: string[];
  /** Further market codes, comma or space separated. */
  otherMarkets: string;
  categories: string[];
}

export function formOf(company: FullCompany): ProfileForm {
  return {
    name: company.name,
    description: company.description ?? '',
    website: company.website ?? '',
    phone: company.phone ?? '',
    line1: company.address?.line1 ?? '',
    line2: company.address?.line2 ?? '',
    city: company.address?.city ?? '',
    postalCode: company.address?.postalCode ?? '',
    country: company.address?.country ?? '',
    markets: company.marketsServed.filter((code) => KNOWN_MARKET_CODES.includes(code)),
    otherMarkets: company.marketsServed.filter((code) => !KNOWN_MARKET_CODES.includes(code)).join(', '),
    categories: [...company.categories],
  };
}

/** The markets of the form: the ticked ones, then the typed ones (upper case, no repeats). */
export function marketsOf(form: Pick<ProfileForm, 'markets' | 'otherMarkets'>): string[] {
  const typed = form.otherMarkets
    .split(/[\s,;]+/)
    .map((code) => code.trim().toUpperCase())
    .filter(Boolean);
  return [...new Set([...form.markets, ...typed])];
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((value, index) => value === b[index]);

/**
 * The PATCH body: only what differs from the company as loaded. An emptied optional field is sent
 * as null (the API removes it); an address with every line empty removes the address.
 */
export function patchOf(form: ProfileForm, company: FullCompany): UpdateCompanyBody {
  const body: UpdateCompanyBody = {};
  const name = form.name.trim();
  if (name !== company.name) body.name = name;
  const clearable = (value: string, before: string | undefined) => {
    const text = value.trim();
    if (text === (before ?? '')) return undefined;
    return text === '' ? null : text;
  };
  // A description keeps its line breaks; only the ends are trimmed.
  const description = clearable(form.description, company.description);
  if (description !== undefined) body.description = description;
  const website = clearable(form.website, company.website);
  if (website !== undefined) body.website = website;
  const phone = clearable(form.phone, company.phone);
  if (phone !== undefined) body.phone = phone;

  const address = {
    line1: form.line1.trim(),
    line2: form.line2.trim(),
    city: form.city.trim(),
    postalCode: form.postalCode.trim(),
    country: form.country.trim().toUpperCase(),
  };
  const before = company.address;
  const empty = Object.values(address).every((value) => value === '');
  const changed =
    address.line1 !== (before?.line1 ?? '') ||
    address.line2 !== (before?.line2 ?? '') ||
    address.city !== (before?.city ?? '') ||
    address.postalCode !== (before?.postalCode ?? '') ||
    address.country !== (before?.country ?? '');
  if (changed) {
    if (empty) body.address = null;
    else
      body.address = {
        line1: address.line1,
        ...(address.line2 ? { line2: address.line2 } : {}),
        city: address.city,
        ...(address.postalCode ? { postalCode: address.postalCode } : {}),
        country: address.country,
      };
  }

  const markets = marketsOf(form);
  if (!sameList([...markets].sort(), [...company.marketsServed].sort())) body.marketsServed = markets;
  if (!sameList([...form.categories].sort(), [...company.categories].sort())) body.categories = [...form.categories];
  return body;
}

export function isEmptyPatch(body: UpdateCompanyBody): boolean {
  return Object.keys(body).length === 0;
}

/** Words for a `must match pattern` on each field of the profile and certificate forms. */
const PATTERN_WORDS: Record<string, string> = {
  website: 'Must be a web address starting with http:// or https://',
  phone: 'Use digits, with an optional leading + and spaces, dots, dashes or brackets',
  'address.country': 'Use the two-letter country code, e.g. ES or DE',
  country: 'Use the two-letter country code, e.g. ES or DE',
  marketsServed: 'Use market codes such as EU, UK, US, INTL or a two-letter country code',
};
const TEXT_PATTERN_WORDS = 'Must not be blank or contain control characters';

/**
 * The API's field errors made readable for one form: the path of an array item (`marketsServed.1`)
 * counts for its list, the "must be null" of a clearable field and the raw patterns are dropped or
 * put in words, date/date-time alternatives become one message, repeats go.
 */
export function readableErrors(fields: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [path, messages] of Object.entries(fields)) {
    const key = path.replace(/\.\d+(?=$|\.)/g, '');
    // A clearable field's "must be null" is the other branch of its union: never the point.
    const words = messages.filter((message) => !/^must be null$/i.test(message));
    if (!words.length) continue;
    const list = (out[key] ??= []);
    for (const message of words) {
      let text = message;
      if (/^must match pattern/i.test(message)) text = PATTERN_WORDS[key] ?? TEXT_PATTERN_WORDS;
      else if (/^must (match format "(date|date-time)"|be a date and time)$/i.test(message)) text = 'Must be a date';
      else if (/^must match format "uri"$/i.test(message)) text = PATTERN_WORDS.website!;
      if (!list.includes(text)) list.push(text);
    }
    // "Is required" already says the blank is wrong.
    if (list.includes('Is required')) out[key] = list.filter((text) => text !== TEXT_PATTERN_WORDS);
  }
  return out;
}

/** The messages of the keys an error map has beyond the ones a form shows: for a general notice. */
export function unplacedErrors(errors: Record<string, string[]>, shown: readonly string[]): string[] {
  return Object.entries(errors)
    .filter(([key]) => !shown.includes(key))
    .flatMap(([key, messages]) => messages.map((message) => (key ? `${key}: ${message}` : message)));
}

export interface CertificationForm {
  type: CertificationType | '';
  number: string;
  issuedBy: string;
  validFrom: string;
  validUntil: string;
}

export const EMPTY_CERTIFICATION: CertificationForm = { type: '', number: '', issuedBy: '', validFrom: '', validUntil: '' };

/**
 * The form's own checks before sending (the API checks again): a type, a number, an issuer, two
 * dates in order. Keys are the body's field names.
 */
export function checkCertification(form: CertificationForm): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  if (!form.type) errors.type = ['Choose the certification type'];
  if (!form.number.trim()) errors.number = ['Is required'];
  if (!form.issuedBy.trim()) errors.issuedBy = ['Is required'];
  if (!form.validFrom) errors.validFrom = ['Is required'];
  if (!form.validUntil) errors.validUntil = ['Is required'];
  if (form.validFrom && form.validUntil && form.validUntil < form.validFrom) errors.validUntil = ['Must not be before the valid-from date'];
  return errors;
}

export function certificationBody(form: CertificationForm): AddCertificationBody {
  return {
    type: form.type as CertificationType,
    number: form.number.trim(),
    issuedBy: form.issuedBy.trim(),
    validFrom: form.validFrom,
    validUntil: form.validUntil,
  };
}

/** A country's name in the reader's language, or the code when the browser does not know it. */
export function countryName(code: string): string {
  try {
    return new Intl.DisplayNames(undefined, { type: 'region' }).of(code) ?? code;
  } catch {
    return code;
  }
}

export const COMPANY_TYPE_LABELS: Record<CompanyView['type'], string> = { buyer: 'Buyer', supplier: 'Supplier', both: 'Buyer and supplier' };
