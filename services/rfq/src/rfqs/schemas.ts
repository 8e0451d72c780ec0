import { Type, type Static } from '@sinclair/typebox';
import {
  CalendarDateSchema,
  Category,
  CertificationTypeSchema,
  CONTRACT_LIMITS,
  CountryCodeSchema,
  CurrencyCodeSchema,
  IdSchema,
  ProductName,
  QuantitySchema,
  RfqStatusSchema,
  UnitSchema,
} from '@foodxchange/contracts';
import { Envelope, PagedEnvelope, PageQuerySchema } from '@foodxchange/service-kit';

const Title = Type.String({ minLength: 1, maxLength: 300 });

export const RfqItemInputSchema = Type.Object(
  {
    name: ProductName,
    category: Category,
    quantity: QuantitySchema,
    unit: UnitSchema,
    targetUnitPrice: Type.Optional(Type.Number({ minimum: 0, description: 'Target price per unit as a decimal (12.5 = 12.50 in the currency)' })),
    targetUnitPriceMinor: Type.Optional(Type.Integer({ minimum: 0, description: 'Target price per unit in integer minor units (give this or targetUnitPrice)' })),
    currency: Type.Optional(CurrencyCodeSchema),
    description: Type.Optional(Type.String({ maxLength: 300 })),
  },
  { additionalProperties: false },
);

export const RfqInputSchema = Type.Object(
  {
    title: Title,
    items: Type.Array(RfqItemInputSchema, { minItems: 1, maxItems: CONTRACT_LIMITS.rfqItems }),
    requiredCertifications: Type.Array(CertificationTypeSchema, { uniqueItems: true, maxItems: 10, default: [] }),
    deliveryCountry: CountryCodeSchema,
    deliveryDate: CalendarDateSchema,
    responseDeadline: Type.String({ format: 'date-time', maxLength: 35, description: 'In the future and before the delivery date' }),
  },
  { additionalProperties: false },
);
export type RfqInput = Static<typeof RfqInputSchema>;

const RfqItemViewSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  category: Type.String(),
  quantity: Type.Number(),
  unit: Type.String(),
  targetUnitPriceMinor: Type.Optional(Type.Integer()),
  targetUnitPrice: Type.Optional(Type.Number({ description: 'targetUnitPriceMinor as a decimal, for display' })),
  currency: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
});

export const MatchViewSchema = Type.Object({
  supplierCompanyId: Type.String(),
  companyName: Type.String(),
  score: Type.Number(),
  matchedItems: Type.Array(
    Type.Object({
      rfqItemId: Type.Optional(Type.String()),
      name: Type.String(),
      productIds: Type.Optional(Type.Array(Type.String())),
      reason: Type.Optional(Type.String()),
    }),
  ),
  matchedItemCount: Type.Optional(Type.Integer()),
  missingCertifications: Type.Array(Type.String()),
  verified: Type.Boolean(),
});

export const TimelineEntryViewSchema = Type.Object({
  type: Type.String(),
  at: Type.String({ format: 'date-time' }),
  status: RfqStatusSchema,
  by: Type.String(),
  round: Type.Integer(),
  note: Type.Optional(Type.String()),
  quoteId: Type.Optional(Type.String()),
  supplierCompanyId: Type.Optional(Type.String()),
  orderId: Type.Optional(Type.String()),
  matchCount: Type.Optional(Type.Integer()),
});

export const RfqViewSchema = Type.Object({
  id: Type.String(),
  number: Type.String({ description: 'RFQ-<year>-<sequence>' }),
  title: Type.String(),
  status: RfqStatusSchema,
  buyerCompanyId: Type.String(),
  buyerUserId: Type.String(),
  items: Type.Array(RfqItemViewSchema),
  requiredCertifications: Type.Array(Type.String()),
  deliveryCountry: Type.String(),
  market: Type.String(),
  deliveryDate: Type.String(),
  responseDeadline: Type.String({ format: 'date-time' }),
  quotingOpen: Type.Boolean({ description: 'Open and before the response deadline: quotes are accepted' }),
  round: Type.Integer({ description: 'Award round: 1, plus one per reopening after a rejected order' }),
  matches: Type.Array(MatchViewSchema, { description: 'Buyers see every match; a supplier only its own' }),
  matchedAt: Type.Optional(Type.String({ format: 'date-time' })),
  awardedQuoteId: Type.Optional(Type.String()),
  expiresAt: Type.String({ format: 'date-time', description: 'When the scheduler expires it if it is still open' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  timeline: Type.Optional(Type.Array(TimelineEntryViewSchema, { description: 'Every state change (GET /rfqs/:id only)' })),
});
export type RfqView = Static<typeof RfqViewSchema>;

export const RfqParamsSchema = Type.Object({ id: IdSchema }, { additionalProperties: false });

export const RfqListQuerySchema = Type.Object(
  {
    ...PageQuerySchema.properties,
    status: Type.Optional(RfqStatusSchema),
    createdFrom: Type.Optional(Type.String({ format: 'date-time', description: 'Created at or after' })),
    createdTo: Type.Optional(Type.String({ format: 'date-time', description: 'Created before' })),
    quotable: Type.Optional(Type.Boolean({ description: 'Suppliers: only RFQs still open for quotes' })),
  },
  { additionalProperties: false },
);
export type RfqListQuery = Static<typeof RfqListQuerySchema>;

export const CancelBodySchema = Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })) }, { additionalProperties: false });
export type CancelBody = Static<typeof CancelBodySchema>;

export const RfqEnvelope = Envelope(RfqViewSchema);
export const RfqListEnvelope = PagedEnvelope(RfqViewSchema);
