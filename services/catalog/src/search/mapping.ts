import type { estypes } from '@elastic/elasticsearch';
import { SEARCH_LANGUAGES, type SearchLanguage } from './analysis.js';

/**
 * The product index's explicit mapping. `dynamic: strict`: a document with a field not listed
 * here is refused, so the index never grows fields by accident (and a bug shows at once).
 *
 * Keyword fields serve filters, facets and sorts; numbers and dates serve ranges and sorts. The
 * analysed text lives in `text.<lang>` (name, description and, in `en`, the category words) and
 * `nameText.<lang>` (the name alone, for a relevance boost): their content was already analysed by
 * the service (analysis.ts) and the core `standard` analyzer only splits it on the spaces.
 * Display-only fields (name, description, translations, price tiers) are stored, not indexed.
 */

/** The analysed full-text field of a language. */
export const textField = (lang: SearchLanguage) => `text.${lang}`;
/** The analysed product-name field of a language. */
export const nameTextField = (lang: SearchLanguage) => `nameText.${lang}`;

const analysedTextByLanguage = Object.fromEntries(
  SEARCH_LANGUAGES.map((lang) => [lang, { type: 'text' as const, analyzer: 'standard' }]),
);

const keyword = { type: 'keyword' as const };
const stored = { type: 'keyword' as const, index: false, doc_values: false };

export const PRODUCT_INDEX_MAPPING: estypes.MappingTypeMapping = {
  dynamic: 'strict',
  properties: {
    productId: keyword,
    supplierCompanyId: keyword,
    supplierName: keyword,
    supplierVerified: { type: 'boolean' },
    supplierActive: { type: 'boolean' },
    supplierMarkets: keyword,
    sku: keyword,
    name: stored,
    description: { type: 'text', index: false },
    language: keyword,
    translations: { type: 'object', enabled: false },
    category: keyword,
    categoryPath: keyword,
    originCountry: keyword,
    unit: keyword,
    moq: { type: 'double' },
    currency: keyword,
    priceFromMinor: { type: 'long' },
    priceAtMoqMinor: { type: 'long' },
    priceTiers: { type: 'object', enabled: false },
    certifications: keyword,
    // Nested: "type X valid on day D" must hold for one certificate, not across two of them.
    supplierCertifications: {
      type: 'nested',
      properties: { type: keyword, validFrom: { type: 'date' }, validUntil: { type: 'date' } },
    },
    allergens: keyword,
    storage: keyword,
    status: keyword,
    version: { type: 'long' },
    createdAt: { type: 'date' },
    updatedAt: { type: 'date' },
    deletedAt: { type: 'date' },
    text: { properties: analysedTextByLanguage },
    nameText: { properties: analysedTextByLanguage },
  },
};

/**
 * One shard and no replica: one local node (a replica could never be placed and the cluster
 * would stay yellow). Refreshed every half second so a change is searchable within a second.
 */
export const PRODUCT_INDEX_REFRESH_INTERVAL = '500ms';

export const PRODUCT_INDEX_SETTINGS: estypes.IndicesIndexSettings = {
  number_of_shards: 1,
  number_of_replicas: 0,
  refresh_interval: PRODUCT_INDEX_REFRESH_INTERVAL,
};

/** A new concrete index name behind `alias`: `<alias>-<UTC timestamp to the millisecond>`. */
export function concreteIndexName(alias: string, now = new Date()): string {
  return `${alias}-${now.toISOString().replace(/[-:.]/g, '').toLowerCase()}`;
}
