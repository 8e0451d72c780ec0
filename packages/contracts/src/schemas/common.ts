/**
 * Shared building blocks of the event data schemas. Services reuse them for their own HTTP
 * schemas and models, so a country, an amount of money or a certification means the same thing
 * on every boundary.
 *
 * Every export is both a TypeBox schema (a value) and its static type (a type) of the same name.
 */
import { Type, type Static, type TSchema, type TUnsafe, type StringOptions } from '@sinclair/typebox';

/**
 * A closed set of strings as a plain JSON Schema `enum` (partners see `{ "type": "string",
 * "enum": [...] }`, not an `anyOf` of constants) with the union of the literals as its type.
 */
export function StringEnum<const T extends readonly string[]>(values: T, options: StringOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });
}

/**
 * The characters of ids and machine-readable codes: ASCII letters, digits and `. _ : -`, starting
 * with a letter or digit. They are safe in a URL path segment (no `/`, never `.` or `..`), need no
 * escaping in JSON (one byte each, which keeps the size bound of events honest) and cannot carry
 * control characters into logs or databases.
 */
export const TOKEN_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]*$';

/**
 * Business limits of the event data, chosen so the largest valid event of every topic stays
 * within MAX_EVENT_BYTES (a test measures it) and at or above what the platform's HTTP APIs
 * accept, so no producer has to cut data to publish. Services reuse them in request schemas.
 */
export const CONTRACT_LIMITS = {
  /** Lines of an RFQ (and so of its quotes, award and order). */
  rfqItems: 100,
  /** Lines of an order (an order from an award has the RFQ's lines). */
  orderLines: 100,
  /** Certificates a company holds (compliance's validate API accepts 100 proposed ones). */
  certificates: 100,
  /** Volume price tiers of a product. */
  priceTiers: 20,
  /** Suppliers an rfq.matched names, best first. */
  supplierMatches: 20,
  /** RFQ items listed per matched supplier (the first ones; matchedItemCount counts them all). */
  matchedItemsSample: 10,
  /** Catalogue products named per matched RFQ item. */
  productsPerMatchedItem: 3,
  /** Characters of the readable reason a matched RFQ item carries. */
  matchReasonLength: 160,
  /** Quotes on one RFQ (rfq.awarded names the rejected ones). */
  quotesPerRfq: 100,
  /** Suppliers rfq.cancelled tells. */
  suppliersPerRfq: 100,
  /** Fields a product.updated names as changed. */
  changedFields: 32,
} as const;

/** Identifiers are opaque strings (Mongo ObjectIds, UUIDs, …): never parse them. */
export const Id = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: TOKEN_PATTERN,
  description: 'Opaque identifier: ASCII letters, digits and . _ : - (starting with a letter or digit).',
});
export type Id = Static<typeof Id>;

/** A human-readable text field that must not be empty. */
export const NonEmptyString = Type.String({ minLength: 1, maxLength: 2000 });
export type NonEmptyString = Static<typeof NonEmptyString>;

/** An instant: ISO 8601 / RFC 3339 date-time with a time zone, e.g. `2025-03-01T09:30:00.000Z`. */
export const DateTime = Type.String({
  format: 'date-time',
  // RFC 3339 allows any number of fraction digits: 35 leaves room for nanoseconds and an offset
  maxLength: 35,
  description: 'ISO 8601 date-time with time zone.',
});
export type DateTime = Static<typeof DateTime>;

/**
 * A calendar date such as a delivery date or a certificate's validity bound: either an ISO 8601
 * date (`2025-06-30`, meaning that whole day in UTC) or a full date-time.
 */
export const CalendarDate = Type.Union(
  [Type.String({ format: 'date', maxLength: 10 }), DateTime],
  { description: 'ISO 8601 date (YYYY-MM-DD) or date-time with time zone.' },
);
export type CalendarDate = Static<typeof CalendarDate>;

/** ISO 3166-1 alpha-2 country code, upper case. */
export const CountryCode = Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2 country code.' });
export type CountryCode = Static<typeof CountryCode>;

/** ISO 4217 alphabetic currency code, upper case. */
export const CurrencyCode = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 currency code.' });
export type CurrencyCode = Static<typeof CurrencyCode>;

/**
 * A market whose compliance rules apply: a bloc (`EU`, `UK`, `US`), the baseline `INTL`, or a
 * country code for a country-specific rule set. The compliance service owns the mapping from a
 * delivery country to its market.
 */
export const MarketCode = Type.String({
  pattern: '^[A-Z]{2,8}$',
  description: 'Compliance market: EU, UK, US, INTL or a country code.',
});
export type MarketCode = Static<typeof MarketCode>;
export const KNOWN_MARKETS = ['EU', 'UK', 'US', 'INTL'] as const;

