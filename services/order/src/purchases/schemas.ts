import { Type, type Static } from '@sinclair/typebox';
import { CONTRACT_LIMITS, CountryCodeSchema, IdSchema } from '@foodxchange/contracts';
import { CertificationListSchema, NoteSchema } from '../orders/schemas.js';

/** Far above any real order, below float trouble (the catalogue's own bound). */
const MAX_QUANTITY = 1e9;

export const PurchaseItemSchema = Type.Object(
  {
    productId: IdSchema,
    quantity: Type.Number({ exclusiveMinimum: 0, maximum: MAX_QUANTITY, description: "In the product's unit; at least its MOQ" }),
  },
  { additionalProperties: false },
);

export const PurchaseBodySchema = Type.Object(
  {
    items: Type.Array(PurchaseItemSchema, {
      minItems: 1,
      maxItems: CONTRACT_LIMITS.orderLines,
      description: "Products of one supplier, each once. Prices come from the catalogue (the applicable price tier), never from the request.",
    }),
    deliveryCountry: CountryCodeSchema,
    deliveryDate: Type.String({ format: 'date', maxLength: 10, description: 'YYYY-MM-DD, today (UTC) or later' }),
    requiredCertifications: Type.Optional({ ...CertificationListSchema, default: [] }),
    note: Type.Optional(NoteSchema),
  },
  { additionalProperties: false },
);
export type PurchaseBody = Static<typeof PurchaseBodySchema>;

/**
 * Stripe's rule: the client picks a key per purchase and sends it again with a retry. Printable
 * ASCII without spaces, at most 255 characters; kept `retentionHours` (the service's
 * ORDER_IDEMPOTENCY_RETENTION_HOURS, which the OpenAPI document states).
 */
export function purchaseHeadersSchema(retentionHours: number) {
  return Type.Object({
    'idempotency-key': Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7E]+$',
      description:
        'Required. The same key with the same body returns the same order (200); with another body 409. ' +
        `Keys are per buyer company and kept ${retentionHours} hours from their first use (ORDER_IDEMPOTENCY_RETENTION_HOURS, 24 by default): ` +
        'after that the key is new again and the request makes a new order.',
    }),
  });
}
