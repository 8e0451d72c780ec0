import { describe, expect, it } from 'vitest';
import { CloudEvent, Kafka, type KafkaMessage } from 'cloudevents';
import {
  ALL_TOPICS,
  CLOUDEVENTS_CONTENT_TYPE,
  ContractViolationError,
  EVENT_CATALOG,
  TOPICS,
  buildEvent,
  dataSchemaUri,
  eventTypeOf,
  isEventOf,
  parseEvent,
  subjectOf,
  toKafkaMessage,
  topicOf,
  topicOfEventType,
  type EventData,
  type FoodXchangeEvent,
  type Topic,
} from '../src/index.js';
import { sampleEventData } from './samples.js';

function build<T extends Topic>(topic: T, data: EventData<T> = sampleEventData[topic]): FoodXchangeEvent<T> {
  return buildEvent(topic, {
    source: `/foodxchange/${EVENT_CATALOG[topic].producer}`,
    subject: subjectOf(topic, data),
    data,
    correlationId: 'corr-123',
  });
}

/** The violation a function throws (fails the test when it throws nothing or something else). */
function violation(fn: () => unknown): ContractViolationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ContractViolationError);
    return error as ContractViolationError;
  }
  throw new Error('expected a ContractViolationError, nothing was thrown');
}

const valid = () => JSON.parse(toKafkaMessage(build(TOPICS.orderCreated)).value) as Record<string, unknown>;

describe('buildEvent → parseEvent round trip', () => {
  it.each(ALL_TOPICS)('%s', (topic) => {
    const event = build(topic);
    expect(event).toMatchObject({
      specversion: '1.0',
      type: `com.foodxchange.${topic}`,
      source: `/foodxchange/${EVENT_CATALOG[topic].producer}`,
      datacontenttype: 'application/json',
      dataschema: `urn:foodxchange:events:${topic}:v1`,
      correlationid: 'corr-123',
      subject: subjectOf(topic, sampleEventData[topic]),
    });
    expect(event.data).toEqual(sampleEventData[topic]);

    const message = toKafkaMessage(event);
    const parsed = parseEvent(message.value, topic);
    expect(parsed).toEqual(event);
    expect(topicOf(parsed)).toBe(topic);
    // also from a Buffer, as kafkajs hands values over
    expect(parseEvent(Buffer.from(message.value), topic)).toEqual(event);
    // and without naming the topic
    expect(parseEvent(message.value)).toEqual(event);
  });

  it('fills id (a UUID) and time (now) and keeps given ones', () => {
    const before = Date.now();
    const event = build(TOPICS.rfqCreated);
    expect(event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Date.parse(event.time)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(event.time)).toBeLessThanOrEqual(Date.now() + 1);
    expect(build(TOPICS.rfqCreated).id).not.toBe(event.id);

    const fixed = buildEvent(TOPICS.rfqCreated, {
      source: '/foodxchange/rfq',
      subject: 'r1',
      data: sampleEventData['rfq.created'],
      correlationId: 'c',
      id: 'evt-1',
      time: '2025-03-01T10:00:00.000Z',
    });
    expect(fixed.id).toBe('evt-1');
    expect(fixed.time).toBe('2025-03-01T10:00:00.000Z');
  });

  it('returns a plain JSON object that is exactly what goes on the wire', () => {
    const event = build(TOPICS.orderCreated);
    expect(Object.getPrototypeOf(event)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(event))).toEqual(event);
    expect(JSON.parse(toKafkaMessage(event).value)).toEqual(event);
    expect(Object.keys(event).sort()).toEqual(
      ['correlationid', 'data', 'datacontenttype', 'dataschema', 'id', 'source', 'specversion', 'subject', 'time', 'type'].sort(),
    );
  });

  it('is readable by the cloudevents SDK as a structured Kafka message', () => {
    const message = toKafkaMessage(build(TOPICS.quoteSubmitted));
    const kafkaMessage: KafkaMessage<string> = { key: message.key, value: message.value, body: message.value, headers: message.headers };
    const sdkEvent = Kafka.toEvent(kafkaMessage) as CloudEvent<unknown>;
    expect(sdkEvent.type).toBe('com.foodxchange.quote.submitted');
    expect(sdkEvent.correlationid).toBe('corr-123');
    expect(sdkEvent.data).toEqual(sampleEventData['quote.submitted']);
  });
});

