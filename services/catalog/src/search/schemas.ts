import { Type, type Static } from '@sinclair/typebox';
import { MetadataSchema, PaginationSchema } from '@foodxchange/service-kit';
import { StringEnum } from '@foodxchange/contracts';
import { CATEGORY_TREE } from '../categories/taxonomy.js';
import { AllergenSchema, CertificationClaimSchema, CurrencySchema, LanguageSchema, OriginCountrySchema, StorageSchema } from '../products/schemas.js';

/** Offset paging reaches this many hits at most (Elasticsearch's result window); deeper: `cursor`. */
export const MAX_OFFSET_WINDOW = 10_000;
export const SEARCH_SORTS = ['relevance', 'price_asc', 'price_desc', 'newest'] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];

const CATEGORY_SLUGS = CATEGORY_TREE.flatMap((group) => [group.slug, ...group.children.map((leaf) => leaf.slug)]);

/** Repeatable parameters (`?certification=HACCP&certification=IFS`), bounded. */
const Repeated = <T extends Parameters<typeof Type.Array>[0]>(item: T, maxItems: number, description: string) =>
  Type.Array(item, { minItems: 1, maxItems, uniqueItems: true, description });

export const SearchQuerySchema = Type.Object(
  {
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: '^[^\\x00-\\x1F\\x7F]*$',
        description: 'Full text over names and descriptions in every language (stemming, accent folding, food synonyms, typo tolerance)',
      }),
    ),
    lang: Type.Optional(LanguageSchema),
    category: Type.Optional(StringEnum(CATEGORY_SLUGS as [string, ...string[]], { description: 'A group (vegetables) or a leaf (vegetables.tomatoes) of GET /categories' })),
    certification: Type.Optional(Repeated(CertificationClaimSchema, 10, 'Claimed by the product and held by its supplier with a certificate valid today; all of them')),
    origin: Type.Optional(Repeated(OriginCountrySchema, 50, 'Country of origin; any of them')),
    allergenFree: Type.Optional(Repeated(AllergenSchema, 14, 'Allergen codes the product must not contain')),
    minPrice: Type.Optional(Type.Number({ minimum: 0, maximum: 1e9, description: 'Lowest "from" unit price, decimal, in `currency` (required with it)' })),
    maxPrice: Type.Optional(Type.Number({ minimum: 0, maximum: 1e9, description: 'Highest "from" unit price, decimal, in `currency`' })),
    currency: Type.Optional(CurrencySchema),
    quantity: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1e9, description: 'The quantity wanted: products whose MOQ is at most this' })),
    storage: Type.Optional(StorageSchema),
    verifiedOnly: Type.Optional(Type.Boolean({ default: false, description: 'Only products of verified suppliers' })),
    sort: Type.Optional(StringEnum(SEARCH_SORTS, { default: 'relevance', description: 'relevance (newest first without q), price_asc, price_desc (by the "from" price), newest' })),
    page: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_OFFSET_WINDOW, default: 1 })),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1024, pattern: '^[A-Za-z0-9_-]+$', description: "pagination.nextCursor of the previous page (deep paging; page must be 1 then)" }),
    ),
  },
  { additionalProperties: false },
);
export type SearchQuery = Static<typeof SearchQuerySchema>;

const FacetBucket = Type.Object({ value: Type.String(), count: Type.Integer({ minimum: 0 }) });

export const SearchFacetsSchema = Type.Object(
  {
    category: Type.Array(FacetBucket, { description: 'Groups and leaves (categoryPath)' }),
    origin: Type.Array(FacetBucket),
    certification: Type.Array(FacetBucket, { description: 'Claimed and held with a certificate valid today' }),
    storage: Type.Array(FacetBucket),
  },
  { description: 'Counts over the whole result (all filters applied), largest first' },
);

export const SearchHitSchema = Type.Object(
  {
    id: Type.String(),
    supplierCompanyId: Type.String(),
    supplierName: Type.Optional(Type.String()),
    supplierVerified: Type.Boolean(),
    sku: Type.String(),
    name: Type.String(),
    description: Type.Optional(Type.String()),
    language: Type.String(),
    translations: Type.Optional(Type.Record(Type.String(), Type.Object({ name: Type.Optional(Type.String()), description: Type.Optional(Type.String()) }))),
    category: Type.String(),
    originCountry: Type.String(),
    unit: Type.String(),
    moq: Type.Number(),
    currency: Type.String(),
    priceFrom: Type.Number({ description: 'Lowest unit price of any tier, decimal' }),
    priceFromMinor: Type.Integer(),
    priceTiers: Type.Array(
      Type.Object({ minQuantity: Type.Number(), unitPrice: Type.Number(), unitPriceMinor: Type.Integer(), currency: Type.String() }),
    ),
    certifications: Type.Array(Type.String()),
    allergens: Type.Array(Type.String()),
    storage: Type.Optional(Type.String()),
    version: Type.Integer(),
    createdAt: Type.Optional(Type.String()),
    updatedAt: Type.Optional(Type.String()),
    score: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  },
  { title: 'ProductSearchHit' },
);
export type SearchHit = Static<typeof SearchHitSchema>;

/**
 * The `paged` envelope plus the facet counts beside `pagination` (the kit rewrites `metadata`
 * on every response, and `data` stays the list as in every paged answer).
 */
export const SearchEnvelope = Type.Object({
  success: Type.Literal(true),
  data: Type.Array(SearchHitSchema),
  metadata: MetadataSchema,
  pagination: Type.Composite([
    PaginationSchema,
    Type.Object({
      nextCursor: Type.Optional(Type.String({ description: 'Pass as `cursor` for the page after this one (absent on the last page)' })),
    }),
  ]),
  facets: SearchFacetsSchema,
});
export type SearchResponse = Static<typeof SearchEnvelope>;
