export { default as serviceKit, type ServiceKitOptions } from './kit.js';
export { buildService, runService, createFastify, type AppOptions, type ServiceApp } from './server.js';
export {
  loadServiceConfig,
  trustProxySetting,
  BaseConfigSchema,
  ConfigError,
  type BaseConfig,
  type ServiceConfig,
  type ServiceDefinition,
} from './config.js';
export {
  API_VERSION,
  Envelope,
  ErrorCode,
  ErrorEnvelopeSchema,
  MetadataSchema,
  PagedEnvelope,
  PageQuerySchema,
  PaginationSchema,
  errorEnvelope,
  metadataFor,
  ok,
  paged,
  type ErrorBody,
  type ErrorEnvelope,
  type Pagination,
} from './http/envelope.js';
export {
  AppError,
  AuthenticationError,
  AuthorizationError,
  ConflictError,
  NotFoundError,
  RateLimitError,
  ServiceUnavailableError,
  ValidationError,
  describeError,
  fieldErrors,
} from './http/errors.js';
export {
  default as accessPlugin,
  actsFor,
  assertMatchedSupplier,
  assertSameCompany,
  authorize,
  callerOf,
  describePolicy,
  identityFromClaims,
  jwksKeyResolver,
  securityOf,
  type AccessOptions,
  type AccessPolicy,
  type AccessTokenClaims,
  type Identity,
} from './http/access.js';
export { revocationKeys, revocationOf, revokedApiKeyKey, revokedTokenKey, suspendedUserKey } from './http/revocation.js';
export { CORRELATION_ID_HEADER, IDEMPOTENCY_KEY_HEADER, REQUEST_ID_HEADER, propagationHeaders } from './http/request-context.js';
export { MAX_JSON_DEPTH } from './http/bad-input.js';
export { SHUTTING_DOWN, StreamRegistry, type LongLivedStream } from './http/lifecycle.js';
export {
  HealthReportSchema,
  type HealthReport,
  type HealthCheck,
  type HealthCheckOptions,
  type HealthStatus,
  type LivenessCheck,
  type DependencyStatus,
} from './plugins/health.js';
export { connectMongo, ensureIndexes } from './plugins/mongo.js';
export { ensureTopics, type EventBus } from './plugins/kafka.js';
export {
  OutboxRelay,
  outboxBucketOf,
  outboxEntry,
  outboxPlugin,
  OUTBOX_ENTRY_RETENTION_MS,
  DELIVERED_RETENTION_MS,
  QUARANTINE_NOTICE_HEADER,
  quarantineNotice,
  rawOutboxEntry,
  stageEvent,
  stagedMarks,
  withStagedEvents,
  type EventContext,
  type OutboxEntry,
  type OutboxFields,
  type QuarantinedEntry,
  type RelayOptions,
} from './events/outbox.js';
export {
  DLQ_HEADERS,
  EventConsumer,
  processedEventId,
  processedEventModel,
  subscribe,
  subscribeBatch,
  subscribeBroadcast,
  subscribeRaw,
  type ConsumerOptions,
  type ConsumerOutcome,
  type ProcessedStatus,
  type SubscribeOptions,
  type SubscriptionMode,
  type EventHandler,
  type EventHandlerContext,
  type ProcessedEvent,
  type Subscription,
  type RawSubscription,
  type BatchSubscription,
  type BatchEventHandler,
  type SubscribeBatchOptions,
  type RawMessage,
  type RawMessageHandler,
  type AnySubscription,
} from './events/consumer.js';
export { PermanentError, backoffDelay, isRetryable } from './events/backoff.js';
export { ServiceClient, type ServiceClientOptions, type ServiceResponse, type CallOptions } from './http/service-client.js';
export { isDuplicateKeyError } from './persistence/duplicate-key.js';
export { AggregateLocks, LockBusyError, LockLostError, LOCK_TOKEN_FIELD, type AggregateLockOptions, type HeldLock } from './persistence/aggregate-lock.js';
