import type { FoodXchangeEvent } from '@foodxchange/contracts';
import type { EventHandlerContext } from '@foodxchange/service-kit';
import '../deps.js';
import type { NotifyingTopic } from '../notifications/plan.js';
import { sendEmails } from './service.js';

/** The e-mail consumer of a topic (its own handler: an SMTP outage never holds back in-app notifications). */
export function emailHandler<T extends NotifyingTopic>(topic: T) {
  return async (event: FoodXchangeEvent<T>, context: EventHandlerContext): Promise<void> => {
    const email = context.app.notification.email;
    if (!email) return;
    const sent = await sendEmails({ ...email, log: context.log }, topic, event);
    context.log.debug({ topic, eventId: event.id, sent, attempt: context.attempt }, 'e-mail notifications');
  };
}
