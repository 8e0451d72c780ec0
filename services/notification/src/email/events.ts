import type { FoodXchangeEvent } from '@foodxchange/contracts';
import type { EventHandlerContext } from '@foodxchange/service-kit';
import '../deps.js';
import type { NotifyingTopic } from '../notifications/plan.js';
import { sendEmails } from './service.js';

/**
 * The e-mail consumer of a topic: its own handler, after the in-app one (subscriptions.ts), so an
 * event's in-app notifications are stored before its e-mail is tried, and its retries and dead
 * letter are its own. While the SMTP server is down, later events of the same partition wait for
 * those retries (the kit runs a message's handlers in turn): bounded by CONSUMER_MAX_ATTEMPTS.
 */
export function emailHandler<T extends NotifyingTopic>(topic: T) {
  return async (event: FoodXchangeEvent<T>, context: EventHandlerContext): Promise<void> => {
    const email = context.app.notification.email;
    if (!email) return;
    const sent = await sendEmails({ ...email, log: context.log }, topic, event);
    context.log.debug({ topic, eventId: event.id, sent, attempt: context.attempt }, 'e-mail notifications');
  };
}
