import { TOPICS, type Topic } from '@foodxchange/contracts';
import { subscribe, type Subscription } from '@foodxchange/service-kit';
import { onRfqCreated } from './matching/events.js';

/** Topics this service publishes (created at start-up) and the topic → handler lines it consumes. */
export const publishes: readonly Topic[] = [
  // matching
  TOPICS.rfqMatched,
];

export const subscriptions: readonly Subscription[] = [
  // company read copies (from the user service)

  // the product index

  // matching
  subscribe(TOPICS.rfqCreated, onRfqCreated, { name: 'rfq.created.matching' }),
];
