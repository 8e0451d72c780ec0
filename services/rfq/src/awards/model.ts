import { Schema, type Connection, type Model } from 'mongoose';
import { outboxPlugin, type OutboxFields } from '@foodxchange/service-kit';
import type { AwardLine } from '@foodxchange/contracts';

export const AWARD_STATUSES = ['live', 'order_rejected'] as const;
export type AwardStatus = (typeof AWARD_STATUSES)[number];

/**
 * One award of an RFQ in one round: `_id = <rfqId>:<round>`, so of two awards of the same round
 * (two requests, two replicas) exactly one insert succeeds (DESIGN.md rule 2). The insert carries
 * rfq.awarded in its outbox: the award and its event are one write, the commit point of awarding.
 * The quotes' and the RFQ's new statuses follow it (`applied` once they are written).
 */
export interface AwardDoc extends OutboxFields {
  _id: string;
  rfqId: string;
  round: number;
  quoteId: string;
  quoteRevision: number;
  buyerCompanyId: string;
  supplierCompanyId: string;
  awardedBy: string;
  awardedAt: Date;
  currency: string;
  lines: AwardLine[];
  totalMinor: number;
  rejectedQuoteIds: string[];
  status: AwardStatus;
  /** The quotes' and RFQ's statuses are written (a crash before that is repaired by the scheduler). */
  applied: boolean;
  orderId?: string | null;
  eventId: string;
}

const LineSchema = new Schema<AwardLine>(
  {
    rfqItemId: { type: String, required: true },
    name: { type: String, required: true },
    category: String,
    quantity: { type: Number, required: true },
    unit: { type: String, required: true },
    unitPriceMinor: { type: Number, required: true },
    lineTotalMinor: { type: Number, required: true },
    productId: String,
  },
  { _id: false },
);

const AwardSchema = new Schema<AwardDoc>(
  {
    _id: { type: String, required: true },
    rfqId: { type: String, required: true },
    round: { type: Number, required: true },
    quoteId: { type: String, required: true },
    quoteRevision: { type: Number, required: true },
    buyerCompanyId: { type: String, required: true },
    supplierCompanyId: { type: String, required: true },
    awardedBy: { type: String, required: true },
    awardedAt: { type: Date, required: true },
    currency: { type: String, required: true },
    lines: { type: [LineSchema], required: true },
    totalMinor: { type: Number, required: true },
    rejectedQuoteIds: { type: [String], default: [] },
    status: { type: String, required: true, enum: AWARD_STATUSES },
    applied: { type: Boolean, required: true },
    orderId: { type: String, default: null },
    eventId: { type: String, required: true },
  },
  { collection: 'awards', versionKey: false },
);
AwardSchema.plugin(outboxPlugin);
AwardSchema.index({ rfqId: 1 });
// The scheduler's repair pass: awards whose follow-up writes did not happen.
AwardSchema.index({ applied: 1 });

export type AwardModel = Model<AwardDoc>;

export function awardModel(connection: Connection): AwardModel {
  return (connection.models.Award as AwardModel) ?? connection.model<AwardDoc>('Award', AwardSchema);
}

export const awardId = (rfqId: string, round: number) => `${rfqId}:${round}`;
