/**
 * The event catalogue: for every topic its data schema, CloudEvents `type`, `dataschema` URN and
 * version, the data field that is its Kafka key, who produces it and who consumes it.
 *
 * Naming (stable, documented in README.md):
 * - CloudEvents `type`:  `com.foodxchange.<topic>`          e.g. `com.foodxchange.order.created`
 * - `dataschema`:        `urn:foodxchange:events:<topic>:v<N>` e.g. `urn:foodxchange:events:order.created:v1`
 * - Kafka key = CloudEvents `subject` = the aggregate id (the `key` field of the data).
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { ALL_TOPICS, type Topic } from './topics.js';
import {
  CompanyCertificationAddedData,
  CompanyCreatedData,
  CompanyUpdatedData,
  CompanyVerifiedData,
  UserLoggedInData,
  UserRegisteredData,
  UserSuspendedData,
  UserUnsuspendedData,
  CompanyCertificationWithdrawnData,
} from './schemas/identity.js';
import { ProductCreatedData, ProductDeletedData, ProductUpdatedData } from './schemas/product.js';
import { QuoteSubmittedData, RfqAwardedData, RfqCancelledData, RfqCreatedData, RfqMatchedData } from './schemas/rfq.js';
import {
  ComplianceCheckedData,
  NotificationSentData,
  OrderConfirmedData,
  OrderCreatedData,
  OrderRejectedData,
  OrderStatusChangedData,
} from './schemas/order.js';

/** The `data` schema of every topic (current version). */
export const eventDataSchemas = {
  'user.registered': UserRegisteredData,
  'user.logged-in': UserLoggedInData,
  'user.suspended': UserSuspendedData,
  'user.unsuspended': UserUnsuspendedData,
  'company.created': CompanyCreatedData,
  'company.updated': CompanyUpdatedData,
  'company.verified': CompanyVerifiedData,
  'company.certification-added': CompanyCertificationAddedData,
  'company.certification-withdrawn': CompanyCertificationWithdrawnData,
  'product.created': ProductCreatedData,
  'product.updated': ProductUpdatedData,
  'product.deleted': ProductDeletedData,
  'rfq.created': RfqCreatedData,
  'rfq.matched': RfqMatchedData,
  'rfq.awarded': RfqAwardedData,
  'rfq.cancelled': RfqCancelledData,
  'quote.submitted': QuoteSubmittedData,
  'compliance.checked': ComplianceCheckedData,
  'order.created': OrderCreatedData,
  'order.confirmed': OrderConfirmedData,
  'order.rejected': OrderRejectedData,
  'order.status-changed': OrderStatusChangedData,
  'notification.sent': NotificationSentData,
} as const satisfies { [T in Topic]: TSchema };

export type EventDataSchemas = typeof eventDataSchemas;

/** The `data` of an event on topic `T`. */
export type EventData<T extends Topic> = Static<(typeof eventDataSchemas)[T]>;

/** Every key of `data` that is a string id: used to name each topic's Kafka key. */
type IdField<T extends Topic> = {
  [K in keyof EventData<T>]-?: EventData<T>[K] extends string ? K : never;
}[keyof EventData<T>] &
  string;

export type ServiceName = 'auth' | 'user' | 'catalog' | 'rfq' | 'compliance' | 'order' | 'notification' | 'admin';

export interface EventDefinition<T extends Topic = Topic> {
  topic: T;
  /** CloudEvents `type`. */
  type: string;
  /** Current schema version of the data. */
  version: number;
  /** CloudEvents `dataschema` of the current version. */
  dataschema: string;
  /** The data field holding the aggregate id: the Kafka key and the CloudEvents `subject`. */
  key: string;
  /** The aggregate the topic belongs to. */
  aggregate: string;
  producer: ServiceName;
  /** Platform services that consume it (partners may consume any topic). */
  consumers: readonly ServiceName[];
  summary: string;
}

export const EVENT_TYPE_PREFIX = 'com.foodxchange.';
export const DATASCHEMA_PREFIX = 'urn:foodxchange:events:';

/** CloudEvents `type` of a topic: `order.created` → `com.foodxchange.order.created`. */
export function eventTypeOf(topic: Topic): string {
  return `${EVENT_TYPE_PREFIX}${topic}`;
}

