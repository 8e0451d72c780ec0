import type { FastifyInstance } from 'fastify';
import { buildService, processedEventId, processedEventModel } from '@foodxchange/service-kit';
import { buildEvent, toKafkaMessage, topicOfEventType, type EventData, type FoodXchangeEvent, type Topic } from '@foodxchange/contracts';
import { bearer, dropDatabase, isolatedEnv, startTestIssuer, testTopic, uniqueSuffix, waitFor, type TestIssuer } from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';
import { orderModel, type OrderDoc } from '../src/orders/model.js';

/** Shared set-up of the order service's tests (not a test file itself). */
export interface OrderTestApp {
  server: FastifyInstance;
  issuer: TestIssuer;
  env: Record<string, unknown>;
  close(): Promise<void>;
}

export async function startOrder(extra: Record<string, unknown> = {}): Promise<OrderTestApp> {
  const issuer = await startTestIssuer();
  const env = isolatedEnv('order', { ...issuer.env, ...extra });
  const server = await buildService(service, app, env);
  await server.events.whenConsuming();
  return {
    server,
    issuer,
    env,
    close: async () => {
      await dropDatabase(server);
      await server.close();
      await issuer.close();
    },
  };
}

/**
 * Another instance of the service on the same database, with a consumer group of its own: it
 * receives every event the first one does, as two replicas do when a rebalance hands a partition
 * over mid-event, so both handle the same event at the same time.
 */
export async function startRacingInstance(first: OrderTestApp): Promise<FastifyInstance> {
  const server = await buildService(service, app, { ...first.env, KAFKA_GROUP_ID: `${String(first.env.KAFKA_GROUP_ID)}.racer` });
  await server.events.whenConsuming();
  return server;
}

export const id = (prefix: string) => `${prefix}-${uniqueSuffix()}`;

export interface Party {
  companyId: string;
  userId: string;
  headers: Record<string, string>;
}

export function party(issuer: TestIssuer, role: 'buyer' | 'supplier' | 'admin', companyId: string | null = id('cmp')): Party {
  const userId = id('usr');
  return {
    companyId: companyId ?? '',
    userId,
    headers: bearer(issuer.token({ sub: userId, role, companyId })),
  };
}

export const isoDay = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

/** A contract-valid `rfq.awarded` of two lines (the second names a catalogue product when given). */
export function awardData(buyerCompanyId: string, supplierCompanyId: string, overrides: Partial<EventData<'rfq.awarded'>> = {}): EventData<'rfq.awarded'> {
  return {
    rfqId: id('rfq'),
    quoteId: id('quote'),
    title: 'Olive oil for Q3',
    buyerCompanyId,
    buyerUserId: id('usr'),
    supplierCompanyId,
    supplierName: 'Olivar SA',
    currency: 'EUR',
    lines: [
      { rfqItemId: id('item'), name: 'Extra virgin olive oil', category: 'oils.olive-oil', quantity: 2.5, unit: 't', unitPriceMinor: 612_000, lineTotalMinor: 1_530_000 },
      { rfqItemId: id('item'), name: 'Green olives', category: 'vegetables.olives', quantity: 300, unit: 'kg', unitPriceMinor: 333, lineTotalMinor: 99_900 },
    ],
    totalMinor: 1_629_900,
    deliveryCountry: 'DE',
    market: 'EU',
    requiredCertifications: ['HACCP', 'ISO22000'],
    deliveryDate: isoDay(40),
    awardedAt: new Date().toISOString(),
    ...overrides,
  };
}

export function contractEvent<T extends Topic>(topic: T, subject: string, data: EventData<T>, source = '/foodxchange/test'): FoodXchangeEvent<T> {
  return buildEvent(topic, { source, subject, data, correlationId: `corr-${uniqueSuffix()}` });
}

/** Publishes a contract event onto the test namespace with the app's own producer. */
export async function publish(server: FastifyInstance, event: FoodXchangeEvent): Promise<void> {
  await server.events.producer.send({ topic: testTopic(topicOfEventType(event.type)!), messages: [toKafkaMessage(event)] });
}

export const ordersOf = (server: FastifyInstance) => orderModel(server.mongo);

export async function ordersOfRfq(server: FastifyInstance, rfqId: string): Promise<OrderDoc[]> {
  return ordersOf(server).find({ rfqId }).lean<OrderDoc[]>();
}

/** Waits until a handler has finished with an event (done or dead-lettered) and returns its status. */
export async function handled(server: FastifyInstance, handler: string, eventId: string): Promise<string> {
  const claims = processedEventModel(server.mongo);
  const key = processedEventId(String(server.config.KAFKA_GROUP_ID), handler, eventId);
  return waitFor(
    async () => {
      const claim = await claims.findById(key).lean();
      return claim && claim.status !== 'processing' ? claim.status : undefined;
    },
    { what: `${handler} to finish ${eventId}` },
  );
}

/** Events of a topic read back, parsed. */
export function parsed<T extends Topic>(records: { value: string | null }[]): FoodXchangeEvent<T>[] {
  return records.map((record) => JSON.parse(record.value ?? '{}') as FoodXchangeEvent<T>);
}

/** A contract-valid `product.created` snapshot. */
export function productData(supplierCompanyId: string, overrides: Partial<EventData<'product.created'>> = {}): EventData<'product.created'> {
  return {
    productId: id('prd'),
    supplierCompanyId,
    supplierName: 'Olivar SA',
    sku: id('EVOO'),
    name: 'Extra virgin olive oil, 5 l tin',
    category: 'oils.olive-oil',
    originCountry: 'ES',
    unit: 'l',
    moq: 500,
    priceTiers: [
      { minQuantity: 100, unitPriceMinor: 845, currency: 'EUR' },
      { minQuantity: 5000, unitPriceMinor: 790, currency: 'EUR' },
    ],
    certifications: ['HACCP'],
    allergens: [],
    status: 'active',
    version: 1,
    ...overrides,
  };
}
