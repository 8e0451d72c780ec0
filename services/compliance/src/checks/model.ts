import { Schema, type Connection, type Model } from 'mongoose';
import { outboxPlugin, type OutboxFields } from '@foodxchange/service-kit';
import type { Violation, Warning } from '../rules/evaluate.js';

/**
 * `verdict`: an order's compliance verdict, decided by the `order.created` consumer from the
 * copies compliance holds, published as `compliance.checked`: exactly one per order.
 * `pre-check`: a `POST /compliance/validate` on data the caller states; recorded, never published,
 * never deciding an order.
 */
export const CHECK_KINDS = ['verdict', 'pre-check'] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

/**
 * One compliance check: the audit trail of what was checked, against which version of which
 * market's rules, with what result. Written once (insert) — a verdict together with its
 * `compliance.checked` event in the document's outbox; never modified afterwards except by the
 * relay clearing the outbox.
 */
export interface CheckDoc extends OutboxFields {
  _id: string;
  /** Absent on checks recorded before verdicts existed: those were pre-checks. */
  kind?: CheckKind;
  /** Set on verdicts only: the unique index on it makes one verdict per order. */
  verdictOrderId?: string;
  market: string;
  ruleSetVersion: number;
  deliveryCountry?: string;
  orderId?: string;
  rfqId?: string;
  buyerCompanyId?: string;
  supplierCompanyId: string;
  supplierName?: string;
  deliveryDate?: string;
  passed: boolean;
  violations: Violation[];
  warnings: Warning[];
  certifications: { type: string; number?: string; issuedBy?: string; validFrom: string; validUntil: string }[];
  products: {
    productId?: string;
    sku?: string;
    name: string;
    allergens: string[];
    labelledAllergens: string[];
    originCountry?: string;
    /** The order line said nothing about its allergens (and named no product compliance knows). */
    allergensUnknown?: boolean;
  }[];
  checkedAt: Date;
  correlationId: string;
  /** Id of the `compliance.checked` event this check published (checks of an order only). */
  eventId?: string;
  /** Who asked for it (absent for checks the saga ran). */
  requestedBy?: { userId: string; companyId?: string };
  /** Companies that may read it: the buyer, the supplier and the requester's company. */
  partyCompanyIds?: string[];
}

const FindingSchema = new Schema(
  {
    code: { type: String, required: true },
    rule: { type: String, required: true },
    message: { type: String, required: true },
    certification: String,
    certifications: { type: [String], default: undefined },
    itemIndex: Number,
    productId: String,
    product: String,
    allergen: String,
    allergens: { type: [String], default: undefined },
  },
  { _id: false },
);

const CertificationSchema = new Schema(
  {
    type: { type: String, required: true },
    number: String,
    issuedBy: String,
    validFrom: { type: String, required: true },
    validUntil: { type: String, required: true },
  },
  { _id: false },
);

const ProductSchema = new Schema(
  {
    productId: String,
    sku: String,
    name: { type: String, required: true },
    allergens: { type: [String], default: [] },
    labelledAllergens: { type: [String], default: [] },
    originCountry: String,
    allergensUnknown: Boolean,
  },
  { _id: false },
);

const CheckSchema = new Schema<CheckDoc>(
  {
    _id: { type: String, required: true },
    kind: { type: String, enum: CHECK_KINDS },
    verdictOrderId: String,
    requestedBy: { type: new Schema({ userId: { type: String, required: true }, companyId: String }, { _id: false }), default: undefined },
    partyCompanyIds: { type: [String], default: undefined, index: true },
    market: { type: String, required: true },
    ruleSetVersion: { type: Number, required: true },
    deliveryCountry: String,
    orderId: String,
    rfqId: String,
    buyerCompanyId: String,
    supplierCompanyId: { type: String, required: true },
    supplierName: String,
    deliveryDate: String,
    passed: { type: Boolean, required: true },
    violations: { type: [FindingSchema], default: [] },
    warnings: { type: [FindingSchema], default: [] },
    certifications: { type: [CertificationSchema], default: [] },
    products: { type: [ProductSchema], default: [] },
    checkedAt: { type: Date, required: true },
    correlationId: { type: String, required: true },
    eventId: String,
  },
  { collection: 'checks', versionKey: false },
);
CheckSchema.plugin(outboxPlugin);
// List filters (FerretDB 1.x scans regardless; MongoDB 7 uses these).
CheckSchema.index({ checkedAt: -1 });
CheckSchema.index({ orderId: 1, checkedAt: -1 });
CheckSchema.index({ market: 1, checkedAt: -1 });
CheckSchema.index({ supplierCompanyId: 1, checkedAt: -1 });
CheckSchema.index({ kind: 1, checkedAt: -1 });
// One verdict per order (DESIGN.md rule 2): sparse, so pre-checks (no verdictOrderId) never collide.
CheckSchema.index({ verdictOrderId: 1 }, { unique: true, sparse: true });

export type CheckModel = Model<CheckDoc>;

export function checkModel(connection: Connection): CheckModel {
  return (connection.models.Check as CheckModel) ?? connection.model<CheckDoc>('Check', CheckSchema);
}
