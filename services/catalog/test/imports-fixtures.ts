import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildEvent, toKafkaMessage, topicOfEventType, type EventData, type FoodXchangeEvent, type Topic } from '@foodxchange/contracts';
import { bearer, testTopic, uniqueSuffix, waitFor, type TestIssuer } from '@foodxchange/service-kit/testing';

/** Shared by the import tests: supplier companies (through the user service's events), uploads and job polling. */

export const IMPORTS_URL = '/api/v1/products/imports';

const day = 86_400_000;
const isoDay = (offsetDays: number) => new Date(Date.now() + offsetDays * day).toISOString().slice(0, 10);

function event<T extends Topic>(topic: T, subject: string, data: EventData<T>): FoodXchangeEvent<T> {
  return buildEvent(topic, { source: '/foodxchange/user', subject, data, correlationId: `corr-${uniqueSuffix()}` });
}

export interface Supplier {
  companyId: string;
  userId: string;
  headers: Record<string, string>;
}

/**
 * A supplier company the catalog knows: its `company.created` (holding the given certifications,
 * valid from last year to next year) published as the user service would, and awaited in the
 * catalog's read copy.
 */
export async function supplierCompany(server: FastifyInstance, issuer: TestIssuer, certifications: string[] = ['HACCP']): Promise<Supplier> {
  const companyId = `cmp-${randomUUID()}`;
  const userId = `usr-${randomUUID()}`;
  const sent = event('company.created', companyId, {
    companyId,
    name: 'Huerta del Sur S.L.',
    country: 'ES',
    type: 'supplier',
    verified: true,
    createdByUserId: userId,
    marketsServed: ['EU'],
    categories: ['vegetables'],
    certifications: certifications.map((type) => ({
      id: `cert-${randomUUID()}`,
      type: type as never,
      number: `${type}-001`,
      issuedBy: 'Bureau Veritas',
      validFrom: isoDay(-300),
      validUntil: isoDay(300),
    })),
    version: 1,
    createdAt: new Date().toISOString(),
  });
  await server.events.producer.send({ topic: testTopic(topicOfEventType(sent.type)!), messages: [toKafkaMessage(sent)] });
  await waitFor(() => server.companyCopies.find(companyId), { what: `the catalog's copy of ${companyId}`, timeoutMs: 30_000 });
  return { companyId, userId, headers: bearer(issuer.token({ role: 'supplier', companyId, sub: userId })) };
}

export const CSV_HEADER = 'sku,name,description,category,originCountry,unit,moq,currency,priceTiers,certifications,allergens,storage,name.de';

/** One valid CSV row; `price` varies the second import. */
export function csvRow(sku: string, { price = '2.50', name = `Tomatoes ${sku}` } = {}): string {
  return `${sku},${name},"Vine tomatoes, class I",vegetables.tomatoes,ES,kg,100,EUR,100:${price}|500:2.20,HACCP,,chilled,Tomaten ${sku}`;
}

export function csv(rows: string[], header = CSV_HEADER): string {
  return `${header}\n${rows.join('\n')}\n`;
}

/** The body POST /products takes, as one JSON line. */
export function productJson(sku: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sku,
    name: `Extra virgin olive oil ${sku}`,
    description: 'Cold pressed',
    translations: { fr: { name: `Huile d'olive ${sku}` } },
    category: 'oils.olive-oil',
    originCountry: 'ES',
    unit: 'l',
    moq: 50,
    priceTiers: [
      { minQuantity: 50, unitPrice: 6.4, currency: 'EUR' },
      { minQuantity: 200, unitPrice: 5.9, currency: 'EUR' },
    ],
    certifications: ['HACCP'],
    allergens: [],
    storage: 'ambient',
    ...overrides,
  };
}

export function ndjson(products: Array<Record<string, unknown>>): string {
  return `${products.map((product) => JSON.stringify(product)).join('\n')}\n`;
}

export function upload(server: FastifyInstance, headers: Record<string, string>, body: string | Buffer, contentType = 'text/csv') {
  return server.inject({ method: 'POST', url: IMPORTS_URL, headers: { ...headers, 'content-type': contentType }, payload: body });
}

export interface JobView {
  id: string;
  status: string;
  totalRows: number;
  counts: { processed: number; created: number; updated: number; unchanged: number; failed: number };
  progress: { chunksDone: number; chunkCount: number; percent: number };
  errors: Array<{ row: number; line: number; field: string; column?: string; message: string }>;
  errorCount: number;
  errorsTruncated: boolean;
  failure?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}

export async function jobOf(server: FastifyInstance, headers: Record<string, string>, id: string): Promise<JobView> {
  const res = await server.inject({ url: `${IMPORTS_URL}/${id}`, headers });
  if (res.statusCode !== 200) throw new Error(`GET import ${id}: ${res.statusCode} ${res.body}`);
  return res.json().data as JobView;
}

/** Waits until the job has finished (completed or failed) and returns it. */
export function finished(server: FastifyInstance, headers: Record<string, string>, id: string, timeoutMs = 60_000): Promise<JobView> {
  return waitFor(
    async () => {
      const job = await jobOf(server, headers, id);
      return job.status === 'completed' || job.status === 'failed' ? job : undefined;
    },
    { what: `import ${id} to finish`, timeoutMs, intervalMs: 100 },
  );
}

/** The company's live products, by sku. */
export async function productsOf(server: FastifyInstance, companyId: string): Promise<Map<string, Record<string, any>>> {
  const docs = await server.mongo.collection('products').find({ supplierCompanyId: companyId, status: 'active' }).toArray();
  return new Map(docs.map((doc) => [doc.sku as string, doc as Record<string, any>]));
}
