/** `rfq.*` and `quote.submitted` event data (rfq produces all but `rfq.matched`, which catalog does). */
import { Type, type Static } from '@sinclair/typebox';
import {
  CalendarDate,
  Category,
  CertificationTypeList,
  CONTRACT_LIMITS,
  CountryCode,
  CurrencyCode,
  DateTime,
  Id,
  MarketCode,
  MinorUnits,
  ProductName,
  Quantity,
  Unit,
} from './common.js';

const Title = Type.String({ minLength: 1, maxLength: 300 });
const CompanyName = Type.String({ minLength: 1, maxLength: 200 });

/** One line of an RFQ: what the buyer wants, optionally with a target price. */
export const RfqItem = Type.Object(
  {
    id: Id,
    name: ProductName,
    category: Category,
    quantity: Quantity,
    unit: Unit,
    targetUnitPriceMinor: Type.Optional(MinorUnits),
    currency: Type.Optional(CurrencyCode),
    description: Type.Optional(Type.String({ maxLength: 300 })),
  },
  {
    description: 'RFQ item. A target price is integer minor units per unit and then carries its currency.',
    dependencies: { targetUnitPriceMinor: ['currency'] },
  },
);
export type RfqItem = Static<typeof RfqItem>;

/**
 * `rfq.created`: a buyer posted an RFQ. Carries everything supplier matching needs (items,
 * certifications, delivery country and market).
 */
/** The human-readable number an RFQ gets beside its id, e.g. `RFQ-2026-000123`. */
export const RfqNumber = Type.String({
  // The exact shape is RFQ-<year>-<6 or more digits>; the bound keeps it a short token.
  pattern: '^[A-Z0-9-]{1,24}$',
  description: 'Human-readable RFQ number, RFQ-<year>-<sequence>, e.g. RFQ-2026-000123.',
});

export const RfqCreatedData = Type.Object(
  {
    rfqId: Id,
    number: Type.Optional(RfqNumber),
    title: Title,
    buyerCompanyId: Id,
    buyerCompanyName: Type.Optional(CompanyName),
    buyerUserId: Type.Optional(Id),
    status: Type.Optional(Type.Literal('open')),
    items: Type.Array(RfqItem, { minItems: 1, maxItems: CONTRACT_LIMITS.rfqItems }),
    requiredCertifications: CertificationTypeList,
    deliveryCountry: CountryCode,
    market: MarketCode,
    deliveryDate: CalendarDate,
    responseDeadline: Type.Optional(DateTime),
    createdAt: Type.Optional(DateTime),
  },
  { title: 'rfq.created data', description: 'A buyer posted a request for quotation.' },
);
export type RfqCreatedData = Static<typeof RfqCreatedData>;

/** An RFQ item a supplier's catalogue covers, with the products that cover it. */
export const MatchedItem = Type.Object(
  {
    rfqItemId: Type.Optional(Id),
    name: ProductName,
    productIds: Type.Optional(Type.Array(Id, { maxItems: CONTRACT_LIMITS.productsPerMatchedItem })),
    reason: Type.Optional(
      Type.String({
        maxLength: CONTRACT_LIMITS.matchReasonLength,
        // Printable ASCII: readable in every log and console, and at most 2 JSON bytes a character,
        // which keeps the largest rfq.matched well inside the event size limit.
        pattern: '^[ -~]*$',
        description: 'Why this supplier serves the item, for people (e.g. "tomato (relevance 0.92); category fits; MOQ 100 kg <= 500 kg").',
      }),
    ),
  },
  { description: 'An RFQ item this supplier can serve.' },
);
export type MatchedItem = Static<typeof MatchedItem>;

/** One supplier found for an RFQ. */
export const SupplierMatch = Type.Object(
  {
    supplierCompanyId: Id,
    companyName: CompanyName,
    score: Type.Number({ minimum: 0, description: 'Relevance; higher is better. Only comparable within one rfq.matched.' }),
    matchedItems: Type.Array(MatchedItem, {
      maxItems: CONTRACT_LIMITS.matchedItemsSample,
      description: `The first ${CONTRACT_LIMITS.matchedItemsSample} RFQ items this supplier can serve; matchedItemCount counts them all.`,
    }),
    matchedItemCount: Type.Optional(Type.Integer({ minimum: 0, description: 'How many RFQ items this supplier can serve in all.' })),
    missingCertifications: CertificationTypeList,
    verified: Type.Boolean(),
  },
  { description: 'A supplier matched to an RFQ.' },
);
export type SupplierMatch = Static<typeof SupplierMatch>;

/**
 * `rfq.matched`: catalog's answer to `rfq.created`, best match first. Published even when no
 * supplier matched (`matches: []`), so the RFQ knows matching has run.
 */
