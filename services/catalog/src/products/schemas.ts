import { Type, type Static, type TOptional } from '@sinclair/typebox';
import { CERTIFICATION_TYPES, EU_ALLERGENS, IdSchema, StringEnum } from '@foodxchange/contracts';
import { Envelope, PagedEnvelope, PageQuerySchema } from '@foodxchange/service-kit';
import { CATEGORY_LEAF_SLUGS } from '../categories/taxonomy.js';
import { ISO_COUNTRIES, KNOWN_CURRENCIES, PRODUCT_LANGUAGES, PRODUCT_STORAGE } from './reference-data.js';

export { PRODUCT_LANGUAGES } from './reference-data.js';

/** Bounds of a product's fields (the contract's event bounds are the same or wider). */
export const PRODUCT_LIMITS = {
  sku: 64,
  name: 200,
  description: 2000,
  unit: 32,
  priceTiers: 20,
  /** Upper bound of quantities and prices: far above any real order, below float trouble. */
  quantity: 1e9,
  unitPrice: 1e9,
} as const;

/** One line of text: not blank, no control characters (NUL included, which the database refuses). */
function SingleLine(maxLength: number, description: string) {
  return Type.String({ minLength: 1, maxLength, pattern: '^(?!\\s*$)[^\\x00-\\x1F\\x7F]+$', description });
}
/** Free text: line breaks and tabs allowed, no other control characters. */
function MultiLine(maxLength: number, description: string) {
  return Type.String({ maxLength, pattern: '^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]*$', description });
}

const NameSchema = SingleLine(PRODUCT_LIMITS.name, 'Product name, in `language`');
const DescriptionSchema = MultiLine(PRODUCT_LIMITS.description, 'Description, in `language`');
export const LanguageSchema = StringEnum(PRODUCT_LANGUAGES, { description: 'An official EU language (ISO 639-1)' });
export const CategorySlugSchema = StringEnum(CATEGORY_LEAF_SLUGS as [string, ...string[]], {
  description: 'A leaf of GET /categories, e.g. vegetables.tomatoes',
});
export const OriginCountrySchema = StringEnum(ISO_COUNTRIES, { description: 'Country of origin, ISO 3166-1 alpha-2 (upper case)' });
export const CurrencySchema = StringEnum(KNOWN_CURRENCIES as [string, ...string[]], { description: 'ISO 4217 currency code' });
export const StorageSchema = StringEnum(PRODUCT_STORAGE, { description: 'How the product is kept' });
export const CertificationClaimSchema = StringEnum(CERTIFICATION_TYPES);
export const AllergenSchema = StringEnum(EU_ALLERGENS, { description: 'One of the 14 allergens EU law requires to be declared' });

const TranslationSchema = Type.Object(
  {
    name: Type.Optional(SingleLine(PRODUCT_LIMITS.name, 'Name in this language')),
    description: Type.Optional(MultiLine(PRODUCT_LIMITS.description, 'Description in this language')),
  },
  { additionalProperties: false, minProperties: 1 },
);
export const TranslationsSchema = Type.Object(
  Object.fromEntries(PRODUCT_LANGUAGES.map((language) => [language, Type.Optional(TranslationSchema)])) as Record<
    (typeof PRODUCT_LANGUAGES)[number],
    TOptional<typeof TranslationSchema>
  >,
  { additionalProperties: false, description: 'Name and description in other EU languages: `{ de: { name, description }, fr: … }`' },
);

export const PriceTierInputSchema = Type.Object(
  {
    minQuantity: Type.Number({ exclusiveMinimum: 0, maximum: PRODUCT_LIMITS.quantity, description: 'From this quantity (in unit) on' }),
    unitPrice: Type.Number({ minimum: 0, maximum: PRODUCT_LIMITS.unitPrice, description: 'Decimal price per unit, e.g. 8.45 (at most the currency\'s minor digits)' }),
    currency: CurrencySchema,
  },
  { additionalProperties: false },
);

const productFields = {
  sku: SingleLine(PRODUCT_LIMITS.sku, "The supplier's stock-keeping unit, unique among its live products"),
  name: NameSchema,
  description: Type.Optional(DescriptionSchema),
  language: Type.Optional(StringEnum(PRODUCT_LANGUAGES, { default: 'en', description: 'Language of name and description (default en)' })),
  translations: Type.Optional(TranslationsSchema),
  category: CategorySlugSchema,
  originCountry: OriginCountrySchema,
  unit: SingleLine(PRODUCT_LIMITS.unit, 'Unit of measure, e.g. kg, t, l, case'),
  moq: Type.Number({ exclusiveMinimum: 0, maximum: PRODUCT_LIMITS.quantity, description: 'Minimum order quantity, in unit (> 0)' }),
  priceTiers: Type.Array(PriceTierInputSchema, {
    minItems: 1,
    maxItems: PRODUCT_LIMITS.priceTiers,
    description: 'Volume prices: strictly ascending minQuantity, the first at or below moq, one currency for all',
  }),
  certifications: Type.Array(CertificationClaimSchema, {
    uniqueItems: true,
    maxItems: CERTIFICATION_TYPES.length,
    default: [],
    description: 'Certifications claimed: the company must hold each with a certificate valid today',
  }),
  allergens: Type.Array(AllergenSchema, { uniqueItems: true, maxItems: EU_ALLERGENS.length, default: [], description: 'Allergens the product contains' }),
  storage: StorageSchema,
};

