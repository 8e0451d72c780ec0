import { TOPICS, type Topic } from '@foodxchange/contracts';
import type { Subscription } from '@foodxchange/service-kit';

/** Topics this service publishes (created at start-up) and the topic → handler lines it consumes. */
export const publishes: readonly Topic[] = [TOPICS.complianceChecked];

// The saga's order.created consumer arrives in a later milestone.
export const subscriptions: readonly Subscription[] = [];