export const RfqMatchedData = Type.Object(
  {
    rfqId: Id,
    buyerCompanyId: Id,
    title: Type.Optional(Title),
    market: Type.Optional(MarketCode),
    deliveryCountry: Type.Optional(CountryCode),
    responseDeadline: Type.Optional(DateTime),
    matches: Type.Array(SupplierMatch, { maxItems: CONTRACT_LIMITS.supplierMatches }),
    matchedAt: Type.Optional(DateTime),
  },
  { title: 'rfq.matched data', description: 'Suppliers matched to an RFQ, best first.' },
);
export type RfqMatchedData = Static<typeof RfqMatchedData>;

/** One line of an accepted quote: quantity, agreed unit price and the line total. */
export const AwardLine = Type.Object(
  {
    rfqItemId: Id,
    name: ProductName,
    category: Type.Optional(Category),
    quantity: Quantity,
    unit: Unit,
    unitPriceMinor: MinorUnits,
    lineTotalMinor: MinorUnits,
    productId: Type.Optional(Id),
  },
  { description: 'Awarded line. lineTotalMinor = round(quantity × unitPriceMinor).' },
);
export type AwardLine = Static<typeof AwardLine>;

/**
 * `rfq.awarded`: the buyer accepted one quote. Everything the order service needs to create the
 * order, and that compliance needs to check it, without calling rfq back.
 */
export const RfqAwardedData = Type.Object(
  {
    rfqId: Id,
    quoteId: Id,
    title: Type.Optional(Title),
    buyerCompanyId: Id,
    buyerUserId: Type.Optional(Id),
    supplierCompanyId: Id,
    supplierName: Type.Optional(CompanyName),
    currency: CurrencyCode,
    lines: Type.Array(AwardLine, { minItems: 1, maxItems: CONTRACT_LIMITS.rfqItems }),
    totalMinor: MinorUnits,
    deliveryCountry: CountryCode,
    market: MarketCode,
    requiredCertifications: CertificationTypeList,
    deliveryDate: CalendarDate,
    leadTimeDays: Type.Optional(Type.Integer({ minimum: 0 })),
    awardedBy: Type.Optional(Id),
    awardedAt: Type.Optional(DateTime),
    rejectedQuotes: Type.Optional(
      Type.Array(Type.Object({ quoteId: Id, supplierCompanyId: Id }), {
        maxItems: CONTRACT_LIMITS.quotesPerRfq,
        description: 'The other quotes on this RFQ, rejected by this award (to tell their suppliers).',
      }),
    ),
  },
  { title: 'rfq.awarded data', description: 'The buyer awarded the RFQ to one quote; the others are rejected.' },
);
export type RfqAwardedData = Static<typeof RfqAwardedData>;

/** `rfq.cancelled`: the RFQ will not be awarded (cancelled by the buyer or an admin, or expired). */
export const RfqCancelledData = Type.Object(
  {
    rfqId: Id,
    buyerCompanyId: Id,
    title: Type.Optional(Title),
    status: Type.Optional(Type.Union([Type.Literal('cancelled'), Type.Literal('expired')], { description: 'The RFQ status now.' })),
    reason: Type.Optional(Type.String({ maxLength: 2000 })),
    cancelledBy: Type.Optional(Id),
    cancelledAt: Type.Optional(DateTime),
    matchedSupplierCompanyIds: Type.Optional(
      Type.Array(Id, { maxItems: CONTRACT_LIMITS.suppliersPerRfq, description: 'Suppliers matched to or quoting on the RFQ, to be told.' }),
    ),
  },
  { title: 'rfq.cancelled data', description: 'An open RFQ was cancelled.' },
);
export type RfqCancelledData = Static<typeof RfqCancelledData>;

/** One line of a quote: the supplier's unit price for an RFQ item. */
export const QuoteItem = Type.Object(
  {
    rfqItemId: Id,
    unitPriceMinor: MinorUnits,
    quantity: Type.Optional(Quantity),
    lineTotalMinor: Type.Optional(MinorUnits),
    /** The supplier's catalogue product that fills this item, when the quote names one. */
    productId: Type.Optional(Id),
  },
  { description: 'Quoted unit price for one RFQ item, in minor units of the quote currency.' },
);
export type QuoteItem = Static<typeof QuoteItem>;

/** `quote.submitted`: a supplier quoted on an RFQ (the buyer is notified). */
export const QuoteSubmittedData = Type.Object(
  {
    quoteId: Id,
    rfqId: Id,
    rfqTitle: Type.Optional(Title),
    buyerCompanyId: Id,
    supplierCompanyId: Id,
    supplierName: Type.Optional(CompanyName),
    submittedBy: Type.Optional(Id),
    currency: CurrencyCode,
    items: Type.Array(QuoteItem, { minItems: 1, maxItems: CONTRACT_LIMITS.rfqItems }),
    totalMinor: MinorUnits,
    leadTimeDays: Type.Integer({ minimum: 0 }),
    validUntil: CalendarDate,
    status: Type.Optional(Type.Literal('submitted')),
    submittedAt: Type.Optional(DateTime),
  },
  { title: 'quote.submitted data', description: 'A supplier submitted a quote on an RFQ.' },
);
export type QuoteSubmittedData = Static<typeof QuoteSubmittedData>;
