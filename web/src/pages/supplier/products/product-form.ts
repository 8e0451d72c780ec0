/**
 * The supplier's product form as plain data: its values (strings, as the controls hold them),
 * the request bodies made from them (POST /api/v1/products, PATCH /api/v1/products/{id}), and the
 * API's field errors placed beside the controls they belong to (price tiers by row).
 */
import type { paths } from '@/api/schema';
import { ApiError, fieldErrors } from '@/api/errors';

export type ProductInputBody = paths['/api/v1/products']['post']['requestBody']['content']['application/json'];
export type ProductPatchBody = paths['/api/v1/products/{id}']['patch']['requestBody']['content']['application/json'];
export type ProductView = paths['/api/v1/products/{id}']['get']['responses'][200]['content']['application/json']['data'];

export type Allergen = ProductInputBody['allergens'][number];
export type Certification = ProductInputBody['certifications'][number];
export type Storage = ProductInputBody['storage'];
type Category = ProductInputBody['category'];
type Country = ProductInputBody['originCountry'];
type Currency = ProductInputBody['priceTiers'][number]['currency'];

/** Compile-time check that a list names every member of a union (and nothing else). */
type Exhaustive<Union, List extends readonly Union[]> = [Exclude<Union, List[number]>] extends [never] ? List : never;

const allergens = ['gluten', 'crustaceans', 'eggs', 'fish', 'peanuts', 'soybeans', 'milk', 'nuts', 'celery', 'mustard', 'sesame', 'sulphites', 'lupin', 'molluscs'] as const;
/** The 14 allergens EU law requires to be declared (the API's list). */
export const ALLERGENS: Exhaustive<Allergen, typeof allergens> = allergens;

const certifications = ['HACCP', 'ISO22000', 'BRCGS', 'IFS', 'FSSC22000', 'ORGANIC_EU', 'USDA_ORGANIC', 'FDA_REGISTERED', 'HALAL', 'KOSHER'] as const;
/** Certifications a product may claim (the company must hold each with a certificate valid today). */
export const CERTIFICATIONS: Exhaustive<Certification, typeof certifications> = certifications;

const storage = ['ambient', 'chilled', 'frozen'] as const;
export const STORAGE_OPTIONS: Exhaustive<Storage, typeof storage> = storage;

export const ALLERGEN_LABELS: Record<Allergen, string> = {
  gluten: 'Gluten (cereals)',
  crustaceans: 'Crustaceans',
  eggs: 'Eggs',
  fish: 'Fish',
  peanuts: 'Peanuts',
  soybeans: 'Soybeans',
  milk: 'Milk',
  nuts: 'Tree nuts',
  celery: 'Celery',
  mustard: 'Mustard',
  sesame: 'Sesame',
  sulphites: 'Sulphites',
  lupin: 'Lupin',
  molluscs: 'Molluscs',
};

export const CERTIFICATION_LABELS: Record<Certification, string> = {
  HACCP: 'HACCP',
  ISO22000: 'ISO 22000',
  BRCGS: 'BRCGS',
  IFS: 'IFS',
  FSSC22000: 'FSSC 22000',
  ORGANIC_EU: 'EU organic',
  USDA_ORGANIC: 'USDA organic',
  FDA_REGISTERED: 'FDA registered',
  HALAL: 'Halal',
  KOSHER: 'Kosher',
};

// ---------------------------------------------------------------------------------------------
// Values

export interface TierRow {
  /** Stable React key of the row (not sent). */
  key: string;
  minQuantity: string;
  unitPrice: string;
  currency: string;
}

export interface ProductFormValues {
  name: string;
  sku: string;
  description: string;
  category: string;
  originCountry: string;
  unit: string;
  moq: string;
  storage: string;
  allergens: Allergen[];
  certifications: Certification[];
  priceTiers: TierRow[];
}