/** Body of POST /products and one row of an import (validate each row against it first). */
export const ProductInputSchema = Type.Object(productFields, { additionalProperties: false, title: 'ProductInput' });
/** A validated product input: defaults (language, certifications, allergens) applied. */
export type ProductInput = Static<typeof ProductInputSchema>;

/** Body of PATCH /products/:id: any of the fields (no defaults: absent means unchanged); null clears description/translations. */
export const ProductPatchSchema = Type.Object(
  {
    sku: Type.Optional(productFields.sku),
    name: Type.Optional(NameSchema),
    description: Type.Optional(Type.Union([DescriptionSchema, Type.Null()], { description: 'null removes it' })),
    language: Type.Optional(LanguageSchema),
    translations: Type.Optional(Type.Union([TranslationsSchema, Type.Null()], { description: 'Replaces every translation; null removes them' })),
    category: Type.Optional(CategorySlugSchema),
    originCountry: Type.Optional(OriginCountrySchema),
    unit: Type.Optional(productFields.unit),
    moq: Type.Optional(productFields.moq),
    priceTiers: Type.Optional(productFields.priceTiers),
    certifications: Type.Optional(Type.Array(CertificationClaimSchema, { uniqueItems: true, maxItems: CERTIFICATION_TYPES.length })),
    allergens: Type.Optional(Type.Array(AllergenSchema, { uniqueItems: true, maxItems: EU_ALLERGENS.length })),
    storage: Type.Optional(StorageSchema),
  },
  { additionalProperties: false, minProperties: 1, title: 'ProductPatch', description: 'The fields to change (at least one); the others stay as they are' },
);
export type ProductPatch = Static<typeof ProductPatchSchema>;

export const ProductParamsSchema = Type.Object({ id: IdSchema }, { additionalProperties: false });

const Translated = Type.Object({ name: Type.Optional(Type.String()), description: Type.Optional(Type.String()) });

/** A product as the API shows it: prices both as decimals and in integer minor units. */
export const ProductSchema = Type.Object(
  {
    id: Type.String(),
    supplierCompanyId: Type.String(),
    sku: Type.String(),
    name: Type.String(),
    description: Type.Optional(Type.String()),
    language: Type.String(),
    translations: Type.Optional(Type.Record(Type.String(), Translated)),
    category: Type.String(),
    originCountry: Type.String(),
    unit: Type.String(),
    moq: Type.Number(),
    currency: Type.String(),
    priceTiers: Type.Array(
      Type.Object({
        minQuantity: Type.Number(),
        unitPrice: Type.Number({ description: 'Decimal, for display' }),
        unitPriceMinor: Type.Integer({ description: 'Integer minor units of currency: compute with this' }),
        currency: Type.String(),
      }),
    ),
    certifications: Type.Array(Type.String()),
    allergens: Type.Array(Type.String()),
    storage: Type.String(),
    status: Type.Literal('active'),
    version: Type.Integer({ minimum: 1, description: 'Incremented by every change (also the ETag)' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { title: 'Product' },
);
export type ProductView = Static<typeof ProductSchema>;

export const ProductEnvelope = Envelope(ProductSchema);
export const DeletedEnvelope = Envelope(Type.Object({ id: Type.String(), deleted: Type.Literal(true) }));


/** Longest `q` of GET /products/mine (a name or sku fragment). */
export const OWN_PRODUCTS_QUERY_MAX = 100;

/** Query of GET /products/mine: the shared page/limit, and an optional name/sku fragment. */
export const OwnProductsQuerySchema = Type.Object(
  {
    page: Type.Integer({ ...PageQuerySchema.properties.page, description: 'Page number, from 1 (default 1)' }),
    limit: Type.Integer({ ...PageQuerySchema.properties.limit, description: 'Products per page, 1 to 100 (default 20)' }),
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: OWN_PRODUCTS_QUERY_MAX,
        description: 'Only products whose name or sku contains this text (case-insensitive, taken literally)',
      }),
    ),
  },
  { additionalProperties: false, title: 'OwnProductsQuery' },
);
export type OwnProductsQuery = Static<typeof OwnProductsQuerySchema>;

export const OwnProductListEnvelope = PagedEnvelope(ProductSchema);
