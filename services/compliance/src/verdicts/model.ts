import { Schema, type Connection, type Model } from 'mongoose';
import type { OrderCreatedData } from '@foodxchange/contracts';

/**
 * An order whose verdict waits for a read copy compliance does not hold yet (`_id` = order id):
 * the `order.created` data is kept here, so the wait survives restarts and any replica's sweep
 * can finish it. Deleted once the order has its verdict. Small by construction: an order stays
 * at most COMPLIANCE_COPY_WAIT_MS (plus a sweep).
 */
export interface PendingOrderDoc {
  _id: string;
  order: OrderCreatedData;
  eventId: string;
  correlationId: string;
  /** When compliance first saw the order: the wait is counted from here. */
  firstSeenAt: Date;
  /** What is missing, as `company:<id>` / `product:<id>`: a copy arriving re-checks the orders naming it. */
  missing: string[];
  updatedAt: Date;
}

const PendingOrderSchema = new Schema<PendingOrderDoc>(
  {
    _id: { type: String, required: true },
    order: { type: Schema.Types.Mixed, required: true },
    eventId: { type: String, required: true },
    correlationId: { type: String, required: true },
    firstSeenAt: { type: Date, required: true },
    missing: { type: [String], default: [] },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'pending_orders', versionKey: false, minimize: false },
);
// A copy that arrives looks up the orders waiting for it by equality on an array member.
PendingOrderSchema.index({ missing: 1 });

export type PendingOrderModel = Model<PendingOrderDoc>;

export function pendingOrderModel(connection: Connection): PendingOrderModel {
  return (connection.models.PendingOrder as PendingOrderModel) ?? connection.model<PendingOrderDoc>('PendingOrder', PendingOrderSchema);
}