/** `dataschema` URN of a topic's data at a version: `urn:foodxchange:events:order.created:v1`. */
export function dataSchemaUri(topic: Topic, version: number = CURRENT_VERSION[topic]): string {
  return `${DATASCHEMA_PREFIX}${topic}:v${version}`;
}

/** The current data schema version of every topic. Bump only for a breaking change. */
const CURRENT_VERSION: { readonly [T in Topic]: number } = Object.fromEntries(ALL_TOPICS.map((topic) => [topic, 1])) as {
  [T in Topic]: number;
};

/**
 * Versions a consumer still accepts per topic. While a breaking change is rolled out, the old
 * version stays listed here for the deprecation window.
 */
export const SUPPORTED_VERSIONS: { readonly [T in Topic]: readonly number[] } = Object.fromEntries(
  ALL_TOPICS.map((topic) => [topic, Object.freeze([CURRENT_VERSION[topic]])]),
) as unknown as { [T in Topic]: readonly number[] };

type Meta<T extends Topic> = Pick<EventDefinition<T>, 'aggregate' | 'producer' | 'consumers' | 'summary'> & { key: IdField<T> };

const META: { [T in Topic]: Meta<T> } = {
  'user.registered': {
    key: 'userId',
    aggregate: 'user',
    producer: 'auth',
    consumers: ['user', 'notification', 'admin'],
    summary: 'A user account was created (with the company it acts for).',
  },
  'user.logged-in': {
    key: 'userId',
    aggregate: 'user',
    producer: 'auth',
    consumers: ['user', 'admin'],
    summary: 'A user logged in.',
  },
  'user.suspended': {
    key: 'userId',
    aggregate: 'user',
    producer: 'admin',
    consumers: ['auth', 'user', 'notification'],
    summary: 'An admin suspended a user: sessions are revoked, sign-in is refused.',
  },
  'user.unsuspended': {
    key: 'userId',
    aggregate: 'user',
    producer: 'admin',
    consumers: ['auth', 'user', 'notification'],
    summary: 'An admin lifted a suspension: the user may sign in again.',
  },
  'company.created': {
    key: 'companyId',
    aggregate: 'company',
    producer: 'user',
    consumers: ['catalog', 'rfq', 'order', 'compliance', 'admin'],
    summary: 'A buyer or supplier company was created.',
  },
  'company.updated': {
    key: 'companyId',
    aggregate: 'company',
    producer: 'user',
    consumers: ['catalog', 'admin'],
    summary: "A company's profile was edited (name, markets served, categories … after the change).",
  },
  'company.verified': {
    key: 'companyId',
    aggregate: 'company',
    producer: 'user',
    consumers: ['catalog', 'compliance', 'notification', 'admin'],
    summary: 'An admin verified a company.',
  },
  'company.certification-added': {
    key: 'companyId',
    aggregate: 'company',
    producer: 'user',
    consumers: ['catalog', 'compliance', 'admin'],
    summary: 'A certificate was added to a company (with the full list after the change).',
  },
  'company.certification-withdrawn': {
    key: 'companyId',
    aggregate: 'company',
    producer: 'user',
    consumers: ['catalog', 'compliance', 'admin'],
    summary: 'A certificate was withdrawn from a company (with the full list after the change).',
  },
  'product.created': {
    key: 'productId',
    aggregate: 'product',
    producer: 'catalog',
    consumers: ['compliance', 'order', 'admin'],
    summary: 'A supplier listed a product (full snapshot).',
  },
  'product.updated': {
    key: 'productId',
    aggregate: 'product',
    producer: 'catalog',
    consumers: ['compliance', 'order', 'admin'],
    summary: 'A product changed (full snapshot after the change).',
  },
  'product.deleted': {
    key: 'productId',
    aggregate: 'product',
    producer: 'catalog',
    consumers: ['compliance', 'order', 'admin'],
    summary: 'A product was removed from the catalogue.',
  },
  'rfq.created': {
    key: 'rfqId',
    aggregate: 'rfq',
    producer: 'rfq',
    consumers: ['catalog', 'admin'],
    summary: 'A buyer posted an RFQ; catalog matches suppliers for it.',
  },
  'rfq.matched': {
    key: 'rfqId',
    aggregate: 'rfq',
    producer: 'catalog',
    consumers: ['rfq', 'notification', 'admin'],
    summary: 'Suppliers matched to an RFQ; rfq stores them, notification tells each supplier.',
  },
  'rfq.awarded': {
    key: 'rfqId',
    aggregate: 'rfq',
    producer: 'rfq',
    consumers: ['order', 'notification', 'admin'],
    summary: 'The buyer awarded one quote; order creates exactly one order from it.',
  },
  'rfq.cancelled': {
    key: 'rfqId',
    aggregate: 'rfq',
    producer: 'rfq',
    consumers: ['notification', 'admin'],
    summary: 'An open RFQ was cancelled (or expired).',
  },
  'quote.submitted': {
    key: 'quoteId',
    aggregate: 'quote',
    producer: 'rfq',
    consumers: ['notification', 'admin'],
    summary: 'A supplier quoted on an RFQ; the buyer is notified.',
  },
  'compliance.checked': {
    key: 'checkId',
    aggregate: 'compliance-check',
    producer: 'compliance',
    consumers: ['order', 'admin'],
    summary: 'An order was validated against its market rules; order confirms or rejects it.',
  },
  'order.created': {
    key: 'orderId',
    aggregate: 'order',
    producer: 'order',
    consumers: ['compliance', 'rfq', 'notification', 'admin'],
    summary: 'An order was created in pending_compliance; compliance checks it.',
  },
  'order.confirmed': {
    key: 'orderId',
    aggregate: 'order',
    producer: 'order',
    consumers: ['notification', 'admin'],
    summary: 'An order passed compliance and is confirmed; both sides are told.',
  },
  'order.rejected': {
    key: 'orderId',
    aggregate: 'order',
    producer: 'order',
    consumers: ['rfq', 'notification', 'admin'],
    summary: 'An order failed compliance and is rejected; both sides are told, and rfq reopens the RFQ for another award.',
  },
  'order.status-changed': {
    key: 'orderId',
    aggregate: 'order',
    producer: 'order',
    consumers: ['notification', 'admin'],
    summary: 'Any order status transition (confirmed, rejected, shipped, delivered, cancelled).',
  },
  'notification.sent': {
    key: 'notificationId',
    aggregate: 'notification',
    producer: 'notification',
    consumers: ['admin'],
    summary: 'A notification was delivered to a user.',
  },
};

