/**
 * @foodxchange/contracts: the event contract of the platform.
 *
 * - Topics: `TOPICS`, `ALL_TOPICS`, `dlqTopic`.
 * - Data schemas (TypeBox → JSON Schema + static types): `eventDataSchemas`, `EventData<T>`, and
 *   the shared sub-schemas (`Money`, `CountryCode`, `Certification`, `OrderStatus`, …).
 * - CloudEvents envelope: `buildEvent`, `parseEvent`, `toKafkaMessage`, `topicOfEventType`.
 * - Partners: `asyncApiDocument()` and the generated files in `schemas/`.
 * - Size: `MAX_EVENT_BYTES`, `largestEvent(topic)` (the largest valid event), `eventBytes`.
 * - Markets: `marketForCountry` (delivery country → `EU`, `UK`, `US`, a country or `INTL`), `blocOfCountry`.
 */
export * from './topics.js';
export * from './access.js';
export * from './schemas/common.js';
export * from './schemas/identity.js';
export * from './schemas/product.js';
export * from './schemas/rfq.js';
export * from './schemas/order.js';
export * from './markets.js';
export * from './platform.js';
export {
  eventDataSchemas,
  EVENT_CATALOG,
  EVENT_TYPE_PREFIX,
  DATASCHEMA_PREFIX,
  SUPPORTED_VERSIONS,
  eventTypeOf,
  dataSchemaUri,
  topicOfEventType,
  versionOfDataSchema,
  subjectOf,
  type EventData,
  type EventDataSchemas,
  type EventDefinition,
  type ServiceName,
} from './catalog.js';
export {
  ContractViolationError,
  validateEventData,
  isEventData,
  assertEventData,
  validateAgainst,
  validatorFor,
  toContractErrors,
  type ContractError,
  type ValidationResult,
} from './validation.js';
export {
  CLOUDEVENTS_SPEC_VERSION,
  CLOUDEVENTS_CONTENT_TYPE,
  DATA_CONTENT_TYPE,
  CORRELATION_ID_EXTENSION,
  EnvelopeSchema,
  buildEvent,
  parseEvent,
  checkEvent,
  isEventOf,
  topicOf,
  toKafkaMessage,
  type Envelope,
  type FoodXchangeEvent,
  type BuildEventInput,
  type KafkaRecord,
} from './envelope.js';
export {
  asyncApiDocument,
  CONTRACT_VERSION,
  DLQ_HEADER_NAMES,
  ENVELOPE_SCHEMA_ID,
  JSON_SCHEMA_DIALECT,
} from './asyncapi.js';
export { MAX_EVENT_BYTES, UnboundedSchemaError, largestInstance, jsonBytes } from './largest.js';
export { eventBytes, fitsInOneMessage, largestEvent, largestEventBytes } from './event-size.js';
export { summariseFindings, type FindingsSummary } from './findings.js';
export { currencyExponent, toMinorUnits, fromMinorUnits, lineTotalMinor, sumMinor } from './money.js';
export { sampleEventData, sampleEvent, SAMPLE_IDS } from './samples.js';
