import { TOPICS, type Topic } from '@foodxchange/contracts';
import { subscribe, subscribeBatch, type AnySubscription } from '@foodxchange/service-kit';
import { onComplianceChecked, onRfqAwarded } from './orders/events.js';
import { onProductsChanged } from './products/events.js';

/** Topics this service publishes (created at start-up) and the topic → handler lines it consumes. */
export const publishes: readonly Topic[] = [TOPICS.orderCreated, TOPICS.orderConfirmed, TOPICS.orderRejected, TOPICS.orderStatusChanged];

export const subscriptions: readonly AnySubscription[] = [
  // the saga
  subscribe(TOPICS.rfqAwarded, onRfqAwarded, { name: 'rfq.awarded.order' }),
  subscribe(TOPICS.complianceChecked, onComplianceChecked, { name: 'compliance.checked.order-outcome' }),
  // product read copies: batch handlers, idempotent by the products' versions (products/events.ts)
  subscribeBatch(TOPICS.productCreated, onProductsChanged, { name: 'product.created.copy' }),
  subscribeBatch(TOPICS.productUpdated, onProductsChanged, { name: 'product.updated.copy' }),
  subscribeBatch(TOPICS.productDeleted, onProductsChanged, { name: 'product.deleted.copy' }),
];