describe('buildEvent rejects data that breaks the contract', () => {
  it('with the path of every problem', () => {
    const data = {
      ...sampleEventData['rfq.created'],
      deliveryCountry: 'Sweden',
      items: [{ ...sampleEventData['rfq.created'].items[0]!, quantity: -1, targetUnitPriceMinor: 7.99 }],
    };
    const error = violation(() => build(TOPICS.rfqCreated, data as EventData<'rfq.created'>));
    const paths = error.errors.map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining(['/data/deliveryCountry', '/data/items/0/quantity', '/data/items/0/targetUnitPriceMinor']),
    );
    expect(error.message).toContain('/data/items/0/quantity');
    expect(error.retryable).toBe(false);
    expect(error.name).toBe('ContractViolationError');
  });

  it('names a missing required field at its own path', () => {
    const { orderId: _omit, ...data } = sampleEventData['order.created'];
    const error = violation(() => build(TOPICS.orderCreated, data as EventData<'order.created'>));
    expect(error.errors).toContainEqual({ path: '/data/orderId', message: 'is required' });
  });

  it('refuses an empty correlation id, subject or source', () => {
    const base = { source: '/foodxchange/order', subject: 'o1', data: sampleEventData['order.created'], correlationId: 'c' };
    expect(violation(() => buildEvent(TOPICS.orderCreated, { ...base, correlationId: '' })).errors.map((e) => e.path)).toContain(
      '/correlationid',
    );
    violation(() => buildEvent(TOPICS.orderCreated, { ...base, subject: '' }));
    violation(() => buildEvent(TOPICS.orderCreated, { ...base, source: '' }));
  });

  it('refuses a time that is not RFC 3339', () => {
    const base = { source: '/foodxchange/order', subject: 'o1', data: sampleEventData['order.created'], correlationId: 'c' };
    violation(() => buildEvent(TOPICS.orderCreated, { ...base, time: 'yesterday' }));
  });

  it('refuses an unknown topic', () => {
    const error = violation(() =>
      buildEvent('order.shipped' as Topic, { source: '/x', subject: 's', data: {} as never, correlationId: 'c' }),
    );
    expect(error.message).toContain('unknown topic');
  });
});

