import { TOPICS, type Topic } from '@foodxchange/contracts';
import { subscribe, subscribeBatch, subscribeBroadcast, type AnySubscription } from '@foodxchange/service-kit';
import {
  onCertificationAdded,
  onCertificationWithdrawn,
  onCompanyCreated,
  onCompanyUpdated,
  onCompanyVerified,
  onUserRegistered,
  onUserSuspended,
  onUserUnsuspended,
} from './companies/events.js';
import { onProductChangedForCache } from './products/events.js';
import { onRfqCreated } from './matching/events.js';
import { onProductsChanged } from './search/events.js';

/** Topics this service publishes (created at start-up) and the topic → handler lines it consumes. */
export const publishes: readonly Topic[] = [
  TOPICS.productCreated, TOPICS.productUpdated, TOPICS.productDeleted,
  // matching
  TOPICS.rfqMatched,
];

export const subscriptions: readonly AnySubscription[] = [
  // company read copies (from the user service)
  subscribe(TOPICS.companyCreated, onCompanyCreated, { name: 'company.created.copy' }),
  subscribe(TOPICS.companyUpdated, onCompanyUpdated, { name: 'company.updated.copy' }),
  subscribe(TOPICS.companyVerified, onCompanyVerified, { name: 'company.verified.copy' }),
  subscribe(TOPICS.companyCertificationAdded, onCertificationAdded, { name: 'company.certification-added.copy' }),
  subscribe(TOPICS.companyCertificationWithdrawn, onCertificationWithdrawn, { name: 'company.certification-withdrawn.copy' }),
  subscribe(TOPICS.userRegistered, onUserRegistered, { name: 'user.registered.company-member' }),
  subscribe(TOPICS.userSuspended, onUserSuspended, { name: 'user.suspended.company-member' }),
  subscribe(TOPICS.userUnsuspended, onUserUnsuspended, { name: 'user.unsuspended.company-member' }),
  // every replica drops its in-process copy of a product another replica changed
  subscribeBroadcast(TOPICS.productUpdated, onProductChangedForCache, { name: 'product.updated.cache' }),
  subscribeBroadcast(TOPICS.productDeleted, onProductChangedForCache, { name: 'product.deleted.cache' }),

  // the product index: batch handlers, idempotent by the products' versions (search/events.ts)
  subscribeBatch(TOPICS.productCreated, onProductsChanged, { name: 'product.created.search-index' }),
  subscribeBatch(TOPICS.productUpdated, onProductsChanged, { name: 'product.updated.search-index' }),
  subscribeBatch(TOPICS.productDeleted, onProductsChanged, { name: 'product.deleted.search-index' }),

  // matching
  subscribe(TOPICS.rfqCreated, onRfqCreated, { name: 'rfq.created.matching' }),
];
