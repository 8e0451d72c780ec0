import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  ConfigError,
  ConflictError,
  describeError,
  fieldErrors,
  isRetryable,
  loadServiceConfig,
  LockBusyError,
  LockLostError,
  NotFoundError,
  PermanentError,
  RateLimitError,
  ServiceUnavailableError,
  ValidationError,
} from '../src/index.js';

const service = { name: 'order', version: '0.1.0', description: 'orders', defaultPort: 3006 };

describe('configuration', () => {
  it('has working local defaults derived from the service', () => {
    const config = loadServiceConfig(service, {}, {});
    expect(config).toMatchObject({ PORT: 3006, MONGO_DB: 'order', KAFKA_GROUP_ID: 'foodxchange.order', KAFKA_FROM_BEGINNING: true, HOST: '127.0.0.1', KAFKA_TOPIC_PARTITIONS: 6 });
    expect(config.MONGO_URL).toContain('directConnection=true');
  });

  it('reads and coerces the environment', () => {
    const config = loadServiceConfig(service, {}, { PORT: '4100', KAFKA_FROM_BEGINNING: 'false', LOG_LEVEL: 'warn' });
    expect(config).toMatchObject({ PORT: 4100, KAFKA_FROM_BEGINNING: false, LOG_LEVEL: 'warn' });
  });

  it('rejects invalid settings at start with the variable named', () => {
    expect(() => loadServiceConfig(service, {}, { PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadServiceConfig(service, {}, { PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadServiceConfig(service, {}, { MONGO_DB: 'bad.name' })).toThrow(/MONGO_DB/);
  });
});

describe('backoff', () => {
  it('grows exponentially within jitter bounds and is capped', () => {
    expect(backoffDelay(1, 100, 30_000, () => 0)).toBe(50);
    expect(backoffDelay(1, 100, 30_000, () => 1)).toBe(100);
    expect(backoffDelay(4, 100, 30_000, () => 1)).toBe(800);
    expect(backoffDelay(20, 100, 5_000, () => 1)).toBe(5_000);
  });

  it('never retries permanent or contract errors', () => {
    expect(isRetryable(new Error('timeout'))).toBe(true);
    expect(isRetryable(new PermanentError('bad invariant'))).toBe(false);
    const contract = Object.assign(new Error('bad data'), { name: 'ContractViolationError' });
    expect(isRetryable(contract)).toBe(false);
  });

  it('sends 4xx-class and duplicate-key errors straight to the DLQ, retries "later" answers', () => {
    expect(isRetryable(new ValidationError('bad order'))).toBe(false);
    expect(isRetryable(new NotFoundError('Order 42'))).toBe(false);
    expect(isRetryable(new ConflictError('already confirmed'))).toBe(false);
    expect(isRetryable(Object.assign(new Error('HTTP 422'), { statusCode: 422 }))).toBe(false);
    expect(isRetryable(Object.assign(new Error('E11000 duplicate key'), { code: 11000 }))).toBe(false);
    // Try-again-later answers and server-side failures are retried.
    expect(isRetryable(new RateLimitError())).toBe(true);
    expect(isRetryable(Object.assign(new Error('timeout'), { statusCode: 408 }))).toBe(true);
    expect(isRetryable(new ServiceUnavailableError('catalog'))).toBe(true);
    expect(isRetryable(Object.assign(new Error('bad gateway'), { statusCode: 502 }))).toBe(true);
    // An explicit mark wins: a busy lock is a 409 that clears by itself.
    expect(isRetryable(Object.assign(new ConflictError('someone else is changing this'), { retryable: true }))).toBe(true);
    // The kit's own lock errors carry that mark: a consumer waits its turn instead of dead-lettering.
    expect(isRetryable(new LockBusyError('order:1'))).toBe(true);
    expect(isRetryable(new LockLostError('order:1', 'lease expired'))).toBe(true);
    expect(describeError(new LockBusyError('order:1')).status).toBe(409);
  });
});

describe('error mapping', () => {
  it('explains a failed anyOf of required fields field by field, without the umbrella error', () => {
    expect(
      fieldErrors('body', [
        { instancePath: '', schemaPath: '#/anyOf/0/required', keyword: 'required', params: { missingProperty: 'market' } },
        { instancePath: '', schemaPath: '#/anyOf/1/required', keyword: 'required', params: { missingProperty: 'deliveryCountry' } },
        { instancePath: '', schemaPath: '#/anyOf', keyword: 'anyOf', message: 'must match a schema in anyOf' },
        { instancePath: '/supplier', schemaPath: '#/properties/supplier/required', keyword: 'required', params: { missingProperty: 'companyId' } },
      ]),
    ).toEqual({
      'body.market': ['is required unless deliveryCountry is given'],
      'body.deliveryCountry': ['is required unless market is given'],
      'body.supplier.companyId': ['is required'],
    });
    // Other anyOf branches keep their own messages; the umbrella still goes.
    expect(
      fieldErrors('body', [
        { instancePath: '/price', schemaPath: '#/properties/price/anyOf/0/type', keyword: 'type', message: 'must be number' },
        { instancePath: '/price', schemaPath: '#/properties/price/anyOf/1/type', keyword: 'type', message: 'must be string' },
        { instancePath: '/price', schemaPath: '#/properties/price/anyOf', keyword: 'anyOf', message: 'must match a schema in anyOf' },
      ]),
    ).toEqual({ 'body.price': ['must be number', 'must be string'] });
  });

  it('turns ajv errors into field paths', () => {
    expect(
      fieldErrors('body', [
        { instancePath: '/items/0/quantity', keyword: 'minimum', message: 'must be >= 1' },
        { instancePath: '', keyword: 'required', params: { missingProperty: 'title' }, message: 'x' },
        { instancePath: '/items/0', keyword: 'additionalProperties', params: { additionalProperty: 'colour' }, message: 'x' },
      ]),
    ).toEqual({ 'body.items.0.quantity': ['must be >= 1'], 'body.title': ['is required'], 'body.items.0.colour': ['is not allowed'] });
  });

  it('maps duplicate keys to 409 and unknown errors to an opaque 500', () => {
    expect(describeError(Object.assign(new Error('E11000'), { code: 11000 })).status).toBe(409);
    expect(describeError(new TypeError('x is undefined'))).toMatchObject({ status: 500, body: { code: 'INTERNAL_ERROR' } });
  });
});

describe('staging events', () => {
  it('appends the entry with its stamp and prunes history past the retention', async () => {
    const { stageEvent, OUTBOX_ENTRY_RETENTION_MS } = await import('../src/index.js');
    const { sampleEventData, TOPICS } = await import('@foodxchange/contracts');
    const old = { id: 'old', topic: 'x', key: 'k', value: '{}', headers: '{}', createdAt: new Date(Date.now() - OUTBOX_ENTRY_RETENTION_MS - 1000) };
    const recent = { ...old, id: 'recent', createdAt: new Date(Date.now() - 1000) };
    const doc = { outbox: [old, recent], outboxStagedAt: null as Date | null };
    const event = stageEvent(doc, TOPICS.complianceChecked, 'chk-1', sampleEventData[TOPICS.complianceChecked], { source: '/foodxchange/test', correlationId: 'corr-unit-1' });
    expect(doc.outbox.map((entry) => entry.id)).toEqual(['recent', event.id]);
    expect(doc.outboxStagedAt).toEqual(doc.outbox[1]!.createdAt);
    expect(JSON.parse(doc.outbox[1]!.value)).toMatchObject({ id: event.id, subject: 'chk-1', correlationid: 'corr-unit-1' });
    expect((doc as { outboxBucket?: string }).outboxBucket).toBe(`${doc.outbox[1]!.createdAt.toISOString().slice(0, 18)}0`);
  });

  it('marks the staging slot beside the time on every path, the 10 UTC seconds of the latest entry', async () => {
    const { outboxBucketOf, stagedMarks, withStagedEvents } = await import('../src/index.js');
    expect(outboxBucketOf(new Date('2026-12-01T14:39:59.999Z'))).toBe('2026-12-01T14:39:50');
    expect(outboxBucketOf(new Date('2026-12-01T14:40:00.000Z'))).toBe('2026-12-01T14:40:00');
    expect(outboxBucketOf(new Date('2026-12-01T14:40:09.999Z'))).toBe('2026-12-01T14:40:00');
    const at = new Date('2026-12-31T23:59:35Z');
    expect(stagedMarks(at)).toEqual({ outboxStagedAt: at, outboxBucket: '2026-12-31T23:59:30' });
    const entry = (id: string, createdAt: string) => ({ id, topic: 'x', key: 'k', value: '{}', headers: '{}', createdAt: new Date(createdAt) });
    const update = withStagedEvents({ $set: { verdict: 'passed' }, $inc: { version: 1 } }, [entry('a', '2027-01-01T00:00:10Z'), entry('b', '2026-12-31T23:59:50Z')]);
    expect(update).toMatchObject({
      $set: { verdict: 'passed', outboxStagedAt: new Date('2027-01-01T00:00:10Z'), outboxBucket: '2027-01-01T00:00:10' },
      $inc: { version: 1 },
    });
  });
});
