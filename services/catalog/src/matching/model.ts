import { Schema, type Connection, type Model } from 'mongoose';
import { outboxPlugin, type OutboxFields } from '@foodxchange/service-kit';

/**
 * One matching run per RFQ (`_id` = rfqId), inserted once with its `rfq.matched` event in its
 * outbox: the unique `_id` is what makes matching publish exactly once per RFQ (DESIGN.md rule 2).
 * A redelivered `rfq.created` (or a second one for the same RFQ) fails the insert with 11000 and
 * publishes nothing. Kept small: the matches travel in the event; the run keeps who was matched.
 */
export interface MatchRunDoc extends OutboxFields {
  _id: string;
  /** Id of the `rfq.created` event that caused the run. */
  sourceEventId: string;
  buyerCompanyId: string;
  market: string;
  deliveryCountry: string;
  deliveryDate: string;
  itemCount: number;
  matches: Array<{ supplierCompanyId: string; score: number; matchedItemCount: number }>;
  /** Id of the `rfq.matched` event this run published. */
  eventId: string;
  correlationId: string;
  matchedAt: Date;
  durationMs: number;
}

const MatchRunSchema = new Schema<MatchRunDoc>(
  {
    _id: { type: String, required: true },
    sourceEventId: { type: String, required: true },
    buyerCompanyId: { type: String, required: true },
    market: { type: String, required: true },
    deliveryCountry: { type: String, required: true },
    deliveryDate: { type: String, required: true },
    itemCount: { type: Number, required: true },
    matches: {
      type: [new Schema({ supplierCompanyId: String, score: Number, matchedItemCount: Number }, { _id: false })],
      default: [],
    },
    eventId: { type: String, required: true },
    correlationId: { type: String, required: true },
    matchedAt: { type: Date, required: true },
    durationMs: { type: Number, required: true },
  },
  { collection: 'match_runs', versionKey: false },
);
MatchRunSchema.plugin(outboxPlugin);

export type MatchRunModel = Model<MatchRunDoc>;

export function matchRunModel(connection: Connection): MatchRunModel {
  return (connection.models.MatchRun as MatchRunModel) ?? connection.model<MatchRunDoc>('MatchRun', MatchRunSchema);
}
