import type { FoodXchangeEvent } from '@foodxchange/contracts';
import type { EventHandlerContext } from '@foodxchange/service-kit';
import '../deps.js';
import type { NotifyingTopic } from './plan.js';
import { notify } from './service.js';

/** The in-app consumer of a topic: one notification per recipient user (see plan.ts). */
export function inAppHandler<T extends NotifyingTopic>(topic: T) {
  return async (event: FoodXchangeEvent<T>, context: EventHandlerContext): Promise<void> => {
    const created = await notify(context.app.notification.notifications, topic, event);
    context.log.debug({ topic, eventId: event.id, created }, 'in-app notifications');
  };
}
