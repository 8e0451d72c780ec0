import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildEvent, toKafkaMessage, topicOfEventType, type EventData, type FoodXchangeEvent, type Topic } from '@foodxchange/contracts';
import type { EventHandlerContext } from '@foodxchange/service-kit';
import { testTopic, uniqueSuffix } from '@foodxchange/service-kit/testing';

export function event<T extends Topic>(topic: T, subject: string, data: EventData<T>, options: { id?: string } = {}): FoodXchangeEvent<T> {
  return buildEvent(topic, { source: '/foodxchange/user-test', subject, data, correlationId: `corr-${uniqueSuffix()}`, ...options });
}

export interface Registered {
  userId: string;
  companyId: string;
  event: FoodXchangeEvent<'user.registered'>;
}

/** A buyer's or supplier's `user.registered`, with fresh ids. */
export function registration(role: 'buyer' | 'supplier' = 'buyer', overrides: Partial<EventData<'user.registered'>> = {}): Registered {
  const userId = `usr-${randomUUID()}`;
  const companyId = `cmp-${randomUUID()}`;
  const data: EventData<'user.registered'> = {
    userId,
    email: `${userId}@example.test`,
    name: 'Anna Lindqvist',
    role,
    companyId,
    company: { name: 'Nordic Fresh Foods AB', country: 'SE' },
    registeredAt: new Date().toISOString(),
    ...overrides,
  };
  return { userId, companyId, event: event('user.registered', userId, data) };
}

/** Sends an event onto the test namespace with the app's own producer (no second Kafka client). */
export async function produce(server: FastifyInstance, sent: FoodXchangeEvent, key?: string): Promise<void> {
  const message = toKafkaMessage(sent);
  await server.events.producer.send({ topic: testTopic(topicOfEventType(sent.type)!), messages: [{ ...message, ...(key ? { key } : {}) }] });
}

/** What a consumer hands a handler, for calling one directly (as two replicas would). */
export function handlerContext(server: FastifyInstance, topic: string): EventHandlerContext {
  return { app: server, log: server.log, topic, partition: 0, offset: '0', attempt: 1, heartbeat: async () => undefined };
}
