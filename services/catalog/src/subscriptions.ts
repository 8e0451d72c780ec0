import { TOPICS, type Topic } from '@foodxchange/contracts';
import type { Subscription } from '@foodxchange/service-kit';

/** Topics this service publishes (created at start-up) and the topic → handler lines it consumes. */
export const publishes: readonly Topic[] = [];

export const subscriptions: readonly Subscription[] = [
  // company read copies (from the user service)

  // the product index

  // matching
];
