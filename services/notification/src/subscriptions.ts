import { TOPICS, type Topic } from '@foodxchange/contracts';
import { subscribe, type Subscription } from '@foodxchange/service-kit';
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

export const subscriptions: readonly Subscription[] = [...members, ...inApp];
