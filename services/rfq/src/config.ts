import { Type } from '@sinclair/typebox';

/** The RFQ service's own settings, validated with the kit's base ones. */
export const rfqConfig = {
  RFQ_AWARD_GRACE_HOURS: Type.Integer({
    minimum: 0,
    default: 72,
    description:
      'How long after its response deadline an RFQ with live quotes stays open for the buyer to award one (quoting closes at the deadline); an RFQ without live quotes expires at the deadline',
  }),
  RFQ_EXPIRY_INTERVAL_MS: Type.Integer({
    minimum: 50,
    default: 60_000,
    description: 'How often a replica looks for RFQs to expire (one replica at a time runs a round)',
  }),
  RFQ_QUOTE_MAX_REVISIONS: Type.Integer({
    minimum: 1,
    default: 50,
    description: "Revisions one supplier's quote may have: bounds the RFQ's timeline, which records each one",
  }),
};
