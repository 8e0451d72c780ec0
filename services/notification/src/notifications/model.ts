import { Schema, type Connection, type Model } from 'mongoose';
import { outboxPlugin, type OutboxFields } from '@foodxchange/service-kit';
import { NOTIFICATION_TYPES, SUBJECT_TYPES, type NotificationType, type SubjectType } from './plan.js';

/**
 * One in-app notification of one user. `_id` is derived from (event id, user id), and that pair
 * is also a unique index: a redelivered event creates no second notification. It carries its own
 * outbox (`notification.sent`, channel in_app), staged by the insert that creates it.
 */
export interface NotificationDoc extends OutboxFields {
  _id: string;
  userId: string;
  companyId?: string;
  type: NotificationType;
  title: string;
  body: string;
  link: string;
  subjectType: SubjectType;
  subjectId: string;
  read: boolean;
  readAt: Date | null;
  createdAt: Date;
  eventId: string;
  topic: string;
  correlationId?: string;
}

const NotificationSchema = new Schema<NotificationDoc>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    companyId: String,
    type: { type: String, required: true, enum: NOTIFICATION_TYPES },
    title: { type: String, required: true },
    body: { type: String, required: true },
    link: { type: String, required: true },
    subjectType: { type: String, required: true, enum: SUBJECT_TYPES },
    subjectId: { type: String, required: true },
    read: { type: Boolean, required: true, default: false },
    readAt: { type: Date, default: null },
    createdAt: { type: Date, required: true },
    eventId: { type: String, required: true },
    topic: { type: String, required: true },
    correlationId: String,
  },
  { collection: 'notifications', versionKey: false },
);
NotificationSchema.plugin(outboxPlugin);
NotificationSchema.index({ eventId: 1, userId: 1 }, { unique: true });
NotificationSchema.index({ userId: 1, createdAt: -1 });
NotificationSchema.index({ userId: 1, read: 1 });

export type NotificationModel = Model<NotificationDoc>;

export function notificationModel(connection: Connection): NotificationModel {
  return (connection.models.Notification as NotificationModel) ?? connection.model<NotificationDoc>('Notification', NotificationSchema);
}