/**
 * An amount of money in integer minor units of its currency (cents for EUR/USD, yen for JPY,
 * fils for KWD). Never a float: totals are sums of integers.
 */
export const MinorUnits = Type.Integer({
  minimum: 0,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'Amount in integer minor units of the currency (e.g. cents).',
});
export type MinorUnits = Static<typeof MinorUnits>;

/** An amount with its currency. */
export const Money = Type.Object(
  { amountMinor: MinorUnits, currency: CurrencyCode },
  { description: 'Money: integer minor units plus ISO 4217 currency.' },
);
export type Money = Static<typeof Money>;

/** A quantity of goods in the line's `unit`; fractional quantities (2.5 t) are allowed. */
export const Quantity = Type.Number({ exclusiveMinimum: 0, description: 'Quantity in the given unit (> 0).' });
export type Quantity = Static<typeof Quantity>;

/** A unit of measure (`kg`, `t`, `l`, `case`, `pallet`, …) as the catalogue names it. */
export const Unit = Type.String({ minLength: 1, maxLength: 32, description: 'Unit of measure, e.g. kg, t, l, case.' });
export type Unit = Static<typeof Unit>;

/** A product category (catalogue slug or name). */
export const Category = Type.String({ minLength: 1, maxLength: 64, description: 'Product category.' });
export type Category = Static<typeof Category>;

/**
 * An allergen code. The EU's 14 regulated allergens are listed in `EU_ALLERGENS`; other codes are
 * allowed so markets with longer lists can be served. Codes are printable ASCII without `"` and
 * `\` (spaces and case are tolerated: compliance compares them trimmed and lower-cased), so each
 * character is one byte in JSON.
 */
export const AllergenCode = Type.String({
  minLength: 1,
  // real codes are short (crustaceans, sulphites); every byte counts in lists per order line
  maxLength: 32,
  pattern: '^[\\x20\\x21\\x23-\\x5B\\x5D-\\x7E]+$',
  description: 'Allergen code, e.g. milk, gluten (printable ASCII).',
});
/**
 * Allergens one product or order line contains (or declares). A product contains a few; 24 is
 * more than the EU's 14 and the US's 9 together.
 */
export const MAX_ALLERGENS = 24;
/** A product's or line's allergens, without repeats. */
export function AllergenList(description: string) {
  return Type.Array(AllergenCode, { uniqueItems: true, maxItems: MAX_ALLERGENS, description });
}
export type AllergenCode = Static<typeof AllergenCode>;
export const EU_ALLERGENS = [
  'gluten',
  'crustaceans',
  'eggs',
  'fish',
  'peanuts',
  'soybeans',
  'milk',
  'nuts',
  'celery',
  'mustard',
  'sesame',
  'sulphites',
  'lupin',
  'molluscs',
] as const;

/** Storage condition of a product (`ambient`, `chilled`, `frozen`, … see `STORAGE_CONDITIONS`). */
export const StorageCondition = Type.String({ minLength: 1, maxLength: 200, description: 'Storage condition, e.g. ambient, chilled, frozen.' });
export type StorageCondition = Static<typeof StorageCondition>;
export const STORAGE_CONDITIONS = ['ambient', 'chilled', 'frozen', 'dry', 'controlled_atmosphere'] as const;

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
] as const;
export const CertificationType = StringEnum(CERTIFICATION_TYPES, { description: 'Food-safety or market certification type.' });
export type CertificationType = Static<typeof CertificationType>;

/** A list of certification types without repeats (e.g. an RFQ's required certifications). */
export const CertificationTypeList = Type.Array(CertificationType, { uniqueItems: true, maxItems: CERTIFICATION_TYPES.length });
export type CertificationTypeList = Static<typeof CertificationTypeList>;

/** A certificate a company holds. */
export const Certification = Type.Object(
  {
    id: Type.Optional(Id),
    type: CertificationType,
    number: Type.String({ minLength: 1, maxLength: 200, description: 'Certificate number as issued.' }),
    issuedBy: Type.String({ minLength: 1, maxLength: 200, description: 'Certification body.' }),
    validFrom: CalendarDate,
    validUntil: CalendarDate,
  },
  { description: 'A certificate held by a company.' },
);
export type Certification = Static<typeof Certification>;

export const ROLES = ['buyer', 'supplier', 'admin', 'super_admin'] as const;
export const RoleSchema = StringEnum(ROLES, { description: 'User role.' });
export type Role = Static<typeof RoleSchema>;

/** What a company does on the platform: set from the registering user's role, widened later. */
export const COMPANY_TYPES = ['buyer', 'supplier', 'both'] as const;
export const CompanyType = StringEnum(COMPANY_TYPES, { description: 'Company type.' });
export type CompanyType = Static<typeof CompanyType>;

