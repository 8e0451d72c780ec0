import { Schema, type Connection, type Model } from 'mongoose';
import { outboxPlugin, type OutboxFields } from '@foodxchange/service-kit';

/**
 * One e-mail that was handed to the SMTP server (`_id` = `<notification id>:email`): a retry of
 * the event skips the recipients already served. Carries its `notification.sent` (channel email).
 */
export interface DeliveryDoc extends OutboxFields {
  _id: string;
  notificationId: string;
  userId: string;
  channel: 'email';
  to: string;
  type: string;
  eventId: string;
  topic: string;
  messageId: string;
  sentAt: Date;
}

const DeliverySchema = new Schema<DeliveryDoc>(
  {
    _id: { type: String, required: true },
    notificationId: { type: String, required: true },
    userId: { type: String, required: true, index: true },
    channel: { type: String, required: true, enum: ['email'] },
    to: { type: String, required: true },
    type: { type: String, required: true },
    eventId: { type: String, required: true, index: true },
    topic: { type: String, required: true },
    messageId: { type: String, required: true },
    sentAt: { type: Date, required: true },
  },
  { collection: 'deliveries', versionKey: false },
);
DeliverySchema.plugin(outboxPlugin);

export type DeliveryModel = Model<DeliveryDoc>;

export function deliveryModel(connection: Connection): DeliveryModel {
  return (connection.models.Delivery as DeliveryModel) ?? connection.model<DeliveryDoc>('Delivery', DeliverySchema);
}

export const deliveryIdOf = (notificationId: string) => `${notificationId}:email`;
