import { TOPICS, type Topic } from '@foodxchange/contracts';
import { subscribe, type Subscription } from '@foodxchange/service-kit';
import { onCertificationAdded, onCertificationWithdrawn, onCompanyCreated, onCompanyVerified } from './companies/events.js';
import { onProductChanged, onProductDeleted } from './products/events.js';
import { onOrderCreated } from './verdicts/events.js';

/** Topics this service publishes (created at start-up) and the topic → handler lines it consumes. */
export const publishes: readonly Topic[] = [TOPICS.complianceChecked];

export const subscriptions: readonly Subscription[] = [
  // supplier certificates (from the user service)
  subscribe(TOPICS.companyCreated, onCompanyCreated, { name: 'company.created.copy' }),
  subscribe(TOPICS.companyVerified, onCompanyVerified, { name: 'company.verified.copy' }),
  subscribe(TOPICS.companyCertificationAdded, onCertificationAdded, { name: 'company.certification-added.copy' }),
  subscribe(TOPICS.companyCertificationWithdrawn, onCertificationWithdrawn, { name: 'company.certification-withdrawn.copy' }),
  // products (from catalog)
  subscribe(TOPICS.productCreated, onProductChanged, { name: 'product.created.copy' }),
  subscribe(TOPICS.productUpdated, onProductChanged, { name: 'product.updated.copy' }),
  subscribe(TOPICS.productDeleted, onProductDeleted, { name: 'product.deleted.copy' }),
  // the saga: an order's verdict
  subscribe(TOPICS.orderCreated, onOrderCreated, { name: 'order.created.verdict' }),
];
