/** `product.*` event data (produced by catalog). */
import { Type, type Static, type TOptional } from '@sinclair/typebox';
import {
  AllergenList,
  Category,
  CertificationTypeList,
  Code,
  CONTRACT_LIMITS,
  CountryCode,
  CurrencyCode,
  DateTime,
  Id,
  MinorUnits,
  ProductName,
  Sku,
  StorageCondition,
  StringEnum,
  Unit,
} from './common.js';

/** A volume price: from `minQuantity` units on, each unit costs `unitPriceMinor`. */
export const PriceTier = Type.Object(
  {
    minQuantity: Type.Number({ minimum: 0 }),
    unitPriceMinor: MinorUnits,
    currency: CurrencyCode,
  },
  { description: 'Price tier: unit price in minor units from minQuantity on.' },
);
export type PriceTier = Static<typeof PriceTier>;

export const PRODUCT_STATUSES = ['active', 'inactive'] as const;

/**
 * The 24 official languages of the EU (ISO 639-1): the languages a product's name and description
 * may be given in. Catalogue search analyses each with that language's stemmer.
 */
export const EU_LANGUAGES = [
  'bg', 'cs', 'da', 'de', 'el', 'en', 'es', 'et', 'fi', 'fr', 'ga', 'hr',
  'hu', 'it', 'lt', 'lv', 'mt', 'nl', 'pl', 'pt', 'ro', 'sk', 'sl', 'sv',
] as const;
export type EuLanguage = (typeof EU_LANGUAGES)[number];
export const EuLanguageCode = StringEnum(EU_LANGUAGES, { description: 'EU official language (ISO 639-1), e.g. en, de, fr.' });

/**
 * Bound of a translated description. 24 languages × (200 + 2,000) characters keeps the largest
 * product event within MAX_EVENT_BYTES, whatever characters they are written in.
 */
export const TRANSLATED_DESCRIPTION_MAX = 2000;

export const ProductTranslation = Type.Object(
  {
    name: Type.Optional(ProductName),
    description: Type.Optional(Type.String({ maxLength: TRANSLATED_DESCRIPTION_MAX })),
  },
  { additionalProperties: false, description: 'Name and description in one language.' },
);
export type ProductTranslation = Static<typeof ProductTranslation>;

/** `{ de: { name, description }, fr: { … } }`: keys are EU languages only. */
export const ProductTranslations = Type.Object(
  Object.fromEntries(EU_LANGUAGES.map((language) => [language, Type.Optional(ProductTranslation)])) as Record<EuLanguage, TOptional<typeof ProductTranslation>>,
  { additionalProperties: false, description: 'Translations of name and description, by EU language code.' },
);
export type ProductTranslations = Static<typeof ProductTranslations>;

/** The product as the catalogue holds it: events carry the whole snapshot. */
const productFields = {
  productId: Id,
  supplierCompanyId: Id,
  supplierName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  sku: Sku,
  name: ProductName,
  description: Type.Optional(Type.String({ maxLength: 10_000 })),
  language: Type.Optional({ ...EuLanguageCode, description: 'Language of name and description (en when absent).' }),
  translations: Type.Optional(ProductTranslations),
  category: Category,
  originCountry: CountryCode,
  unit: Unit,
  moq: Type.Number({ minimum: 0, description: 'Minimum order quantity, in unit.' }),
  priceTiers: Type.Array(PriceTier, { maxItems: CONTRACT_LIMITS.priceTiers }),
  certifications: CertificationTypeList,
  allergens: AllergenList('Allergens the product contains (empty = none).'),
  storage: Type.Optional(StorageCondition),
  status: Type.Optional(StringEnum(PRODUCT_STATUSES)),
  version: Type.Optional(Type.Integer({ minimum: 0, description: 'Increases with every change; ignore an event older than your copy.' })),
  createdAt: Type.Optional(DateTime),
  updatedAt: Type.Optional(DateTime),
};

export const ProductCreatedData = Type.Object(productFields, {
  title: 'product.created data',
  description: 'A supplier listed a product. The full product snapshot.',
});
export type ProductCreatedData = Static<typeof ProductCreatedData>;

export const ProductUpdatedData = Type.Object(
  {
    ...productFields,
    changedFields: Type.Optional(
      Type.Array(Code, { uniqueItems: true, maxItems: CONTRACT_LIMITS.changedFields, description: 'Names of the fields this change touched.' }),
    ),
  },
  {
    title: 'product.updated data',
    description: 'A product changed. The full snapshot after the change (replace your copy), plus which fields changed.',
  },
);
export type ProductUpdatedData = Static<typeof ProductUpdatedData>;

export const ProductDeletedData = Type.Object(
  {
    productId: Id,
    supplierCompanyId: Id,
    sku: Type.Optional(Sku),
    deletedBy: Type.Optional(Id),
    deletedAt: Type.Optional(DateTime),
    version: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { title: 'product.deleted data', description: 'A product was removed from the catalogue.' },
);
export type ProductDeletedData = Static<typeof ProductDeletedData>;
