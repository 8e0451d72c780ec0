import { describe, expect, it } from 'vitest';
import {
  ALL_DLQ_TOPICS,
  ALL_TOPICS,
  EVENT_CATALOG,
  TOPICS,
  dlqTopic,
  eventDataSchemas,
  isDlqTopic,
  isTopic,
  topicOfDlq,
} from '../src/index.js';

// The list in DESIGN.md, verbatim, plus company.updated (issue 9: catalog's read copy of a
// company follows profile edits).
const DESIGN_TOPICS = `user.registered user.logged-in user.suspended user.unsuspended company.created company.updated company.verified
company.certification-added company.certification-withdrawn product.created product.updated product.deleted rfq.created rfq.matched
rfq.awarded rfq.cancelled quote.submitted compliance.checked order.created order.confirmed
order.rejected order.status-changed notification.sent`.split(/\s+/);

const SERVICES = ['auth', 'user', 'catalog', 'rfq', 'compliance', 'order', 'notification', 'admin'];

describe('topics', () => {
  it('are exactly the topics of DESIGN.md', () => {
    expect([...ALL_TOPICS].sort()).toEqual([...DESIGN_TOPICS].sort());
    expect(new Set(ALL_TOPICS).size).toBe(ALL_TOPICS.length);
  });

  it('have one camelCase key each, derived from the topic name', () => {
    for (const [key, topic] of Object.entries(TOPICS)) {
      const camel = topic.replace(/[.-]([a-z])/g, (_, c: string) => c.toUpperCase());
      expect(key).toBe(camel);
    }
    expect(TOPICS.orderStatusChanged).toBe('order.status-changed');
    expect(TOPICS.companyCertificationAdded).toBe('company.certification-added');
  });

  it('are named <aggregate>.<past-tense-verb>', () => {
    for (const topic of ALL_TOPICS) expect(topic).toMatch(/^[a-z]+\.[a-z]+(-[a-z]+)*$/);
  });

  it('recognises topics and only topics', () => {
    expect(isTopic('order.created')).toBe(true);
    expect(isTopic('order.created.dlq')).toBe(false);
    expect(isTopic('order.shipped')).toBe(false);
    expect(isTopic(42)).toBe(false);
  });
});

describe('dead-letter topics', () => {
  it('append .dlq', () => {
    expect(dlqTopic('order.created')).toBe('order.created.dlq');
    expect(dlqTopic(TOPICS.userLoggedIn)).toBe('user.logged-in.dlq');
  });

  it('are recognised and mapped back', () => {
    expect(isDlqTopic('order.created.dlq')).toBe(true);
    expect(isDlqTopic('order.created')).toBe(false);
    expect(isDlqTopic('.dlq')).toBe(false);
    expect(topicOfDlq('rfq.matched.dlq')).toBe('rfq.matched');
    expect(topicOfDlq('rfq.matched')).toBeUndefined();
    expect(ALL_DLQ_TOPICS).toEqual(ALL_TOPICS.map(dlqTopic));
  });
});

describe('event catalogue', () => {
  it('has a data schema for every topic, and nothing else', () => {
    expect(Object.keys(eventDataSchemas).sort()).toEqual([...ALL_TOPICS].sort());
    for (const topic of ALL_TOPICS) {
      const schema = eventDataSchemas[topic] as { type?: string; properties?: object };
      expect(schema.type, topic).toBe('object');
      expect(Object.keys(schema.properties ?? {}).length, topic).toBeGreaterThan(0);
    }
  });

  it('keys every topic by a required id field of its data', () => {
    for (const topic of ALL_TOPICS) {
      const { key } = EVENT_CATALOG[topic];
      const schema = eventDataSchemas[topic] as { required?: string[]; properties: Record<string, { type?: string }> };
      expect(schema.required, topic).toContain(key);
      expect(schema.properties[key]?.type, topic).toBe('string');
      expect(key, topic).toMatch(/Id$/);
    }
  });

  it('keys each aggregate by its own id', () => {
    const expected: Record<string, string> = {
      user: 'userId',
      company: 'companyId',
      product: 'productId',
      rfq: 'rfqId',
      quote: 'quoteId',
      compliance: 'checkId',
      order: 'orderId',
      notification: 'notificationId',
    };
    for (const topic of ALL_TOPICS) expect(EVENT_CATALOG[topic].key, topic).toBe(expected[topic.split('.')[0]!]);
  });

  it('names a real producer and real consumers for every topic', () => {
    for (const topic of ALL_TOPICS) {
      const { producer, consumers } = EVENT_CATALOG[topic];
      expect(SERVICES, topic).toContain(producer);
      expect(consumers.length, topic).toBeGreaterThan(0);
      for (const consumer of consumers) expect(SERVICES, topic).toContain(consumer);
      expect(consumers, `${topic} is consumed by its own producer`).not.toContain(producer);
    }
  });

  it('follows the saga of DESIGN.md', () => {
    expect(EVENT_CATALOG['rfq.created'].consumers).toContain('catalog');
    expect(EVENT_CATALOG['rfq.matched'].producer).toBe('catalog');
    expect(EVENT_CATALOG['rfq.matched'].consumers).toEqual(expect.arrayContaining(['rfq', 'notification']));
    expect(EVENT_CATALOG['quote.submitted'].consumers).toContain('notification');
    expect(EVENT_CATALOG['rfq.awarded'].consumers).toContain('order');
    expect(EVENT_CATALOG['order.created'].consumers).toContain('compliance');
    expect(EVENT_CATALOG['compliance.checked'].consumers).toContain('order');
    expect(EVENT_CATALOG['order.confirmed'].consumers).toContain('notification');
    expect(EVENT_CATALOG['order.rejected'].consumers).toContain('notification');
    // admin keeps the audit log of every event (it records its own as it writes them)
    for (const topic of ALL_TOPICS) {
      if (EVENT_CATALOG[topic].producer !== 'admin') expect(EVENT_CATALOG[topic].consumers, topic).toContain('admin');
    }
  });
});