describe('parseEvent refuses poison', () => {
  it('null, empty and garbage', () => {
    expect(violation(() => parseEvent(null)).message).toContain('empty');
    violation(() => parseEvent(''));
    violation(() => parseEvent(Buffer.alloc(0)));
    expect(violation(() => parseEvent('{"not": "a cloudevent"')).message).toContain('not JSON');
    violation(() => parseEvent(Buffer.from([0xff, 0xfe, 0x00])));
    violation(() => parseEvent('42'));
    violation(() => parseEvent('[]'));
    violation(() => parseEvent('"order.created"'));
  });

  it('a missing correlationid', () => {
    const { correlationid: _omit, ...event } = valid();
    const error = violation(() => parseEvent(JSON.stringify(event)));
    expect(error.errors).toContainEqual({ path: '/correlationid', message: 'is required' });
  });

  it('a bad specversion', () => {
    const error = violation(() => parseEvent(JSON.stringify({ ...valid(), specversion: '0.3' })));
    expect(error.errors.map((e) => e.path)).toContain('/specversion');
  });

  it.each(['id', 'type', 'source', 'subject', 'time', 'datacontenttype', 'dataschema', 'data'])('a missing %s', (attribute) => {
    const event = valid();
    delete event[attribute];
    expect(violation(() => parseEvent(JSON.stringify(event))).errors.map((e) => e.path)).toContain(`/${attribute}`);
  });

  it('a non-JSON datacontenttype or binary data', () => {
    violation(() => parseEvent(JSON.stringify({ ...valid(), datacontenttype: 'text/xml' })));
    const { data: _data, ...rest } = valid();
    violation(() => parseEvent(JSON.stringify({ ...rest, data_base64: 'e30=' })));
  });

  it('an extension attribute name CloudEvents forbids', () => {
    const error = violation(() => parseEvent(JSON.stringify({ ...valid(), correlationId: 'x' })));
    expect(error.errors.some((e) => e.message.includes('property name'))).toBe(true);
  });

  it('an unknown type', () => {
    const error = violation(() => parseEvent(JSON.stringify({ ...valid(), type: 'com.foodxchange.order.shipped' })));
    expect(error.errors).toEqual([{ path: '/type', message: expect.stringContaining('not a FoodXchange event type') }]);
    violation(() => parseEvent(JSON.stringify({ ...valid(), type: 'com.example.order.created' })));
  });

  it('an event on the wrong topic', () => {
    const error = violation(() => parseEvent(toKafkaMessage(build(TOPICS.orderCreated)).value, TOPICS.orderConfirmed));
    expect(error.message).toContain('wrong topic');
  });

  it('a dataschema of another topic or an unsupported version', () => {
    const other = violation(() => parseEvent(JSON.stringify({ ...valid(), dataschema: dataSchemaUri('order.confirmed') })));
    expect(other.errors[0]?.path).toBe('/dataschema');
    violation(() => parseEvent(JSON.stringify({ ...valid(), dataschema: 'urn:foodxchange:events:order.created:v2' })));
    violation(() => parseEvent(JSON.stringify({ ...valid(), dataschema: 'https://schemas.example/order.created.json' })));
  });

  it('data that fails its schema, with /data paths', () => {
    const event = build(TOPICS.complianceChecked);
    const tampered = { ...event, data: { ...event.data, passed: 'maybe' } };
    const error = violation(() => parseEvent(JSON.stringify(tampered), TOPICS.complianceChecked));
    expect(error.errors.map((e) => e.path)).toContain('/data/passed');
  });

  it('but tolerates fields and extensions it does not know (forward compatibility)', () => {
    const event = valid();
    const newer = {
      ...event,
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      data: { ...(event.data as object), loyaltyTier: 'gold', items: (event.data as { items: object[] }).items.map((i) => ({ ...i, hsCode: '1509' })) },
    };
    const parsed = parseEvent(JSON.stringify(newer), TOPICS.orderCreated);
    expect((parsed.data as unknown as { loyaltyTier: string }).loyaltyTier).toBe('gold');
  });
});

describe('type ↔ topic', () => {
  it('maps every topic to com.foodxchange.<topic> and back', () => {
    for (const topic of ALL_TOPICS) {
      expect(eventTypeOf(topic)).toBe(`com.foodxchange.${topic}`);
      expect(EVENT_CATALOG[topic].type).toBe(eventTypeOf(topic));
      expect(topicOfEventType(eventTypeOf(topic))).toBe(topic);
    }
  });

  it('knows no other types', () => {
    expect(topicOfEventType('order.created')).toBeUndefined();
    expect(topicOfEventType('com.foodxchange.order.shipped')).toBeUndefined();
    expect(topicOfEventType('com.foodxchange.order.created.v2')).toBeUndefined();
    expect(topicOfEventType('')).toBeUndefined();
  });

  it('narrows a parsed event by topic', () => {
    const parsed = parseEvent(toKafkaMessage(build(TOPICS.rfqAwarded)).value);
    expect(isEventOf(parsed, TOPICS.rfqAwarded)).toBe(true);
    expect(isEventOf(parsed, TOPICS.rfqCreated)).toBe(false);
    if (isEventOf(parsed, TOPICS.rfqAwarded)) expect(parsed.data.totalMinor).toBe(3_150_000);
  });
});

describe('toKafkaMessage', () => {
  it('keys by subject and marks structured CloudEvents JSON', () => {
    const event = build(TOPICS.orderStatusChanged);
    const message = toKafkaMessage(event);
    expect(message).toEqual({
      key: sampleEventData['order.status-changed'].orderId,
      value: expect.any(String),
      headers: { 'content-type': 'application/cloudevents+json' },
    });
    expect(CLOUDEVENTS_CONTENT_TYPE).toBe('application/cloudevents+json');
    expect(message.key).toBe(event.subject);
    expect(JSON.parse(message.value)).toEqual(event);
  });

  it('keys every topic by the aggregate id in its data', () => {
    for (const topic of ALL_TOPICS) {
      const data = sampleEventData[topic] as Record<string, unknown>;
      expect(toKafkaMessage(build(topic)).key, topic).toBe(data[EVENT_CATALOG[topic].key]);
    }
  });
});
