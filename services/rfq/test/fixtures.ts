import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildEvent, toKafkaMessage, topicOfEventType, type EventData, type FoodXchangeEvent, type Topic } from '@foodxchange/contracts';
import { buildService } from '@foodxchange/service-kit';
import { bearer, isolatedEnv, testTopic, uniqueSuffix, waitFor, type TestIssuer } from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';

/**
 * An rfq service on the real servers. `shareWith` gives a second instance on the first one's
 * database (its own consumer group, so both instances receive every event and race on it).
 */
export async function startRfq(issuer: TestIssuer, extra: Record<string, unknown> = {}, shareWith?: FastifyInstance): Promise<FastifyInstance> {
  const env = isolatedEnv('rfq', { ...issuer.env, ...extra });
  if (shareWith) env.MONGO_DB = shareWith.config.MONGO_DB;
  const server = await buildService(service, app, env);
  await server.events.whenConsuming();
  return server;
}

export interface Party {
  companyId: string;
  userId: string;
  token: string;
  headers: Record<string, string>;
}

export function party(issuer: TestIssuer, role: 'buyer' | 'supplier' | 'admin'): Party {
  const companyId = role === 'admin' ? undefined : `company-${uniqueSuffix()}`;
  const userId = `user-${uniqueSuffix()}`;
  const token = issuer.token({ role, sub: userId, companyId: companyId ?? null });
  return { companyId: companyId ?? '', userId, token, headers: bearer(token) };
}

export const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
export const daysFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

export const rfqBody = (overrides: Record<string, unknown> = {}) => ({
  title: 'Tomatoes and peppers for Q3',
  items: [
    { name: 'cherry tomatoes', category: 'vegetables.tomatoes', quantity: 500, unit: 'kg', targetUnitPrice: 2.5, currency: 'EUR' },
    { name: 'red peppers', category: 'vegetables.peppers', quantity: 2.5, unit: 't' },
  ],
  requiredCertifications: ['HACCP', 'ISO22000'],
  deliveryCountry: 'DE',
  deliveryDate: daysFromNow(60),
  responseDeadline: inMs(14 * 86_400_000),
  ...overrides,
});

export function inject(server: FastifyInstance, method: 'GET' | 'POST', url: string, who?: Party, body?: unknown) {
  return server.inject({
    method,
    url,
    headers: { ...(who?.headers ?? {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

export async function createRfq(server: FastifyInstance, buyer: Party, overrides: Record<string, unknown> = {}) {
  const res = await inject(server, 'POST', '/api/v1/rfqs', buyer, rfqBody(overrides));
  if (res.statusCode !== 201) throw new Error(`create RFQ: ${res.statusCode} ${res.body}`);
  return res.json().data as { id: string; number: string; items: Array<{ id: string; quantity: number }>; [key: string]: unknown };
}

export function event<T extends Topic>(topic: T, subject: string, data: EventData<T>, options: { id?: string } = {}): FoodXchangeEvent<T> {
  return buildEvent(topic, { source: '/foodxchange/rfq-test', subject, data, correlationId: `corr-${uniqueSuffix()}`, ...options });
}

/** Sends a contract event onto the test namespace with the app's own producer. */
export async function produce(server: FastifyInstance, sent: FoodXchangeEvent): Promise<void> {
  await server.events.producer.send({ topic: testTopic(topicOfEventType(sent.type)!), messages: [toKafkaMessage(sent)] });
}

export function matchedEvent(rfqId: string, buyerCompanyId: string, suppliers: Array<{ companyId: string; name?: string; score?: number; missing?: string[] }>) {
  return event('rfq.matched', rfqId, {
    rfqId,
    buyerCompanyId,
    matches: suppliers.map((supplier, index) => ({
      supplierCompanyId: supplier.companyId,
      companyName: supplier.name ?? `Supplier ${index + 1}`,
      score: supplier.score ?? 90 - index * 10,
      matchedItems: [{ name: 'cherry tomatoes', reason: 'tomato (relevance 0.92); category fits' }],
      matchedItemCount: 1,
      missingCertifications: (supplier.missing ?? []) as never,
      verified: index === 0,
    })),
    matchedAt: new Date().toISOString(),
  });
}

/** Publishes rfq.matched for the suppliers and waits until the RFQ holds the matches. */
export async function match(server: FastifyInstance, rfqId: string, buyer: Party, suppliers: Party[]) {
  await produce(server, matchedEvent(rfqId, buyer.companyId, suppliers.map((supplier) => ({ companyId: supplier.companyId }))));
  await waitFor(
    async () => {
      const res = await inject(server, 'GET', `/api/v1/rfqs/${rfqId}`, buyer);
      return res.json().data?.matches?.length === suppliers.length;
    },
    { what: `matches of ${rfqId}` },
  );
}

export const quoteBody = (rfq: { items: Array<{ id: string }> }, prices: number[], overrides: Record<string, unknown> = {}) => ({
  items: rfq.items.map((item, index) => ({ rfqItemId: item.id, unitPriceMinor: prices[index] })).filter((item) => item.unitPriceMinor !== undefined),
  currency: 'EUR',
  leadTimeDays: 10,
  validUntil: daysFromNow(30),
  ...overrides,
});

export async function quote(server: FastifyInstance, rfq: { id: string; items: Array<{ id: string }> }, supplier: Party, prices: number[], overrides: Record<string, unknown> = {}) {
  const res = await inject(server, 'POST', `/api/v1/rfqs/${rfq.id}/quotes`, supplier, quoteBody(rfq, prices, overrides));
  if (res.statusCode !== 201 && res.statusCode !== 200) throw new Error(`quote: ${res.statusCode} ${res.body}`);
  return res.json().data as { id: string; totalMinor: number; revision: number; status: string };
}

export const newId = () => randomUUID();
