import { ALL_TOPICS, TOPICS, dlqTopic, type Topic } from '@foodxchange/contracts';
import { subscribe, subscribeRaw, type AnySubscription } from '@foodxchange/service-kit';
import { recordAuditEvent } from './audit/record.js';
import { recordDeadLetter } from './dead-letters/record.js';
import { statsSubscriptions } from './stats/events.js';
import { adminUserModel } from './users/model.js';
import { recordRegisteredUser } from './users/service.js';

/** Topics this service publishes (created at start-up) and the topic → handler lines it consumes. */
export const publishes: readonly Topic[] = [TOPICS.userSuspended, TOPICS.userUnsuspended];

export const subscriptions: readonly AnySubscription[] = [
  // Audit log: every contract topic → one handler recording the event.
  ...ALL_TOPICS.map((topic) => subscribe(topic, recordAuditEvent)),
  // Dead letters: every <topic>.dlq → one raw handler recording the record verbatim.
  ...ALL_TOPICS.map((topic) => subscribeRaw(dlqTopic(topic), recordDeadLetter)),
  // The console's user accounts (suspension needs to know who exists).
  subscribe(TOPICS.userRegistered, (event, { app }) => recordRegisteredUser(adminUserModel(app.mongo), event), { name: 'user.registered.accounts' }),
  // The platform stats read model: each aggregate's current state, from the topics that change it.
  ...statsSubscriptions,
];
