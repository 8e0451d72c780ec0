import { Schema, type Connection, type HydratedDocument, type Model } from 'mongoose';
import { outboxPlugin, type OutboxFields } from '@foodxchange/service-kit';
import type { CertificationType, ComplianceViolation, OrderStatus } from '@foodxchange/contracts';

export type OrderOrigin = 'rfq' | 'catalog';

/** One order line, in integer minor units of the order's currency. */
export interface OrderLine {
  lineId: string;
  rfqItemId?: string;
  productId?: string;
  sku?: string;
  name: string;
  category?: string;
  quantity: number;
  unit: string;
  unitPriceMinor: number;
  lineTotalMinor: number;
  originCountry?: string;
  allergens?: string[];
  certifications?: CertificationType[];
  /** For a catalogue purchase: the price tier that applied (its minQuantity). */
  priceTierMinQuantity?: number;
}

/** One transition of the order (the first entry is its creation). */
export interface StatusChange {
  from?: OrderStatus;
  to: OrderStatus;
  /** User id, or "system" for saga steps (the compliance outcome, the creation from an award). */
  by: string;
  byRole?: string;
  at: Date;
  note?: string;
}

/** The compliance verdict the order was decided by (a sample of the findings, all of them counted). */
export interface ComplianceOutcome {
  checkId: string;
  passed: boolean;
  market: string;
  violations: ComplianceViolation[];
  violationCount: number;
  warnings: ComplianceViolation[];
  warningCount: number;
  truncated: boolean;
  ruleSetVersion?: number;
  checkedAt?: Date;
  receivedAt: Date;
}

export interface OrderDoc extends OutboxFields {
  _id: string;
  /** `ORD-<year>-<6 digits>`, unique (see numbers.ts). */
  orderNumber: string;
  createdFrom: OrderOrigin;
  /**
   * `<rfqId>:<quoteId>` for an order from an award: unique, so one award makes one order however
   * often its event is delivered and however many replicas handle it. Absent for purchases.
   */
  awardKey?: string;
  rfqId?: string;
  quoteId?: string;
  title?: string;
  buyerCompanyId: string;
  buyerUserId?: string;
  supplierCompanyId: string;
  supplierName?: string;
  /** The buyer and the supplier: who may read the order (dot-notation equality on the array). */
  partyCompanyIds: string[];
  status: OrderStatus;
  currency: string;
  items: OrderLine[];
  totalMinor: number;
  deliveryCountry: string;
  market: string;
  requiredCertifications: CertificationType[];
  deliveryDate?: string;
  note?: string;
  compliance?: ComplianceOutcome;
  statusHistory: StatusChange[];
  createdAt: Date;
  updatedAt: Date;
  lockToken?: number;
}

const FindingSchema = new Schema(
  {
    rule: { type: String, required: true },
    message: { type: String, required: true },
    code: String,
    certification: String,
    certifications: { type: [String], default: undefined },
    productId: String,
    product: String,
    itemIndex: Number,
    allergen: String,
    allergens: { type: [String], default: undefined },
  },
  { _id: false },
);

const LineSchema = new Schema<OrderLine>(
  {
    lineId: { type: String, required: true },
    rfqItemId: String,
    productId: String,
    sku: String,
    name: { type: String, required: true },
    category: String,
    quantity: { type: Number, required: true },
    unit: { type: String, required: true },
    unitPriceMinor: { type: Number, required: true },
    lineTotalMinor: { type: Number, required: true },
    originCountry: String,
    allergens: { type: [String], default: undefined },
    certifications: { type: [String], default: undefined },
    priceTierMinQuantity: Number,
  },
  { _id: false },
);

const StatusChangeSchema = new Schema<StatusChange>(
  {
    from: String,
    to: { type: String, required: true },
    by: { type: String, required: true },
    byRole: String,
    at: { type: Date, required: true },
    note: String,
  },
  { _id: false },
);

const ComplianceSchema = new Schema<ComplianceOutcome>(
  {
    checkId: { type: String, required: true },
    passed: { type: Boolean, required: true },
    market: { type: String, required: true },
    violations: { type: [FindingSchema], default: [] },
    violationCount: { type: Number, required: true },
    warnings: { type: [FindingSchema], default: [] },
    warningCount: { type: Number, required: true },
    truncated: { type: Boolean, default: false },
    ruleSetVersion: Number,
    checkedAt: Date,
    receivedAt: { type: Date, required: true },
  },
  { _id: false },
);

const OrderSchema = new Schema<OrderDoc>(
  {
    _id: { type: String, required: true },
    orderNumber: { type: String, required: true, unique: true },
    createdFrom: { type: String, required: true, enum: ['rfq', 'catalog'] },
    // Sparse: purchases have no award (a unique index would index the missing field as null and
    // make every second purchase collide). A purchase's key is in order_idempotency_keys.
    awardKey: { type: String, unique: true, sparse: true },
    rfqId: { type: String, index: true },
    quoteId: String,
    title: String,
    buyerCompanyId: { type: String, required: true, index: true },
    buyerUserId: String,
    supplierCompanyId: { type: String, required: true, index: true },
    supplierName: String,
    partyCompanyIds: { type: [String], required: true, index: true },
    status: { type: String, required: true, index: true },
    currency: { type: String, required: true },
    items: { type: [LineSchema], required: true },
    totalMinor: { type: Number, required: true },
    deliveryCountry: { type: String, required: true },
    market: { type: String, required: true },
    requiredCertifications: { type: [String], default: [] },
    deliveryDate: String,
    note: String,
    compliance: { type: ComplianceSchema, default: undefined },
    statusHistory: { type: [StatusChangeSchema], default: [] },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    lockToken: Number,
  },
  { collection: 'orders', versionKey: false },
);
OrderSchema.plugin(outboxPlugin);
OrderSchema.index({ createdAt: -1 });

export type OrderModel = Model<OrderDoc>;
export type OrderDocument = HydratedDocument<OrderDoc>;

export function orderModel(connection: Connection): OrderModel {
  return (connection.models.Order as OrderModel) ?? connection.model<OrderDoc>('Order', OrderSchema);
}

/**
 * A hint of the next free order number per year. Never what makes numbers unique (the unique
 * index on orders.orderNumber does); it only spares a starting replica from probing every number
 * already taken. Concurrent updates may lose one another, which only costs a few extra probes.
 */
export interface OrderNumberHint {
  _id: string;
  next: number;
}

const OrderNumberHintSchema = new Schema<OrderNumberHint>(
  { _id: { type: String, required: true }, next: { type: Number, required: true } },
  { collection: 'order_number_hints', versionKey: false },
);

export type OrderNumberHintModel = Model<OrderNumberHint>;

export function orderNumberHintModel(connection: Connection): OrderNumberHintModel {
  return (connection.models.OrderNumberHint as OrderNumberHintModel) ?? connection.model<OrderNumberHint>('OrderNumberHint', OrderNumberHintSchema);
}