export const RFQ_STATUSES = ['open', 'awarded', 'cancelled', 'expired'] as const;
export const RfqStatus = StringEnum(RFQ_STATUSES, { description: 'RFQ status.' });
export type RfqStatus = Static<typeof RfqStatus>;

export const QUOTE_STATUSES = ['submitted', 'accepted', 'rejected', 'withdrawn'] as const;
export const QuoteStatus = StringEnum(QUOTE_STATUSES, { description: 'Quote status.' });
export type QuoteStatus = Static<typeof QuoteStatus>;

export const ORDER_STATUSES = ['pending_compliance', 'confirmed', 'shipped', 'delivered', 'rejected', 'cancelled'] as const;
export const OrderStatus = StringEnum(ORDER_STATUSES, { description: 'Order status.' });
export type OrderStatus = Static<typeof OrderStatus>;

/** The legal order transitions of DESIGN.md (anything else answers 409). */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending_compliance: ['confirmed', 'rejected', 'cancelled'],
  confirmed: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  rejected: [],
  cancelled: [],
};

export function isLegalOrderTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}

/** A machine-readable code or name (rule, finding code, certification type): see TOKEN_PATTERN. */
const codeOptions = { minLength: 1, maxLength: 64, pattern: TOKEN_PATTERN } as const;
export const Code = Type.String(codeOptions);

/** A product's name as the catalogue, RFQs and orders carry it. */
export const ProductName = Type.String({ minLength: 1, maxLength: 200 });

/** A supplier's stock-keeping unit code. */
export const Sku = Type.String({ minLength: 1, maxLength: 64 });

/** How many findings of each kind a compliance event carries in full (the rest are counted). */
export const MAX_FINDINGS_SAMPLE = 50;
/** Unlabelled allergens grouped into one finding (a product with more gives more findings). */
export const MAX_FINDING_ALLERGENS = 32;

/**
 * One finding of a compliance check. `rule` names the rule-set rule; more detail may follow. Its
 * `message` is for people and at most 200 characters: the machine-readable fields carry the data.
 */
export const ComplianceViolation = Type.Object(
  {
    rule: Type.String({ ...codeOptions, description: 'The rule that failed, e.g. requiredCertifications.' }),
    message: Type.String({ minLength: 1, maxLength: 200, description: 'Human-readable explanation (at most 200 characters).' }),
    code: Type.Optional(Type.String({ ...codeOptions, description: 'Machine-readable code, e.g. CERTIFICATION_MISSING.' })),
    certification: Type.Optional(
      Type.String({ ...codeOptions, maxLength: 32, description: 'The certification type concerned, e.g. ISO22000.' }),
    ),
    certifications: Type.Optional(
      Type.Array(Type.String({ ...codeOptions, maxLength: 32 }), {
        uniqueItems: true,
        maxItems: CERTIFICATION_TYPES.length,
        description: 'Certification types concerned, e.g. the alternatives of which none is held.',
      }),
    ),
    productId: Type.Optional(Id),
    product: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'SKU or name of the product concerned.' })),
    itemIndex: Type.Optional(Type.Integer({ minimum: 0, description: 'Index of the order item concerned.' })),
    allergen: Type.Optional(AllergenCode),
    allergens: Type.Optional(
      Type.Array(AllergenCode, {
        uniqueItems: true,
        maxItems: MAX_FINDING_ALLERGENS,
        description: 'The allergens concerned, when one finding groups several of one product.',
      }),
    ),
  },
  { description: 'A compliance finding.' },
);
export type ComplianceViolation = Static<typeof ComplianceViolation>;

/** Convenience: the static type of any TypeBox schema. */
export type StaticOf<S extends TSchema> = Static<S>;

/** Aliases with a `Schema` suffix, for code that keeps types and schemas apart by name. */
export {
  Id as IdSchema,
  DateTime as DateTimeSchema,
  CalendarDate as CalendarDateSchema,
  CountryCode as CountryCodeSchema,
  CurrencyCode as CurrencyCodeSchema,
  MarketCode as MarketCodeSchema,
  MinorUnits as MinorUnitsSchema,
  Money as MoneySchema,
  Quantity as QuantitySchema,
  Unit as UnitSchema,
  AllergenCode as AllergenCodeSchema,
  CertificationType as CertificationTypeSchema,
  Certification as CertificationSchema,
  CompanyType as CompanyTypeSchema,
  RfqStatus as RfqStatusSchema,
  QuoteStatus as QuoteStatusSchema,
  OrderStatus as OrderStatusSchema,
  ComplianceViolation as ComplianceViolationSchema,
};