let rowCounter = 0;
export function newTierRow(currency = 'EUR', minQuantity = '', unitPrice = ''): TierRow {
  rowCounter += 1;
  return { key: `tier-${rowCounter}`, minQuantity, unitPrice, currency };
}

export function emptyProductForm(): ProductFormValues {
  return {
    name: '',
    sku: '',
    description: '',
    category: '',
    originCountry: '',
    unit: 'kg',
    moq: '',
    storage: '',
    allergens: [],
    certifications: [],
    priceTiers: [newTierRow()],
  };
}

const numberText = (value: number) => String(value);

/** The form's values for an existing product (decimal prices, as the API shows them). */
export function productFormFrom(product: ProductView): ProductFormValues {
  return {
    name: product.name,
    sku: product.sku,
    description: product.description ?? '',
    category: product.category,
    originCountry: product.originCountry,
    unit: product.unit,
    moq: numberText(product.moq),
    storage: product.storage,
    allergens: product.allergens.filter((a): a is Allergen => (ALLERGENS as readonly string[]).includes(a)),
    certifications: product.certifications.filter((c): c is Certification => (CERTIFICATIONS as readonly string[]).includes(c)),
    priceTiers: product.priceTiers.map((tier) => newTierRow(tier.currency, numberText(tier.minQuantity), numberText(tier.unitPrice))),
  };
}

/** Adds a row below the others: same currency as the last one, quantity left for the user. */
export function withTierAdded(rows: readonly TierRow[]): TierRow[] {
  const last = rows[rows.length - 1];
  return [...rows, newTierRow(last?.currency || 'EUR')];
}

export function withTierRemoved(rows: readonly TierRow[], key: string): TierRow[] {
  return rows.filter((row) => row.key !== key);
}

/**
 * A decimal as people type it: `8.45`, `8,45`, ` 1 000 ` (spaces and a single comma as the
 * decimal mark allowed). Undefined for anything else, including blanks.
 */
export function parseDecimal(text: string): number | undefined {
  let t = text.trim().replace(/[\s\u00a0\u202f]/g, '');
  if (!t) return undefined;
  if (/^\d+,\d+$/.test(t)) t = t.replace(',', '.');
  if (!/^\d+(\.\d+)?$|^\.\d+$/.test(t)) return undefined;
  const value = Number(t);
  return Number.isFinite(value) ? value : undefined;
}

// ---------------------------------------------------------------------------------------------
// Errors

export const TIER_FIELDS = ['minQuantity', 'unitPrice', 'currency'] as const;
export type TierField = (typeof TIER_FIELDS)[number];

export const FORM_FIELDS = [
  'name', 'sku', 'description', 'category', 'originCountry', 'unit', 'moq', 'storage', 'allergens', 'certifications', 'priceTiers',
] as const;
export type FormField = (typeof FORM_FIELDS)[number];

export interface ProductFormErrors {
  /** Messages of a whole control (priceTiers: of the list as such, e.g. "needs at least 1"). */
  fields: Partial<Record<FormField, string[]>>;
  /** Messages of one price tier row (by its index in what was sent), per cell; `row` for the row as a whole. */
  tiers: Record<number, Partial<Record<TierField | 'row', string[]>>>;
  /** Messages no control shows (an unknown path, or the body as a whole). */
  general: string[];
}

export const noErrors = (): ProductFormErrors => ({ fields: {}, tiers: {}, general: [] });

export function hasErrors(errors: ProductFormErrors): boolean {
  return Object.keys(errors.fields).length > 0 || Object.keys(errors.tiers).length > 0 || errors.general.length > 0;
}

/**
 * A field path in any of the forms the API may use (`body.priceTiers.0.unitPrice`,
 * `/priceTiers/0/unitPrice`, `priceTiers[0].unitPrice`) as its segments: `['priceTiers', '0', 'unitPrice']`.
 */
