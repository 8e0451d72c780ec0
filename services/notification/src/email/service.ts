import { TOPICS, type FoodXchangeEvent } from '@foodxchange/contracts';
import { PermanentError, isDuplicateKeyError, stageEvent, type EventContext } from '@foodxchange/service-kit';
import type { FastifyBaseLogger } from 'fastify';
import type { MemberModel } from '../members/model.js';
import type { NotifyingTopic } from '../notifications/plan.js';
import { notificationIdOf, type Recipient } from '../notifications/recipients.js';
import { recipientsOfEvent, sentEventData } from '../notifications/service.js';
import type { PreferencesModel } from '../preferences/model.js';
import { emailOffFor } from '../preferences/service.js';
import type { Mailer } from './mailer.js';
import { deliveryIdOf, type DeliveryDoc, type DeliveryModel } from './model.js';
import { renderEmail } from './templates.js';

export interface EmailDeps {
  deliveries: DeliveryModel;
  members: MemberModel;
  preferences: PreferencesModel;
  mailer: Mailer;
  publicUrl: string;
  context: (correlationId?: string) => EventContext;
  published: () => void;
  log: FastifyBaseLogger;
}

/** The header that names the notification an e-mail carries (support, and tests reading MailDev). */
export const NOTIFICATION_HEADER = 'X-FoodXchange-Notification';

/** SMTP 5xx is a permanent refusal: no retry can change it, so the event goes to the DLQ at once. */
function classify(error: unknown): unknown {
  const code = (error as { responseCode?: unknown }).responseCode;
  if (typeof code === 'number' && code >= 500 && code < 600) {
    return new PermanentError(`SMTP server refused the e-mail (${code}): ${(error as Error).message}`, { cause: error });
  }
  return error;
}

/** Who gets this event by e-mail: recipients with an address who did not turn its type off. */
async function emailRecipients(deps: EmailDeps, recipients: Recipient[]): Promise<Recipient[]> {
  const withAddress = recipients.filter((recipient) => recipient.email);
  const byType = new Map<string, Recipient[]>();
  for (const recipient of withAddress) byType.set(recipient.announcement.type, [...(byType.get(recipient.announcement.type) ?? []), recipient]);
  const off = new Set<string>();
  for (const [type, group] of byType) {
    for (const userId of await emailOffFor(deps.preferences, group.map((r) => r.userId), group[0]!.announcement.type)) off.add(`${type}|${userId}`);
  }
  return withAddress.filter((recipient) => !off.has(`${recipient.announcement.type}|${recipient.userId}`));
}

/**
 * Sends the e-mail of one event to each recipient who wants it, one SMTP delivery each, and
 * records each delivery with its `notification.sent` (channel email). Idempotent across retries:
 * recipients already served are skipped. A failed delivery fails the call after the others were
 * tried, so the consumer retries (with backoff) only what is left, and dead-letters the event
 * when its retries run out (a crash between a send and its record may send that one twice).
 * Returns how many were sent now.
 */
export async function sendEmails<T extends NotifyingTopic>(deps: EmailDeps, topic: T, event: FoodXchangeEvent<T>): Promise<number> {
  const recipients = await emailRecipients(deps, await recipientsOfEvent(deps.members, topic, event));
  if (recipients.length === 0) return 0;
  const ids = recipients.map((recipient) => deliveryIdOf(notificationIdOf(event.id, recipient.userId)));
  const done = new Set((await deps.deliveries.find({ _id: { $in: ids } }).select({ _id: 1 }).lean<Pick<DeliveryDoc, '_id'>[]>()).map((doc) => doc._id));
  const context = deps.context(event.correlationid);
  let sent = 0;
  const failures: unknown[] = [];
  for (const recipient of recipients) {
    const notificationId = notificationIdOf(event.id, recipient.userId);
    const deliveryId = deliveryIdOf(notificationId);
    if (done.has(deliveryId)) continue;
    const { announcement } = recipient;
    const mail = renderEmail(announcement, { publicUrl: deps.publicUrl, ...(recipient.name ? { name: recipient.name } : {}) });
    let messageId: string;
    try {
      ({ messageId } = await deps.mailer.send({ to: recipient.email!, ...mail, headers: { [NOTIFICATION_HEADER]: notificationId } }));
    } catch (error) {
      deps.log.warn({ err: error, notificationId, topic }, 'e-mail not delivered');
      failures.push(classify(error));
      continue;
    }
    const now = new Date();
    const doc = new deps.deliveries({
      _id: deliveryId,
      notificationId,
      userId: recipient.userId,
      channel: 'email',
      to: recipient.email!,
      type: announcement.type,
      eventId: event.id,
      topic,
      messageId,
      sentAt: now,
    });
    stageEvent(
      doc,
      TOPICS.notificationSent,
      notificationId,
      sentEventData(notificationId, recipient, 'email', event, topic, now),
      context,
    );
    try {
      await doc.save();
      sent += 1;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
  if (sent > 0) deps.published();
  if (failures.length > 0) {
    // Permanent only when every failure is: otherwise a retry may still serve the others.
    const first = failures[0] as Error;
    const allPermanent = failures.every((failure) => failure instanceof PermanentError);
    const message = `${failures.length} of ${recipients.length - done.size} e-mail(s) of ${topic} ${event.id} not delivered: ${first.message}`;
    throw allPermanent ? new PermanentError(message, { cause: first }) : Object.assign(new Error(message, { cause: first }), { retryable: true });
  }
  return sent;
}
