/**
 * Kafka topics: one per event type, named `<aggregate>.<past-tense-verb>`, keyed by aggregate id.
 * Records that a consumer cannot process go to `<topic>.dlq`.
 */
export const TOPICS = {
  userRegistered: 'user.registered',
  userLoggedIn: 'user.logged-in',
  userSuspended: 'user.suspended',
  userUnsuspended: 'user.unsuspended',
  companyCreated: 'company.created',
  companyUpdated: 'company.updated',
  companyVerified: 'company.verified',
  companyCertificationAdded: 'company.certification-added',
  companyCertificationWithdrawn: 'company.certification-withdrawn',
  productCreated: 'product.created',
  productUpdated: 'product.updated',
  productDeleted: 'product.deleted',
  rfqCreated: 'rfq.created',
  rfqMatched: 'rfq.matched',
  rfqAwarded: 'rfq.awarded',
  rfqCancelled: 'rfq.cancelled',
  quoteSubmitted: 'quote.submitted',
  complianceChecked: 'compliance.checked',
  orderCreated: 'order.created',
  orderConfirmed: 'order.confirmed',
  orderRejected: 'order.rejected',
  orderStatusChanged: 'order.status-changed',
  notificationSent: 'notification.sent',
} as const;

export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

export const ALL_TOPICS: readonly Topic[] = Object.freeze(Object.values(TOPICS));

const TOPIC_SET: ReadonlySet<string> = new Set(ALL_TOPICS);

export function isTopic(value: unknown): value is Topic {
  return typeof value === 'string' && TOPIC_SET.has(value);
}

export const DLQ_SUFFIX = '.dlq';

/** The dead-letter topic of a topic: `order.created` → `order.created.dlq`. */
export function dlqTopic(topic: string): string {
  return `${topic}${DLQ_SUFFIX}`;
}

export function isDlqTopic(topic: string): boolean {
  return topic.endsWith(DLQ_SUFFIX) && topic.length > DLQ_SUFFIX.length;
}

/** The topic a dead-letter topic belongs to, or undefined for a topic that is not a DLQ. */
export function topicOfDlq(topic: string): string | undefined {
  return isDlqTopic(topic) ? topic.slice(0, -DLQ_SUFFIX.length) : undefined;
}

export const ALL_DLQ_TOPICS: readonly string[] = Object.freeze(ALL_TOPICS.map((topic) => `${topic}${DLQ_SUFFIX}`));
