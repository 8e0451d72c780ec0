import { TOPICS, type Topic } from '@foodxchange/contracts';
import { subscribe, type Subscription } from '@foodxchange/service-kit';
import { applySuspension, applyUnsuspension } from './suspension/service.js';

/** Topics this service publishes (created at start-up) and the topic → handler lines it consumes. */
export const publishes: readonly Topic[] = [TOPICS.userRegistered, TOPICS.userLoggedIn];

export const subscriptions: readonly Subscription[] = [
  subscribe(TOPICS.userSuspended, (event, { app, log }) => applySuspension(app.auth, event.data, log)),
  subscribe(TOPICS.userUnsuspended, (event, { app, log }) => applyUnsuspension(app.auth, event.data, log)),
];
