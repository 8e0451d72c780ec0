import { Type, type Static } from '@sinclair/typebox';
import { IdSchema } from '@foodxchange/contracts';
import { Envelope } from '@foodxchange/service-kit';
import { AWARD_STATUSES } from './model.js';

export const AwardInputSchema = Type.Object(
  {
    quoteId: IdSchema,
    revision: Type.Optional(
      Type.Integer({ minimum: 1, description: 'The quote revision the buyer compared: 409 if the supplier has revised it since' }),
    ),
  },
  { additionalProperties: false },
);
export type AwardInput = Static<typeof AwardInputSchema>;

export const AwardViewSchema = Type.Object({
  id: Type.String({ description: '<rfqId>:<round>' }),
  rfqId: Type.String(),
  round: Type.Integer(),
  quoteId: Type.String(),
  quoteRevision: Type.Integer(),
  supplierCompanyId: Type.String(),
  buyerCompanyId: Type.String(),
  currency: Type.String(),
  lines: Type.Array(
    Type.Object({
      rfqItemId: Type.String(),
      name: Type.String(),
      category: Type.Optional(Type.String()),
      quantity: Type.Number(),
      unit: Type.String(),
      unitPriceMinor: Type.Integer(),
      lineTotalMinor: Type.Integer(),
      productId: Type.Optional(Type.String()),
    }),
  ),
  totalMinor: Type.Integer(),
  rejectedQuoteIds: Type.Array(Type.String()),
  status: Type.Union(AWARD_STATUSES.map((status) => Type.Literal(status))),
  awardedBy: Type.String(),
  awardedAt: Type.String({ format: 'date-time' }),
  orderId: Type.Optional(Type.String()),
});
export type AwardView = Static<typeof AwardViewSchema>;

export const AwardEnvelope = Envelope(AwardViewSchema);
