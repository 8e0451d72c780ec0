import { Type, type Static } from '@sinclair/typebox';
import {
  CalendarDateSchema,
  CertificationTypeSchema,
  CERTIFICATION_TYPES,
  CONTRACT_LIMITS,
  IdSchema,
  StringEnum,
} from '@foodxchange/contracts';
import { Envelope } from '@foodxchange/service-kit';
import { CATEGORY_TREE } from '../categories/taxonomy.js';
import { ISO_COUNTRIES, KNOWN_CURRENCIES } from '../products/reference-data.js';

/** A category of GET /categories: a leaf (`vegetables.tomatoes`) or a whole group (`vegetables`). */
const CATEGORY_SLUGS = CATEGORY_TREE.flatMap((group) => [group.slug, ...group.children.map((leaf) => leaf.slug)]);

/** Decimal amounts and quantities are bounded so minor units stay safe integers. */
const MAX_AMOUNT = 1e12;

const MatchItemInputSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'What the buyer wants, as text ("cherry tomatoes")' }),
    category: StringEnum(CATEGORY_SLUGS as [string, ...string[]], { description: 'A category slug of GET /categories (leaf or group)' }),
    quantity: Type.Number({ exclusiveMinimum: 0, maximum: MAX_AMOUNT, description: 'How much, in `unit`' }),
    unit: Type.String({ minLength: 1, maxLength: 32, pattern: '\\S', description: 'kg, t, l, case, …' }),
    targetUnitPrice: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: MAX_AMOUNT, description: 'Target price per `unit`, a decimal in `currency` (needs `currency`)' }),
    ),
    currency: Type.Optional(StringEnum(KNOWN_CURRENCIES as [string, ...string[]], { description: 'ISO 4217 currency of the target price' })),
  },
  { additionalProperties: false, dependencies: { targetUnitPrice: ['currency'] } },
);

export const MatchBodySchema = Type.Object(
  {
    items: Type.Array(MatchItemInputSchema, { minItems: 1, maxItems: CONTRACT_LIMITS.rfqItems }),
    requiredCertifications: Type.Array(CertificationTypeSchema, {
      uniqueItems: true,
      maxItems: CERTIFICATION_TYPES.length,
      default: [],
      description: 'Certification types the supplier must hold, valid on the delivery date',
    }),
    deliveryCountry: StringEnum(ISO_COUNTRIES, { description: 'Where the goods go (ISO 3166-1 alpha-2): its market is what suppliers must serve' }),
    // Certificates must be valid on this day (default: today).
    deliveryDate: Type.Optional(CalendarDateSchema),
  },
  { additionalProperties: false },
);
export type MatchBody = Static<typeof MatchBodySchema>;

const MatchedItemSchema = Type.Object({
  itemIndex: Type.Integer({ minimum: 0, description: 'Position of the item in the request' }),
  rfqItemId: Type.Optional(IdSchema),
  name: Type.String(),
  productIds: Type.Array(Type.String(), { description: 'The supplier products that serve the item, best first (at most 3)' }),
  reason: Type.String({ description: 'Why, for people: text relevance, category, MOQ and price against the target' }),
});

export const SupplierMatchSchema = Type.Object({
  supplierCompanyId: Type.String(),
  companyName: Type.String(),
  score: Type.Number({ description: '0..100, higher is better (formula: catalog README, "Supplier matching")' }),
  matchedItems: Type.Array(MatchedItemSchema, { description: `The first ${CONTRACT_LIMITS.matchedItemsSample} items the supplier serves` }),
  matchedItemCount: Type.Integer({ minimum: 0, description: 'How many of the items the supplier serves in all' }),
  missingCertifications: Type.Array(Type.String(), { description: 'Required certification types without a certificate valid on the delivery date' }),
  verified: Type.Boolean(),
});

export const MatchEnvelope = Envelope(Type.Array(SupplierMatchSchema, { maxItems: CONTRACT_LIMITS.supplierMatches }));
