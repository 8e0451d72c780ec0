import { Type, type Static } from '@sinclair/typebox';
import { CalendarDateSchema, CONTRACT_LIMITS, CurrencyCodeSchema, IdSchema, QuoteStatusSchema } from '@foodxchange/contracts';
import { Envelope } from '@foodxchange/service-kit';

export const QuoteItemInputSchema = Type.Object(
  {
    rfqItemId: IdSchema,
    unitPriceMinor: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Price per unit in integer minor units of the quote currency' })),
    unitPrice: Type.Optional(Type.Number({ minimum: 0, description: 'Price per unit as a decimal (give this or unitPriceMinor)' })),
    productId: Type.Optional(IdSchema),
  },
  { additionalProperties: false },
);

export const QuoteInputSchema = Type.Object(
  {
    items: Type.Array(QuoteItemInputSchema, {
      minItems: 1,
      maxItems: CONTRACT_LIMITS.rfqItems,
      description: 'One price per RFQ item quoted; items left out are not offered (a partial quote)',
    }),
    currency: CurrencyCodeSchema,
    leadTimeDays: Type.Integer({ minimum: 0, maximum: 3650 }),
    validUntil: CalendarDateSchema,
    notes: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type QuoteInput = Static<typeof QuoteInputSchema>;

export const QuoteParamsSchema = Type.Object({ id: IdSchema, quoteId: IdSchema }, { additionalProperties: false });

const QuoteLineViewSchema = Type.Object({
  rfqItemId: Type.String(),
  name: Type.String(),
  quantity: Type.Number(),
  unit: Type.String(),
  unitPriceMinor: Type.Integer(),
  unitPrice: Type.Number({ description: 'unitPriceMinor as a decimal, for display' }),
  lineTotalMinor: Type.Integer({ description: 'round(quantity × unitPriceMinor), computed here' }),
  productId: Type.Optional(Type.String()),
});

const SupplierMatchSummarySchema = Type.Object(
  {
    companyName: Type.String(),
    score: Type.Number(),
    verified: Type.Boolean(),
    missingCertifications: Type.Array(Type.String()),
    heldRequiredCertifications: Type.Array(Type.String(), { description: "The RFQ's required certifications the matcher found held" }),
  },
  { description: "The supplier's match on this RFQ, as catalog's matcher reported it" },
);

export const QuoteViewSchema = Type.Object({
  id: Type.String(),
  rfqId: Type.String(),
  supplierCompanyId: Type.String(),
  status: QuoteStatusSchema,
  currency: Type.String(),
  items: Type.Array(QuoteLineViewSchema),
  totalMinor: Type.Integer({ description: 'Sum of the line totals, integer minor units' }),
  total: Type.Number({ description: 'totalMinor as a decimal, for display' }),
  complete: Type.Boolean({ description: 'Prices every item of the RFQ' }),
  leadTimeDays: Type.Integer(),
  validUntil: Type.String(),
  notes: Type.Optional(Type.String()),
  revision: Type.Integer({ description: '1 for the first submission, plus one per revision' }),
  submittedAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  withdrawnAt: Type.Optional(Type.String({ format: 'date-time' })),
  match: Type.Optional(SupplierMatchSummarySchema),
});
export type QuoteView = Static<typeof QuoteViewSchema>;

const LowestItemPriceSchema = Type.Object({
  rfqItemId: Type.String(),
  name: Type.String(),
  quoteId: Type.String(),
  supplierCompanyId: Type.String(),
  unitPriceMinor: Type.Integer(),
  lineTotalMinor: Type.Integer(),
  quoteCount: Type.Integer({ description: 'Live quotes in this currency pricing the item' }),
});

export const ComparisonSchema = Type.Object(
  {
    currency: Type.String(),
    quoteCount: Type.Integer({ description: 'Live (submitted or accepted) quotes in this currency' }),
    lowestPerItem: Type.Array(LowestItemPriceSchema, { description: 'For each RFQ item priced in this currency, the lowest unit price (ties: the earlier quote)' }),
    cheapestCompleteQuote: Type.Union([
      Type.Object({ quoteId: Type.String(), supplierCompanyId: Type.String(), totalMinor: Type.Integer() }),
      Type.Null(),
    ]),
  },
  { description: 'Prices compare within one currency only' },
);
export type Comparison = Static<typeof ComparisonSchema>;

export const QuoteListSchema = Type.Object({
  quotes: Type.Array(QuoteViewSchema),
  comparison: Type.Optional(Type.Array(ComparisonSchema, { description: 'Buyers and admins only: one entry per currency quoted' })),
});
export type QuoteList = Static<typeof QuoteListSchema>;

export const QuoteEnvelope = Envelope(QuoteViewSchema);
export const QuoteListEnvelope = Envelope(QuoteListSchema);
