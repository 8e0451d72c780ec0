/**
 * A fixture catalogue for the matching tests, built through the real paths: the companies' read
 * copies from company events on the test topics (as the user service publishes them), products
 * through POST /api/v1/products as their suppliers, then the search part's index (waited for).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildEvent, toKafkaMessage, topicOfEventType, type CertificationType, type EventData, type FoodXchangeEvent, type Topic } from '@foodxchange/contracts';
import { bearer, testTopic, uniqueSuffix, waitFor, type TestIssuer } from '@foodxchange/service-kit/testing';

export function event<T extends Topic>(topic: T, subject: string, data: EventData<T>, options: { id?: string } = {}): FoodXchangeEvent<T> {
  return buildEvent(topic, { source: '/foodxchange/matching-test', subject, data, correlationId: `corr-${uniqueSuffix()}`, ...options });
}

/** Sends an event onto the test namespace with the app's own producer. */
export async function produce(server: FastifyInstance, sent: FoodXchangeEvent, key?: string): Promise<void> {
  const message = toKafkaMessage(sent);
  await server.events.producer.send({ topic: testTopic(topicOfEventType(sent.type)!), messages: [{ ...message, ...(key ? { key } : {}) }] });
}

export const daysFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

export interface FixtureProduct {
  key: string;
  name: string;
  category: string;
  moq: number;
  unit?: string;
  /** [minQuantity, unitPrice] */
  tiers: Array<[number, number]>;
  currency?: string;
}

export interface FixtureSupplier {
  key: string;
  name: string;
  country: string;
  verified: boolean;
  marketsServed: string[];
  /** type → validUntil (validFrom is a year ago) */
  certifications: Partial<Record<CertificationType, string>>;
  products: FixtureProduct[];
}

export interface BuiltSupplier {
  companyId: string;
  userId: string;
  productIds: Record<string, string>;
}

/** Publishes the supplier's company events (created, certificates, verification) and waits for its copy. */
async function copyCompany(server: FastifyInstance, supplier: FixtureSupplier, companyId: string, userId: string): Promise<void> {
  await produce(
    server,
    event('company.created', companyId, {
      companyId,
      name: supplier.name,
      country: supplier.country,
      type: 'supplier',
      verified: false,
      createdByUserId: userId,
      marketsServed: supplier.marketsServed,
      categories: [],
      certifications: [],
      version: 1,
      createdAt: new Date().toISOString(),
    }),
  );
  let version = 1;
  const list: EventData<'company.certification-added'>['certifications'] = [];
  for (const [type, validUntil] of Object.entries(supplier.certifications) as Array<[CertificationType, string]>) {
    version += 1;
    const certification = { id: `cert-${randomUUID()}`, type, number: `${type}-${version}`, issuedBy: 'SGS', validFrom: daysFromNow(-365), validUntil };
    list.push(certification);
    await produce(server, event('company.certification-added', companyId, { companyId, companyName: supplier.name, certification, certifications: [...list], version }));
  }
  if (supplier.verified) {
    version += 1;
    await produce(
      server,
      event('company.verified', companyId, { companyId, name: supplier.name, verified: true, verifiedBy: 'admin-1', verifiedAt: new Date().toISOString(), version }),
    );
  }
  await waitFor(
    async () => {
      const copy = await server.companyCopies.find(companyId);
      return copy && copy.versions.profile === 1 && copy.versions.certifications === 1 + list.length && copy.verified === supplier.verified;
    },
    { what: `the copy of ${supplier.name}`, timeoutMs: 60_000 },
  );
}

/** Builds the suppliers (copies, then products over HTTP) and waits until the index serves every product. */
export async function buildCatalogue(server: FastifyInstance, issuer: TestIssuer, suppliers: FixtureSupplier[]): Promise<Record<string, BuiltSupplier>> {
  const built: Record<string, BuiltSupplier> = {};
  await Promise.all(
    suppliers.map(async (supplier) => {
      const companyId = `cmp-${supplier.key}-${randomUUID()}`;
      const userId = `usr-${supplier.key}-${randomUUID()}`;
      await copyCompany(server, supplier, companyId, userId);
      built[supplier.key] = { companyId, userId, productIds: {} };
    }),
  );
  for (const supplier of suppliers) {
    const { companyId, userId } = built[supplier.key]!;
    const headers = { 'content-type': 'application/json', ...bearer(issuer.token({ sub: userId, role: 'supplier', companyId })) };
    for (const product of supplier.products) {
      const res = await server.inject({
        method: 'POST',
        url: '/api/v1/products',
        headers,
        payload: JSON.stringify({
          sku: `${supplier.key}-${product.key}`,
          name: product.name,
          category: product.category,
          originCountry: supplier.country,
          unit: product.unit ?? 'kg',
          moq: product.moq,
          priceTiers: product.tiers.map(([minQuantity, unitPrice]) => ({ minQuantity, unitPrice, currency: product.currency ?? 'EUR' })),
          certifications: [],
          allergens: [],
          storage: 'chilled',
        }),
      });
      if (res.statusCode !== 201) throw new Error(`product ${product.key} of ${supplier.key}: ${res.statusCode} ${res.body}`);
      built[supplier.key]!.productIds[product.key] = res.json().data.id;
    }
  }
  const ids = Object.values(built).flatMap((supplier) => Object.values(supplier.productIds));
  const alias = server.matching.deps.alias;
  let indexed = 0;
  await waitFor(
    async () => {
      await server.elastic.indices.refresh({ index: alias });
      const { count } = await server.elastic.count({ index: alias, query: { bool: { filter: [{ terms: { productId: ids } }, { term: { status: 'active' } }] } } });
      indexed = count;
      return count === ids.length;
    },
    { what: 'every fixture product in the index', timeoutMs: 60_000 },
  ).catch((error: Error) => {
    throw new Error(`${error.message} (${indexed} of ${ids.length} indexed)`);
  });
  return built;
}

/** Drops the test's indexes by name (a wildcard delete is refused where destructive_requires_name is on). */
export async function dropIndexes(server: FastifyInstance | undefined, alias: string): Promise<void> {
  if (!server) return;
  const names = Object.keys(await server.elastic.indices.getAlias({ name: alias }).catch(() => ({})));
  if (names.length > 0) await server.elastic.indices.delete({ index: names, ignore_unavailable: true }).catch(() => undefined);
}
