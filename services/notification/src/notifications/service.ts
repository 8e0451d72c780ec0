import { TOPICS, type EventData, type FoodXchangeEvent } from '@foodxchange/contracts';
import { NotFoundError, isDuplicateKeyError, stageEvent, type EventContext } from '@foodxchange/service-kit';
import type { MemberModel } from '../members/model.js';
import type { NotificationDoc, NotificationModel } from './model.js';
import { planFor, type NotifyingTopic } from './plan.js';
import { notificationIdOf, recipientsOf, type Recipient } from './recipients.js';
import type { NotificationListQuery, NotificationView } from './schemas.js';

export interface NotificationDeps {
  notifications: NotificationModel;
  members: MemberModel;
  /** The events' CloudEvents context (source, correlation id). */
  context: (correlationId?: string) => EventContext;
  /** Kicks the outbox relay after a write that staged events. */
  published: () => void;
  /** Hands a new notification to the user's live streams on every replica (best effort). */
  live?: (userId: string, notification: NotificationView) => void;
}

/** Parallel inserts per event at most (a match can reach dozens of users). */
const INSERT_CONCURRENCY = 16;

/** Who an event reaches (also what the e-mail consumer sends to). */
export async function recipientsOfEvent<T extends NotifyingTopic>(members: MemberModel, topic: T, event: FoodXchangeEvent<T>): Promise<Recipient[]> {
  return recipientsOf(members, planFor(topic, event));
}

/**
 * Turns one event into one in-app notification per recipient user, each staging its
 * `notification.sent` (in_app). Idempotent: a notification's id and its (event, user) pair are
 * unique, so a redelivery or a retry after a partial failure inserts only what is missing.
 * Returns how many were created now.
 */
/** What `notification.sent` says of one recipient's notification on one channel. */
export function sentEventData(
  notificationId: string,
  recipient: Recipient,
  channel: 'in_app' | 'email',
  event: FoodXchangeEvent,
  topic: NotifyingTopic,
  now: Date,
): EventData<typeof TOPICS.notificationSent> {
  const { announcement } = recipient;
  return {
    notificationId,
    userId: recipient.userId,
    ...(recipient.companyId ? { companyId: recipient.companyId } : {}),
    channel,
    template: announcement.type,
    title: announcement.title.slice(0, 500),
    subjectType: announcement.subject.type,
    subjectId: announcement.subject.id,
    triggeredBy: { eventId: event.id, topic },
    sentAt: now.toISOString(),
  };
}

export async function notify<T extends NotifyingTopic>(deps: NotificationDeps, topic: T, event: FoodXchangeEvent<T>, now = new Date()): Promise<number> {
  const recipients = await recipientsOfEvent(deps.members, topic, event);
  const context = deps.context(event.correlationid);
  let created = 0;
  for (let start = 0; start < recipients.length; start += INSERT_CONCURRENCY) {
    const results = await Promise.all(
      recipients.slice(start, start + INSERT_CONCURRENCY).map(async (recipient) => {
        const { announcement } = recipient;
        const doc = new deps.notifications({
          _id: notificationIdOf(event.id, recipient.userId),
          userId: recipient.userId,
          ...(recipient.companyId ? { companyId: recipient.companyId } : {}),
          type: announcement.type,
          title: announcement.title,
          body: announcement.body,
          link: announcement.link,
          subjectType: announcement.subject.type,
          subjectId: announcement.subject.id,
          read: false,
          readAt: null,
          createdAt: now,
          eventId: event.id,
          topic,
          ...(event.correlationid ? { correlationId: event.correlationid } : {}),
        });
        stageEvent(
          doc,
          TOPICS.notificationSent,
          doc._id,
          sentEventData(doc._id, recipient, 'in_app', event, topic, now),
          context,
        );
        try {
          await doc.save();
          deps.live?.(recipient.userId, toNotificationView(doc.toObject()));
          return 1;
        } catch (error) {
          if (isDuplicateKeyError(error)) return 0; // created by an earlier delivery
          throw error;
        }
      }),
    );
    created += results.reduce<number>((sum, one) => sum + one, 0);
  }
  if (created > 0) deps.published();
  return created;
}

export function toNotificationView(doc: NotificationDoc): NotificationView {
  return {
    id: doc._id,
    type: doc.type,
    title: doc.title,
    body: doc.body,
    link: doc.link,
    subject: { type: doc.subjectType, id: doc.subjectId },
    read: doc.read,
    ...(doc.readAt ? { readAt: doc.readAt.toISOString() } : {}),
    createdAt: doc.createdAt.toISOString(),
  };
}

const VIEW_FIELDS = { outbox: 0, outboxStagedAt: 0, outboxBucket: 0 } as const;

export async function unreadCount(notifications: NotificationModel, userId: string): Promise<number> {
  return notifications.countDocuments({ userId, read: false });
}

/** The user's own notifications, newest first. */
export async function listNotifications(
  notifications: NotificationModel,
  userId: string,
  query: NotificationListQuery,
): Promise<{ items: NotificationView[]; total: number; unreadCount: number }> {
  const filter: Record<string, unknown> = { userId };
  if (query.unread !== undefined) filter.read = !query.unread;
  const [docs, total, unread] = await Promise.all([
    notifications
      .find(filter)
      .select(VIEW_FIELDS)
      .sort({ createdAt: -1, _id: -1 })
      .skip((query.page - 1) * query.limit)
      .limit(query.limit)
      .lean<NotificationDoc[]>(),
    notifications.countDocuments(filter),
    unreadCount(notifications, userId),
  ]);
  return { items: docs.map(toNotificationView), total, unreadCount: unread };
}

/** Marks one of the user's notifications read (again: no change). Another user's is "not found". */
export async function markRead(notifications: NotificationModel, userId: string, id: string, now = new Date()): Promise<NotificationView> {
  const doc = await notifications.findOne({ _id: id, userId }).select(VIEW_FIELDS).lean<NotificationDoc>();
  if (!doc) throw new NotFoundError(`Notification ${id}`);
  if (doc.read) return toNotificationView(doc);
  await notifications.updateOne({ _id: id, userId, read: false }, { $set: { read: true, readAt: now } });
  const updated = await notifications.findOne({ _id: id, userId }).select(VIEW_FIELDS).lean<NotificationDoc>();
  return toNotificationView(updated ?? { ...doc, read: true, readAt: now });
}

/** Marks every unread notification of the user read. */
export async function markAllRead(notifications: NotificationModel, userId: string, now = new Date()): Promise<{ updated: number; unreadCount: number }> {
  const result = await notifications.updateMany({ userId, read: false }, { $set: { read: true, readAt: now } });
  return { updated: result.modifiedCount, unreadCount: await unreadCount(notifications, userId) };
}
