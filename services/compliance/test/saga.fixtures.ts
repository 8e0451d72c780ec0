import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildEvent, toKafkaMessage, topicOfEventType, type EventData, type FoodXchangeEvent, type Topic } from '@foodxchange/contracts';
import { buildService, processedEventId, processedEventModel } from '@foodxchange/service-kit';
import { isolatedEnv, testTopic, uniqueSuffix, waitFor } from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';

/** A compliance app on the test namespace; `extra` overrides settings (a shared MONGO_DB plays a second replica). */
export async function startCompliance(issuerEnv: Record<string, string>, extra: Record<string, unknown> = {}): Promise<FastifyInstance> {
  const server = await buildService(service, app, isolatedEnv('compliance', { ...issuerEnv, ...extra }));
  await server.events.whenConsuming();
  return server;
}

const SOURCES: Partial<Record<string, string>> = { company: '/foodxchange/user', product: '/foodxchange/catalog', order: '/foodxchange/order' };

/** A contract-valid event as its producer would publish it (validated by buildEvent). */
export function contractEvent<T extends Topic>(topic: T, subject: string, data: EventData<T>): FoodXchangeEvent<T> {
  return buildEvent(topic, { source: SOURCES[topic.split('.')[0]!] ?? '/foodxchange/test', subject, data, correlationId: `corr-${uniqueSuffix()}` });
}

/** Publishes onto the test namespace with the app's own producer. */
export async function publish(server: FastifyInstance, event: FoodXchangeEvent): Promise<void> {
  await server.events.producer.send({ topic: testTopic(topicOfEventType(event.type)!), messages: [toKafkaMessage(event)] });
}

/** Waits until the app's handler `handler` has finished with the event (the kit's processed-event record). */
export async function handled(server: FastifyInstance, handler: string, eventId: string): Promise<void> {
  const processed = processedEventModel(server.mongo);
  const id = processedEventId(server.config.KAFKA_GROUP_ID, handler, eventId);
  await waitFor(async () => (await processed.findById(id).lean())?.status === 'done', { what: `${handler} done with ${eventId}` });
}

/** Publishes and waits until the app handled it. */
export async function deliver(server: FastifyInstance, event: FoodXchangeEvent, handler: string): Promise<void> {
  await publish(server, event);
  await handled(server, handler, event.id);
}

export const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

type Held = EventData<'company.certification-added'>['certification'];
export function held(type: Held['type'], validFrom = day(-300), validUntil = day(400)): Held {
  return { id: randomUUID(), type, number: `${type}-2025-${uniqueSuffix()}`, issuedBy: 'Bureau Veritas', validFrom, validUntil };
}

export function companyCreated(companyId: string, certifications: Held[], version = 1): EventData<'company.created'> {
  return { companyId, name: 'Olivar SA', country: 'ES', type: 'supplier', verified: false, certifications, version, createdAt: new Date().toISOString() };
}

export function productData(productId: string, supplierCompanyId: string, overrides: Partial<EventData<'product.created'>> = {}): EventData<'product.created'> {
  return {
    productId,
    supplierCompanyId,
    sku: `SKU-${productId.slice(0, 8)}`,
    name: 'Extra virgin olive oil',
    category: 'oils',
    originCountry: 'ES',
    unit: 'l',
    moq: 10,
    priceTiers: [{ minQuantity: 10, unitPriceMinor: 650, currency: 'EUR' }],
    certifications: [],
    allergens: [],
    status: 'active',
    version: 1,
    ...overrides,
  };
}

export type OrderItem = EventData<'order.created'>['items'][number];

export function orderLine(overrides: Partial<OrderItem> = {}): OrderItem {
  return { name: 'Olive oil', quantity: 100, unit: 'l', unitPriceMinor: 650, lineTotalMinor: 65_000, ...overrides };
}

export function orderCreated(
  supplierCompanyId: string,
  items: OrderItem[],
  overrides: Partial<EventData<'order.created'>> = {},
): EventData<'order.created'> {
  return {
    orderId: `ord-${randomUUID()}`,
    createdFrom: 'rfq',
    rfqId: `rfq-${randomUUID()}`,
    quoteId: `quo-${randomUUID()}`,
    buyerCompanyId: `buyer-${randomUUID()}`,
    supplierCompanyId,
    status: 'pending_compliance',
    currency: 'EUR',
    items,
    totalMinor: items.reduce((sum, item) => sum + item.lineTotalMinor, 0),
    deliveryCountry: 'DE',
    market: 'EU',
    requiredCertifications: [],
    deliveryDate: day(30),
    createdAt: new Date().toISOString(),
    ...overrides,
  };
}
