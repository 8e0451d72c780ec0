import { Type } from '@sinclair/typebox';

/** The compliance service's own settings, validated with the kit's base ones. */
export const complianceConfig = {
  COMPLIANCE_COPY_WAIT_MS: Type.Integer({
    minimum: 0,
    default: 30_000,
    description:
      'How long an order whose supplier or product copy is missing waits for it (from when compliance first saw the order); past it the order gets a failed verdict naming the missing data',
  }),
  COMPLIANCE_PENDING_SWEEP_MS: Type.Integer({
    minimum: 50,
    default: 5000,
    description:
      'How often a replica re-checks the orders waiting for a copy (any replica may decide one: the verdict is a unique insert). A copy that arrives decides its orders at once; the sweep only fails those whose wait is over, so it may be far apart',
  }),
};
