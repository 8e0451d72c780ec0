import { Type } from '@sinclair/typebox';

/** The order service's own settings, validated with the kit's base ones. */
export const orderConfig = {
  ORDER_IDEMPOTENCY_RETENTION_HOURS: Type.Integer({
    minimum: 1,
    default: 24,
    description:
      "How long a purchase's Idempotency-Key is kept (Stripe's 24 hours by default): within it the same key replays its order or is a 409; past it the key is new. A change applies to keys used from then on",
  }),
  ORDER_IDEMPOTENCY_CLEANUP_MS: Type.Integer({
    minimum: 50,
    default: 900_000,
    description:
      'How often a replica deletes the expired idempotency keys (every replica may: deletes are idempotent). Only bounds the collection: a request checks the expiry itself',
  }),
};
