import { TOPICS, type Topic } from '@foodxchange/contracts';
import { subscribe, type Subscription } from '@foodxchange/service-kit';
import { emailHandler } from './email/events.js';
import { onUserRegisteredMember, onUserSuspendedMember, onUserUnsuspendedMember } from './members/events.js';
import { inAppHandler } from './notifications/events.js';
import { NOTIFYING_TOPICS } from './notifications/plan.js';

/** Topics this service publishes (created at start-up) and the topic → handler lines it consumes. */
export const publishes: readonly Topic[] = [TOPICS.notificationSent];

/** The read model of who acts for which company (from the user events). */
const members: Subscription[] = [
  subscribe(TOPICS.userRegistered, onUserRegisteredMember, { name: 'user.registered.members' }),
  subscribe(TOPICS.userSuspended, onUserSuspendedMember, { name: 'user.suspended.members' }),
  subscribe(TOPICS.userUnsuspended, onUserUnsuspendedMember, { name: 'user.unsuspended.members' }),
];

/** One in-app notification per recipient user of each notifying event. */
const inApp: Subscription[] = NOTIFYING_TOPICS.map((topic) => subscribe(topic, inAppHandler(topic), { name: `${topic}.in-app` }));

/** One e-mail per recipient user who wants it (own handlers, after the in-app ones: retried and dead-lettered on their own). */
const email: Subscription[] = NOTIFYING_TOPICS.map((topic) => subscribe(topic, emailHandler(topic), { name: `${topic}.email` }));

export const subscriptions: readonly Subscription[] = [...members, ...inApp, ...email];

/** The subscriptions of a process: without the e-mail consumers when e-mail is turned off. */
export function subscriptionsFor(emailEnabled: boolean): readonly Subscription[] {
  return emailEnabled ? subscriptions : [...members, ...inApp];
}
