import { TOPICS, type Topic } from '@foodxchange/contracts';
import { subscribe, type Subscription } from '@foodxchange/service-kit';
import { onUserRegistered, onUserSuspended, onUserUnsuspended } from './users/events.js';

/** Topics this service publishes (created at start-up) and the topic → handler lines it consumes. */
export const publishes: readonly Topic[] = [
  TOPICS.companyCreated,
  TOPICS.companyUpdated,
  TOPICS.companyVerified,
  TOPICS.companyCertificationAdded,
  TOPICS.companyCertificationWithdrawn,
];

export const subscriptions: readonly Subscription[] = [
  subscribe(TOPICS.userRegistered, onUserRegistered),
  subscribe(TOPICS.userSuspended, onUserSuspended),
  subscribe(TOPICS.userUnsuspended, onUserUnsuspended),
];