export function pathSegments(path: string): string[] {
  const segments = path
    .replace(/\[(\d+)\]/g, '.$1')
    .split(/[./]/)
    .filter((segment) => segment !== '');
  return segments[0] === 'body' ? segments.slice(1) : segments;
}

const push = (list: string[] | undefined, messages: readonly string[]) => [...(list ?? []), ...messages];

/**
 * Places field errors (path → messages, as fieldErrors gives them) beside the form's controls:
 * `priceTiers.<n>.<cell>` on row n's cell, `priceTiers.<n>` on the row, `allergens.3` on the
 * allergens, and whatever no control shows in `general` (with its path, so nothing is lost).
 */
export function placeFieldErrors(fields: Record<string, readonly string[]>): ProductFormErrors {
  const placed = noErrors();
  for (const [path, messages] of Object.entries(fields)) {
    if (messages.length === 0) continue;
    const [head, index, cell] = pathSegments(path);
    if (head === 'priceTiers' && index !== undefined && /^\d+$/.test(index)) {
      const row = (placed.tiers[Number(index)] ??= {});
      const key: TierField | 'row' = cell && (TIER_FIELDS as readonly string[]).includes(cell) ? (cell as TierField) : 'row';
      row[key] = push(row[key], messages);
    } else if (head && (FORM_FIELDS as readonly string[]).includes(head)) {
      const field = head as FormField;
      placed.fields[field] = push(placed.fields[field], messages);
    } else {
      placed.general.push(...messages.map((message) => (head ? `${pathSegments(path).join('.')}: ${message}` : message)));
    }
  }
  return placed;
}

/** The errors of a failed save: field errors placed, a duplicate sku (409) on the sku, else the message. */
export function saveErrorsOf(error: unknown): ProductFormErrors {
  const placed = placeFieldErrors(fieldErrors(error));
  if (error instanceof ApiError && error.status === 409 && !placed.fields.sku) {
    placed.fields.sku = [error.message];
  }
  return placed;
}

// ---------------------------------------------------------------------------------------------
// Bodies

function merge(into: ProductFormErrors, field: FormField, message: string) {
  into.fields[field] = push(into.fields[field], [message]);
}
function mergeTier(into: ProductFormErrors, index: number, cell: TierField, message: string) {
  const row = (into.tiers[index] ??= {});
  row[cell] = push(row[cell], [message]);
}

/**
 * The POST body of the form's values, or the checks that fail before anything is sent
 * (required fields, numbers that are not numbers). The API checks the rest (ascending tiers,
 * one currency, decimals of the currency, certificates held) and its errors are placed the same way.
 */
export function toProductInput(values: ProductFormValues): { body: ProductInputBody; errors: ProductFormErrors } | { body?: undefined; errors: ProductFormErrors } {
  const errors = noErrors();
  const required: Array<[FormField, string]> = [
    ['name', values.name],
    ['sku', values.sku],
    ['category', values.category],
    ['originCountry', values.originCountry],
    ['unit', values.unit],
    ['storage', values.storage],
  ];
  for (const [field, value] of required) if (!value.trim()) merge(errors, field, 'Is required');
  const moq = parseDecimal(values.moq);
  if (!values.moq.trim()) merge(errors, 'moq', 'Is required');
  else if (moq === undefined || moq <= 0) merge(errors, 'moq', 'Must be a number above 0');
  if (values.priceTiers.length === 0) merge(errors, 'priceTiers', 'Add at least one price tier');
  const tiers = values.priceTiers.map((row, index) => {
    const minQuantity = parseDecimal(row.minQuantity);
    const unitPrice = parseDecimal(row.unitPrice);
    if (!row.minQuantity.trim()) mergeTier(errors, index, 'minQuantity', 'Is required');
    else if (minQuantity === undefined || minQuantity <= 0) mergeTier(errors, index, 'minQuantity', 'Must be a number above 0');
    if (!row.unitPrice.trim()) mergeTier(errors, index, 'unitPrice', 'Is required');
    else if (unitPrice === undefined) mergeTier(errors, index, 'unitPrice', 'Must be a price such as 8.45');
    if (!row.currency.trim()) mergeTier(errors, index, 'currency', 'Is required');
    return { minQuantity: minQuantity ?? 0, unitPrice: unitPrice ?? 0, currency: row.currency.trim().toUpperCase() as Currency };
  });
  if (hasErrors(errors)) return { errors };
  const description = values.description.trim();
  const body: ProductInputBody = {
    name: values.name.trim(),
    sku: values.sku.trim(),
    ...(description ? { description } : {}),
    category: values.category as Category,
    originCountry: values.originCountry as Country,
    unit: values.unit.trim(),
    moq: moq!,
    storage: values.storage as Storage,
    allergens: [...values.allergens],
    certifications: [...values.certifications],
    priceTiers: tiers,
  };
  return { body, errors };
}

