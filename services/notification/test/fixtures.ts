import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildEvent, toKafkaMessage, topicOfEventType, type EventData, type FoodXchangeEvent, type Topic } from '@foodxchange/contracts';
import { buildService, processedEventId, processedEventModel } from '@foodxchange/service-kit';
import { isolatedEnv, testTopic, uniqueSuffix, waitFor } from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';

/** A notification app on the test namespace, consuming once it returns. */
export async function startNotification(env: Record<string, unknown>): Promise<FastifyInstance> {
  const server = await buildService(service, app, isolatedEnv('notification', env));
  await server.events.whenConsuming();
  return server;
}

const SOURCES: Partial<Record<string, string>> = {
  user: '/foodxchange/auth',
  company: '/foodxchange/user',
  rfq: '/foodxchange/rfq',
  quote: '/foodxchange/rfq',
  order: '/foodxchange/order',
};

/** A contract-valid event as its producer would publish it (validated by buildEvent). */
export function contractEvent<T extends Topic>(topic: T, subject: string, data: EventData<T>): FoodXchangeEvent<T> {
  return buildEvent(topic, { source: SOURCES[topic.split('.')[0]!] ?? '/foodxchange/test', subject, data, correlationId: `corr-${uniqueSuffix()}` });
}

export async function publish(server: FastifyInstance, event: FoodXchangeEvent): Promise<void> {
  await server.events.producer.send({ topic: testTopic(topicOfEventType(event.type)!), messages: [toKafkaMessage(event)] });
}

/** Waits until the app's handler has finished with the event (the kit's processed-event record). */
export async function handled(server: FastifyInstance, handler: string, eventId: string, status = 'done'): Promise<void> {
  const processed = processedEventModel(server.mongo);
  const id = processedEventId(server.config.KAFKA_GROUP_ID, handler, eventId);
  await waitFor(async () => (await processed.findById(id).lean())?.status === status, { what: `${handler} ${status} with ${eventId}` });
}

export async function deliver(server: FastifyInstance, event: FoodXchangeEvent, handlers: string[]): Promise<void> {
  await publish(server, event);
  for (const handler of handlers) await handled(server, handler, event.id);
}

export const id = (prefix: string) => `${prefix}-${randomUUID()}`;
export const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

export interface TestUser {
  userId: string;
  email: string;
  name: string;
  role: 'buyer' | 'supplier';
  companyId: string;
}

export function registered(user: TestUser): EventData<'user.registered'> {
  return {
    userId: user.userId,
    email: user.email,
    name: user.name,
    role: user.role,
    companyId: user.companyId,
    company: { name: `Company ${user.companyId.slice(0, 12)}`, country: 'DE', type: user.role },
    registeredAt: new Date().toISOString(),
  };
}

export function newUser(role: 'buyer' | 'supplier', companyId: string, label: string): TestUser {
  const suffix = uniqueSuffix();
  return { userId: `usr-${suffix}`, email: `${label}.${suffix}@example.test`, name: `${label} ${suffix}`, role, companyId };
}

export function awardLine() {
  return { rfqItemId: id('item'), name: 'Tomatoes', category: 'vegetables', quantity: 100, unit: 'kg', unitPriceMinor: 250, lineTotalMinor: 25_000 };
}
