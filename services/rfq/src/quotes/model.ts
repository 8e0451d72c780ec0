import { Schema, type Connection, type Model } from 'mongoose';
import { outboxPlugin, type OutboxFields } from '@foodxchange/service-kit';
import type { QuoteStatus } from '@foodxchange/contracts';

export interface QuoteLineDoc {
  rfqItemId: string;
  unitPriceMinor: number;
  /** The RFQ item's quantity, and round(quantity × unitPriceMinor): computed here, never sent by the client. */
  quantity: number;
  lineTotalMinor: number;
  productId?: string;
}

/**
 * A supplier's quote on an RFQ: one per (RFQ, supplier company) — a unique index, so a second
 * submission revises this document rather than adding one. Its outbox carries quote.submitted.
 */
export interface QuoteDoc extends OutboxFields {
  _id: string;
  rfqId: string;
  buyerCompanyId: string;
  supplierCompanyId: string;
  supplierUserId: string;
  status: QuoteStatus;
  items: QuoteLineDoc[];
  currency: string;
  totalMinor: number;
  /** Prices every RFQ item (a partial quote prices some). */
  complete: boolean;
  leadTimeDays: number;
  validUntil: string;
  notes?: string;
  revision: number;
  /** The award round that set `rejected`/`accepted` (a reopening puts back only that round's rejections). */
  decidedInRound?: number | null;
  submittedAt: Date;
  updatedAt: Date;
  withdrawnAt?: Date | null;
}

const LineSchema = new Schema<QuoteLineDoc>(
  {
    rfqItemId: { type: String, required: true },
    unitPriceMinor: { type: Number, required: true },
    quantity: { type: Number, required: true },
    lineTotalMinor: { type: Number, required: true },
    productId: String,
  },
  { _id: false },
);

const QuoteSchema = new Schema<QuoteDoc>(
  {
    _id: { type: String, required: true },
    rfqId: { type: String, required: true },
    buyerCompanyId: { type: String, required: true },
    supplierCompanyId: { type: String, required: true },
    supplierUserId: { type: String, required: true },
    status: { type: String, required: true },
    items: { type: [LineSchema], required: true },
    currency: { type: String, required: true },
    totalMinor: { type: Number, required: true },
    complete: { type: Boolean, required: true },
    leadTimeDays: { type: Number, required: true },
    validUntil: { type: String, required: true },
    notes: String,
    revision: { type: Number, required: true },
    decidedInRound: { type: Number, default: null },
    submittedAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    withdrawnAt: { type: Date, default: null },
  },
  { collection: 'quotes', versionKey: false },
);
QuoteSchema.plugin(outboxPlugin);
// One live quote per supplier per RFQ: the exactly-once of a first submission.
QuoteSchema.index({ rfqId: 1, supplierCompanyId: 1 }, { unique: true });
QuoteSchema.index({ rfqId: 1 });

export type QuoteModel = Model<QuoteDoc>;

export function quoteModel(connection: Connection): QuoteModel {
  return (connection.models.Quote as QuoteModel) ?? connection.model<QuoteDoc>('Quote', QuoteSchema);
}