const sameList = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((item, index) => item === b[index]);
const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((item) => b.includes(item));

/**
 * The PATCH body of an edit: only the fields that differ from the product as loaded (so an
 * unchanged claim of a certification is not checked again); `{}` when nothing changed. A
 * cleared description is sent as null (removes it). Same checks as toProductInput first.
 */
export function toProductPatch(values: ProductFormValues, original: ProductView): { body: ProductPatchBody; errors: ProductFormErrors } | { body?: undefined; errors: ProductFormErrors } {
  const full = toProductInput(values);
  if (!full.body) return { errors: full.errors };
  const next = full.body;
  const patch: ProductPatchBody = {};
  if (next.name !== original.name) patch.name = next.name;
  if (next.sku !== original.sku) patch.sku = next.sku;
  if ((next.description ?? '') !== (original.description ?? '')) patch.description = next.description ?? null;
  if (next.category !== original.category) patch.category = next.category;
  if (next.originCountry !== original.originCountry) patch.originCountry = next.originCountry;
  if (next.unit !== original.unit) patch.unit = next.unit;
  if (next.moq !== original.moq) patch.moq = next.moq;
  if (next.storage !== original.storage) patch.storage = next.storage;
  if (!sameSet(next.allergens, original.allergens)) patch.allergens = next.allergens;
  if (!sameSet(next.certifications, original.certifications)) patch.certifications = next.certifications;
  const tierKey = (tier: { minQuantity: number; unitPrice: number; currency: string }) => `${tier.minQuantity}|${tier.unitPrice}|${tier.currency}`;
  if (!sameList(next.priceTiers.map(tierKey), original.priceTiers.map(tierKey))) patch.priceTiers = next.priceTiers;
  return { body: patch, errors: full.errors };
}

// ---------------------------------------------------------------------------------------------
// Lists

/** The lowest unit price of a product's tiers (what "from" shows), or undefined without tiers. */
export function priceFrom(product: Pick<ProductView, 'priceTiers' | 'currency'>): { amount: number; currency: string } | undefined {
  if (product.priceTiers.length === 0) return undefined;
  const lowest = product.priceTiers.reduce((best, tier) => (tier.unitPriceMinor < best.unitPriceMinor ? tier : best));
  return { amount: lowest.unitPrice, currency: lowest.currency || product.currency };
}

/** Currencies to offer: the runtime's list (what the API also knows), common ones first. */
export function currencyOptions(known: readonly string[] = supportedCurrencies()): string[] {
  const first = ['EUR', 'USD', 'GBP', 'CHF', 'PLN', 'SEK', 'DKK', 'CZK', 'HUF', 'RON', 'NOK'];
  const set = new Set(known);
  return [...first.filter((code) => set.has(code) || known.length === 0), ...[...set].filter((code) => !first.includes(code)).sort()];
}

function supportedCurrencies(): string[] {
  try {
    return (Intl as unknown as { supportedValuesOf(key: string): string[] }).supportedValuesOf('currency');
  } catch {
    return [];
  }
}
