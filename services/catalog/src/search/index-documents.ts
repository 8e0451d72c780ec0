import { categoryLabelsOf, categoryPathOf as taxonomyPathOf } from '../categories/taxonomy.js';
import { analyzeForIndex, isSearchLanguage, type SearchLanguage } from './analysis.js';

/**
 * The product → search document function. A document denormalises the supplier's read copy
 * (name, verified, active, markets, certificates with their validity) so filters need no join;
 * when the copy changes, the supplier's products are indexed again (indexer.ts).
 *
 * Matching (src/matching) relies on these field names: change them together.
 */

/** What the indexer reads of a product (the catalog's product document). */
export interface IndexableProduct {
  _id: string;
  supplierCompanyId: string;
  sku: string;
  name: string;
  description?: string | null;
  language?: string | null;
  translations?: Record<string, { name?: string | null; description?: string | null } | undefined> | null;
  category: string;
  originCountry: string;
  unit: string;
  moq: number;
  currency?: string | null;
  priceTiers: ReadonlyArray<{ minQuantity: number; unitPriceMinor: number; currency: string }>;
  certifications: readonly string[];
  allergens: readonly string[];
  storage?: string | null;
  status: string;
  version: number;
  createdAt?: Date | string | null;
  updatedAt?: Date | string | null;
  deletedAt?: Date | string | null;
}

/** What the indexer reads of the supplier's read copy. */
export interface IndexableCompany {
  /** Unknown until an event naming the company arrived. */
  name?: string | null;
  verified: boolean;
  marketsServed?: readonly string[] | null;
  certifications?: ReadonlyArray<{ type: string; validFrom: string; validUntil: string }> | null;
}

export interface SupplierCertificationDocument {
  type: string;
  /** ISO instants: a date-only bound stands for the whole UTC day. */
  validFrom: string;
  validUntil: string;
}

/** A live product as the index holds it. */
export interface ProductIndexDocument {
  productId: string;
  supplierCompanyId: string;
  supplierName?: string;
  supplierVerified: boolean;
  /** false when the supplier's copy is unknown yet or every member of it is suspended. */
  supplierActive: boolean;
  supplierMarkets: string[];
  sku: string;
  name: string;
  description?: string;
  language: SearchLanguage;
  translations?: Record<string, { name?: string; description?: string }>;
  category: string;
  /** The category and its ancestors: `['vegetables', 'vegetables.tomatoes']`. */
  categoryPath: string[];
  originCountry: string;
  unit: string;
  moq: number;
  currency: string;
  /** The lowest unit price of any tier (the "from" price): price filters and sorts use it. */
  priceFromMinor: number;
  /** The unit price at the minimum order quantity. */
  priceAtMoqMinor: number;
  priceTiers: Array<{ minQuantity: number; unitPriceMinor: number; currency: string }>;
  /** Certifications the product claims (a filter also requires the supplier's valid certificate). */
  certifications: string[];
  supplierCertifications: SupplierCertificationDocument[];
  allergens: string[];
  storage?: string;
  status: 'active';
  version: number;
  createdAt?: string;
  updatedAt?: string;
  /** Analysed text per language (analysis.ts): name + description (+ category words in `en`). */
  text: Partial<Record<SearchLanguage, string>>;
  /** Analysed name per language, for the relevance boost of name matches. */
  nameText: Partial<Record<SearchLanguage, string>>;
}

/**
 * What a deleted product leaves in the index: a marker with its last version, so an older event
 * delivered late can never bring it back (external versioning compares against it). Searches
 * only see `status: active`.
 */
export interface DeletedProductDocument {
  productId: string;
  supplierCompanyId: string;
  status: 'deleted';
  version: number;
  deletedAt?: string;
  updatedAt?: string;
}

export type IndexDocument = ProductIndexDocument | DeletedProductDocument;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** A certificate bound as an instant: a date-only start is 00:00:00.000 UTC, a date-only end 23:59:59.999. */
export function certificateBound(value: string, end: 'from' | 'until'): string {
  if (DATE_ONLY.test(value)) return `${value}T${end === 'from' ? '00:00:00.000' : '23:59:59.999'}Z`;
  return new Date(value).toISOString();
}

