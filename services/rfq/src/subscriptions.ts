import { TOPICS, type Topic } from '@foodxchange/contracts';
import { subscribe, type Subscription } from '@foodxchange/service-kit';
import { onOrderCreated, onOrderRejected } from './awards/events.js';
import { onRfqMatched } from './rfqs/events.js';

/** Topics this service publishes (created at start-up) and the topic → handler lines it consumes. */
export const publishes: readonly Topic[] = [TOPICS.rfqCreated, TOPICS.quoteSubmitted, TOPICS.rfqAwarded, TOPICS.rfqCancelled];

export const subscriptions: readonly Subscription[] = [
  // catalog's matcher answers rfq.created
  subscribe(TOPICS.rfqMatched, onRfqMatched, { name: 'rfq.matched.store' }),
  // the order of an award: recorded, and a compliance rejection reopens the RFQ
  subscribe(TOPICS.orderCreated, onOrderCreated, { name: 'order.created.award' }),
  subscribe(TOPICS.orderRejected, onOrderRejected, { name: 'order.rejected.reopen' }),
];