/** The catalogue entry of every topic. */
export const EVENT_CATALOG: { readonly [T in Topic]: EventDefinition<T> } = Object.fromEntries(
  ALL_TOPICS.map((topic) => [
    topic,
    Object.freeze({
      topic,
      type: eventTypeOf(topic),
      version: CURRENT_VERSION[topic],
      dataschema: dataSchemaUri(topic),
      ...META[topic],
    }),
  ]),
) as unknown as { [T in Topic]: EventDefinition<T> };

const TOPIC_OF_TYPE: ReadonlyMap<string, Topic> = new Map(ALL_TOPICS.map((topic) => [eventTypeOf(topic), topic]));

/** Maps a CloudEvents `type` back to its topic; undefined for a type outside the contract. */
export function topicOfEventType(type: string): Topic | undefined {
  return TOPIC_OF_TYPE.get(type);
}

/** The version a `dataschema` URN names for a topic, or undefined when it is not one of that topic's. */
export function versionOfDataSchema(topic: Topic, dataschema: string): number | undefined {
  const prefix = `${DATASCHEMA_PREFIX}${topic}:v`;
  if (!dataschema.startsWith(prefix)) return undefined;
  const rest = dataschema.slice(prefix.length);
  if (!/^[1-9][0-9]*$/.test(rest)) return undefined;
  return Number(rest);
}

/** The aggregate id of an event's data: its Kafka key and CloudEvents subject. */
export function subjectOf<T extends Topic>(topic: T, data: EventData<T>): string {
  const key = EVENT_CATALOG[topic].key;
  return String((data as Record<string, unknown>)[key]);
}