function isoOf(value: Date | string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** `vegetables.tomatoes` → `['vegetables', 'vegetables.tomatoes']` (by the slug's dots if the taxonomy lacks it). */
export function categoryPathOf(category: string): string[] {
  const known = taxonomyPathOf(category);
  if (known.length > 0) return known;
  const parts = category.split('.');
  return parts.map((_, i) => parts.slice(0, i + 1).join('.'));
}

function addText(target: Partial<Record<SearchLanguage, string>>, lang: SearchLanguage, analysed: string): void {
  if (analysed === '') return;
  target[lang] = target[lang] ? `${target[lang]} ${analysed}` : analysed;
}

/** The name goes into both fields: analysed once. */
function addNameAndDescription(
  text: Partial<Record<SearchLanguage, string>>,
  nameText: Partial<Record<SearchLanguage, string>>,
  lang: SearchLanguage,
  name: string | null | undefined,
  description: string | null | undefined,
): void {
  const analysedName = name ? analyzeForIndex(name, lang) : '';
  addText(nameText, lang, analysedName);
  addText(text, lang, analysedName);
  if (description) addText(text, lang, analyzeForIndex(description, lang));
}

/** The analysed English words of a category (its labels and slug): a handful of distinct values. */
const categoryTexts = new Map<string, string>();
function categoryText(category: string): string {
  let analysed = categoryTexts.get(category);
  if (analysed === undefined) {
    analysed = analyzeForIndex([...categoryLabelsOf(category), category.replace(/[._-]+/g, ' ')].join('\n'), 'en');
    if (categoryTexts.size < 10_000) categoryTexts.set(category, analysed);
  }
  return analysed;
}

/** The product's unit price at a quantity: the tier with the largest minQuantity ≤ quantity. */
function priceAt(tiers: IndexableProduct['priceTiers'], quantity: number): number | undefined {
  let price: number | undefined;
  for (const tier of [...tiers].sort((a, b) => a.minQuantity - b.minQuantity)) {
    if (tier.minQuantity <= quantity) price = tier.unitPriceMinor;
  }
  return price ?? tiers[0]?.unitPriceMinor;
}

/**
 * The index document of a product: the deleted marker for a deleted one, otherwise the live
 * document with the supplier's copy folded in (`company` null: the copy has not arrived yet, so
 * the product stays out of search until it does).
 */
export function toIndexDocument(product: IndexableProduct, company: IndexableCompany | null, supplierActive: boolean): IndexDocument {
  if (product.status !== 'active') {
    const deleted: DeletedProductDocument = {
      productId: product._id,
      supplierCompanyId: product.supplierCompanyId,
      status: 'deleted',
      version: product.version,
    };
    const deletedAt = isoOf(product.deletedAt);
    if (deletedAt) deleted.deletedAt = deletedAt;
    const updatedAt = isoOf(product.updatedAt);
    if (updatedAt) deleted.updatedAt = updatedAt;
    return deleted;
  }

  const language: SearchLanguage = isSearchLanguage(product.language) ? product.language : 'en';
  const text: Partial<Record<SearchLanguage, string>> = {};
  const nameText: Partial<Record<SearchLanguage, string>> = {};
  addNameAndDescription(text, nameText, language, product.name, product.description);
  const translations: Record<string, { name?: string; description?: string }> = {};
  for (const [lang, translation] of Object.entries(product.translations ?? {})) {
    if (!translation || !isSearchLanguage(lang)) continue;
    const kept: { name?: string; description?: string } = {};
    if (translation.name) kept.name = translation.name;
    if (translation.description) kept.description = translation.description;
    addNameAndDescription(text, nameText, lang, translation.name, translation.description);
    if (kept.name || kept.description) translations[lang] = kept;
  }
  // The taxonomy's labels and slugs are English ("Peppers and chillies", "vegetables.peppers"):
  // a search for "vegetables" or "chillies" finds the products filed there.
  addText(text, 'en', categoryText(product.category));

  const tiers = product.priceTiers.map(({ minQuantity, unitPriceMinor, currency }) => ({ minQuantity, unitPriceMinor, currency }));
  const prices = tiers.map((tier) => tier.unitPriceMinor);
  const document: ProductIndexDocument = {
    productId: product._id,
    supplierCompanyId: product.supplierCompanyId,
    supplierVerified: company?.verified ?? false,
    supplierActive: company !== null && supplierActive,
    supplierMarkets: [...(company?.marketsServed ?? [])],
    sku: product.sku,
    name: product.name,
    language,
    category: product.category,
    categoryPath: categoryPathOf(product.category),
    originCountry: product.originCountry,
    unit: product.unit,
    moq: product.moq,
    currency: product.currency ?? tiers[0]?.currency ?? '',
    priceFromMinor: prices.length > 0 ? Math.min(...prices) : 0,
    priceAtMoqMinor: priceAt(tiers, product.moq) ?? 0,
    priceTiers: tiers,
    certifications: [...product.certifications],
    supplierCertifications: (company?.certifications ?? []).map((certificate) => ({
      type: certificate.type,
      validFrom: certificateBound(certificate.validFrom, 'from'),
      validUntil: certificateBound(certificate.validUntil, 'until'),
    })),
    allergens: [...product.allergens],
    status: 'active',
    version: product.version,
    text,
    nameText,
  };
  if (company?.name) document.supplierName = company.name;
  if (product.description) document.description = product.description;
  if (Object.keys(translations).length > 0) document.translations = translations;
  if (product.storage) document.storage = product.storage;
  const createdAt = isoOf(product.createdAt);
  if (createdAt) document.createdAt = createdAt;
  const updatedAt = isoOf(product.updatedAt);
  if (updatedAt) document.updatedAt = updatedAt;
  return document;
}
