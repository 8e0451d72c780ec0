import type { FastifyInstance } from 'fastify';
import { buildService } from '@foodxchange/service-kit';
import { buildEvent, toKafkaMessage, topicOfEventType, type EventData, type FoodXchangeEvent, type Topic } from '@foodxchange/contracts';
import { bearer, dropDatabase, isolatedEnv, startTestIssuer, testTopic, uniqueSuffix, type TestIssuer } from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';
import { applyCompanyFacts } from '../src/companies/service.js';
import type { CopiedCertification } from '../src/companies/model.js';

/** Shared set-up of the catalog's product, company and cache tests (not a test file itself). */
export interface CatalogTestApp {
  server: FastifyInstance;
  issuer: TestIssuer;
  env: Record<string, unknown>;
  close(): Promise<void>;
}

/** The search index alias of a test app: unique per run, dropped at the end. */
export async function startCatalog(extra: Record<string, unknown> = {}): Promise<CatalogTestApp> {
  const issuer = await startTestIssuer();
  const alias = `test-products-${uniqueSuffix()}`;
  const env = isolatedEnv('catalog', { ...issuer.env, SEARCH_INDEX_ALIAS: alias, ...extra });
  const server = await buildService(service, app, env);
  return {
    server,
    issuer,
    env,
    close: async () => {
      await dropSearchIndexes(server, alias);
      await dropDatabase(server);
      await server.close();
      await issuer.close();
    },
  };
}

/** A second replica on the same database, consumer group, topics and Redis. */
export async function startReplica(first: CatalogTestApp): Promise<FastifyInstance> {
  return buildService(service, app, first.env);
}

export async function dropSearchIndexes(server: FastifyInstance, alias: string): Promise<void> {
  const elastic = (server as unknown as { elasticsearch?: { indices: { delete(params: object): Promise<unknown> } } }).elasticsearch;
  await elastic?.indices.delete({ index: `${alias}*`, ignore_unavailable: true, allow_no_indices: true }).catch(() => undefined);
}

export const companyId = () => `cmp-${uniqueSuffix()}`;

export function supplier(issuer: TestIssuer, company: string, userId = `usr-${uniqueSuffix()}`) {
  return bearer(issuer.token({ sub: userId, role: 'supplier', companyId: company }));
}
export function buyer(issuer: TestIssuer, company = companyId()) {
  return bearer(issuer.token({ role: 'buyer', companyId: company }));
}

const isoDay = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

/** A certificate valid from `fromDays` to `untilDays` days from today (date-only bounds). */
export function certificate(type: CopiedCertification['type'], fromDays = -30, untilDays = 365): CopiedCertification {
  return { id: `cert-${uniqueSuffix()}`, type, number: `${type}-${uniqueSuffix()}`, issuedBy: 'Bureau Veritas', validFrom: isoDay(fromDays), validUntil: isoDay(untilDays) };
}

/** Puts a company into the catalog's read copy directly (product tests; the company tests use events). */
export async function seedCompany(server: FastifyInstance, id: string, certifications: CopiedCertification[] = [], name = 'Iberia Olive Co. S.L.'): Promise<void> {
  await applyCompanyFacts(server.companyCopies.deps, id, {
    profile: { version: 1, name, country: 'ES', type: 'supplier' },
    certifications: { version: 1, list: certifications },
  });
}

/** A valid POST /products body. */
export function productBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sku: `EVOO-${uniqueSuffix()}`,
    name: 'Extra virgin olive oil, 5 l tin',
    description: 'Picual, cold pressed.',
    category: 'oils.olive-oil',
    originCountry: 'ES',
    unit: 'l',
    moq: 500,
    priceTiers: [
      { minQuantity: 100, unitPrice: 8.45, currency: 'EUR' },
      { minQuantity: 5000, unitPrice: 7.9, currency: 'EUR' },
    ],
    certifications: [],
    allergens: [],
    storage: 'ambient',
    ...overrides,
  };
}

export function contractEvent<T extends Topic>(topic: T, subject: string, data: EventData<T>): FoodXchangeEvent<T> {
  return buildEvent(topic, { source: '/foodxchange/user', subject, data, correlationId: `corr-${uniqueSuffix()}` });
}

/** Publishes a contract event onto the test namespace with the app's own producer. */
export async function publish(server: FastifyInstance, event: FoodXchangeEvent): Promise<void> {
  const message = toKafkaMessage(event);
  await server.events.producer.send({ topic: testTopic(topicOfEventType(event.type)!), messages: [message] });
}
