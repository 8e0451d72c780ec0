/**
 * The demo market of `npm start` (scripts/demo): seeded through the gateway into a platform of
 * its own (offset 16,000: databases, groups, search alias and topic prefix of this run), it holds
 * the companies, the products, RFQs at every stage and the orders those made, the demo buyer has
 * notifications, and a second seed adds nothing.
 */
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopProcesses } from '../../scripts/platform.js';
import { Api, SAGA_PROCESSES, cleanUp, startSagaPlatform, waitUntil, type Account, type SagaPlatform } from '../../scripts/saga-driver.js';
import { DEMO_BUYERS, DEMO_PASSWORD, DEMO_RFQS, DEMO_SUPPLIERS, productsOf } from '../../scripts/demo/market.js';
import { seedDemo, type SeedReport } from '../../scripts/demo/seed.js';
import { infra } from './support.js';

const PORT_OFFSET = 16_000;
const PRODUCTS = DEMO_SUPPLIERS.reduce((n, s) => n + productsOf(s).length, 0);

let platform: SagaPlatform | undefined;
let api: Api;
let first: SeedReport;

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers */
async function all(path: string, account: Account): Promise<any[]> {
  const rows: any[] = [];
  for (let page = 1; ; page += 1) {
    const res = await api.call(`${path}${path.includes('?') ? '&' : '?'}page=${page}&limit=100`, { account });
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200);
    rows.push(...res.body.data);
    if (res.body.data.length < 100) return rows;
  }
}

/** What the market holds, read back through the API as its users see it. */
async function snapshot(report: SeedReport) {
  const { buyers, suppliers } = report.accounts;
  const companies = await Promise.all(
    [...Object.values(buyers), ...Object.values(suppliers)].map(async (account) => (await api.call(`/api/v1/companies/${account.companyId}`, { account })).body.data),
  );
  const rfqs = (await Promise.all(Object.values(buyers).map((buyer) => all('/api/v1/rfqs', buyer)))).flat();
  const orders = (await Promise.all(Object.values(buyers).map((buyer) => all('/api/v1/orders', buyer)))).flat();
  const quotes = (await Promise.all(rfqs.map(async (rfq) => (await api.call(`/api/v1/rfqs/${rfq.id}/quotes`, { account: Object.values(buyers).find((b) => b.companyId === rfq.buyerCompanyId) ?? buyers.de! })).body.data.quotes as any[]))).flat();
  const imports = (await Promise.all(Object.values(suppliers).map((supplier) => all('/api/v1/products/imports', supplier)))).flat();
  const search = await api.call('/api/v1/products?pageSize=1', { account: buyers.de! });
  return {
    companies: companies.map((c) => `${c.name}|${c.type}|${c.country}|${c.verified}|${c.certifications.length}`).sort(),
    rfqs: rfqs.map((r) => `${r.title}|${r.status}`).sort(),
    orders: orders.map((o) => `${o.rfqId}|${o.status}`).sort(),
    quotes: quotes.length,
    imports: imports.length,
    products: search.body.pagination?.total ?? search.body.meta?.total,
  };
}

beforeAll(async () => {
  platform = await startSagaPlatform({
    infra,
    portOffset: PORT_OFFSET,
    runName: 'demo',
    processes: [...SAGA_PROCESSES, 'notification'],
    // In-app notifications only: this run has no SMTP server of its own to send to.
    extraEnv: (name): Record<string, string> => (name === 'notification' ? { NOTIFICATION_EMAIL_ENABLED: 'false' } : {}),
  });
  api = new Api(platform.gateway);
  // A seed interrupted half-way: the DE buyer and one supplier registered, the supplier with one
  // of its certificates. The seed completes what is missing and makes none of it twice.
  const buyer = DEMO_BUYERS[0]!;
  await api.call('/api/v1/auth/register', { body: { email: buyer.email, password: DEMO_PASSWORD, name: buyer.person, role: 'buyer', company: buyer.company } });
  const supplier = DEMO_SUPPLIERS[0]!;
  const registered = await api.call('/api/v1/auth/register', { body: { email: supplier.email, password: DEMO_PASSWORD, name: supplier.person, role: 'supplier', company: supplier.company } });
  const early: Account = await api.login(supplier.email, DEMO_PASSWORD, 'supplier');
  expect(registered.status).toBe(201);
  const year = new Date().getUTCFullYear();
  const cert = supplier.certificates[0]!;
  await api.until(
    'the early certificate',
    () => api.call(`/api/v1/companies/${early.companyId}/certifications`, { account: early, body: { type: cert.type, number: `${supplier.code}-${cert.type}-001`, issuedBy: cert.issuedBy, validFrom: `${year - 1}-01-01`, validUntil: `${year + 2}-12-31` } }),
    (res) => res.status === 201,
  );
  first = await seedDemo(platform.gateway);
}, 300_000);

afterAll(async () => {
  if (!platform) return;
  await stopProcesses(platform.processes);
  await cleanUp(platform);
  const client = new MongoClient(infra.mongoUrl);
  await client.connect().then(() => client.db(platform!.dbName('notification')).dropDatabase()).catch(() => undefined);
  await client.close().catch(() => undefined);
});

describe('the demo market', () => {
  it('registers 3 buyers (DE, FR, UK) and 12 suppliers in and outside the EU, with certificates of every standing', async () => {
    // One buyer and one supplier were there before the seed (beforeAll), with one certificate.
    expect(first.counts.buyers).toBe(2);
    expect(first.counts.suppliers).toBe(11);
    expect(first.counts.certificates).toBe(DEMO_SUPPLIERS.reduce((n, s) => n + s.certificates.length, 0) - 1);
    const { buyers, suppliers } = first.accounts;
    const buyerCountries = await Promise.all(Object.values(buyers).map(async (b) => (await api.call(`/api/v1/companies/${b.companyId}`, { account: b })).body.data.country));
    expect(buyerCountries.sort()).toEqual(['DE', 'FR', 'GB']);
    const companies = await Promise.all(Object.values(suppliers).map(async (s) => (await api.call(`/api/v1/companies/${s.companyId}`, { account: s })).body.data));
    expect(companies.every((c) => c.type === 'supplier')).toBe(true);
    expect(new Set(companies.map((c) => c.country)).size).toBeGreaterThanOrEqual(10);
    expect(companies.some((c) => ['TR', 'CO', 'IN', 'CL', 'CA', 'MA'].includes(c.country))).toBe(true);
    expect(companies.filter((c) => !c.verified).length).toBe(DEMO_SUPPLIERS.filter((s) => !s.verified).length);
    expect(companies.filter((c) => !c.verified).length).toBeGreaterThan(0);
    // Some without ISO 22000 at all, some with an expired one.
    const isoOf = (c: any) => c.certifications.filter((cert: any) => cert.type === 'ISO22000');
    expect(companies.filter((c) => isoOf(c).length === 0).length).toBeGreaterThan(0);
    expect(companies.filter((c) => isoOf(c).some((cert: any) => Date.parse(cert.validUntil) < Date.now())).length).toBeGreaterThan(0);
    expect(companies.reduce((n, c) => n + c.certifications.length, 0)).toBe(DEMO_SUPPLIERS.reduce((n, s) => n + s.certificates.length, 0));
  });

  it(`lists about 400 products (${PRODUCTS}) across the taxonomy`, async () => {
    expect(PRODUCTS).toBeGreaterThanOrEqual(380);
    expect(first.counts.products).toBe(PRODUCTS);
    const buyer = first.accounts.buyers.de!;
    const total = await waitUntil(
      'every product in the search index',
      async () => {
        const res = await api.call('/api/v1/products?pageSize=1', { account: buyer });
        const n = res.body.pagination?.total ?? res.body.meta?.total;
        return n === PRODUCTS ? n : undefined;
      },
      60_000,
      250,
      1000,
    );
    expect(total).toBe(PRODUCTS);
    const groups = new Set(DEMO_SUPPLIERS.flatMap((s) => s.lines.map((l) => l.category.split('.')[0])));
    expect(groups.size).toBeGreaterThanOrEqual(10);
    for (const group of groups) {
      const res = await api.call(`/api/v1/products?category=${group}&pageSize=1`, { account: buyer });
      expect(res.status).toBe(200);
      expect(res.body.data.length, group).toBe(1);
    }
  });

  it('has RFQs at every stage and an order in each of confirmed, rejected (by compliance), shipped and delivered', async () => {
    const { buyers } = first.accounts;
    const rfqs = (await Promise.all(Object.values(buyers).map((buyer) => all('/api/v1/rfqs', buyer)))).flat();
    expect(rfqs.length).toBe(DEMO_RFQS.length);
    // Compliance's rejection reopens the RFQ (the buyer may award another quote).
    expect(rfqs.filter((r) => r.status === 'open').length).toBe(DEMO_RFQS.filter((r) => ['open', 'quoted', 'rejected'].includes(r.stage)).length);
    expect(rfqs.filter((r) => r.status === 'awarded').length).toBe(DEMO_RFQS.filter((r) => !['open', 'quoted', 'rejected'].includes(r.stage)).length);
    // Open RFQs with quotes.
    const quoted = DEMO_RFQS.filter((r) => r.stage === 'quoted');
    for (const rfq of quoted) {
      const { id } = first.rfqs[rfq.title]!;
      const buyer = buyers[rfq.buyer]!;
      const res = await api.call(`/api/v1/rfqs/${id}/quotes`, { account: buyer });
      expect(res.body.data.quotes.length, rfq.title).toBe(rfq.quotes.length);
    }
    const orders = (await Promise.all(Object.values(buyers).map((buyer) => all('/api/v1/orders', buyer)))).flat();
    const byStatus = (status: string) => orders.filter((o) => o.status === status).length;
    for (const status of ['confirmed', 'rejected', 'shipped', 'delivered']) expect(byStatus(status), status).toBeGreaterThan(0);
    expect(byStatus('rejected')).toBe(1);
    const rejected = orders.find((o) => o.status === 'rejected');
    const check = rejected.statusHistory.find((entry: any) => entry.to === 'rejected');
    expect(check.byRole).toBe('compliance');
    // The supplier without ISO 22000, delivering into the EU.
    expect(rejected.supplierCompanyId).toBe(first.accounts.suppliers.ostsee!.companyId);
    expect(orders.length).toBe(DEMO_RFQS.filter((r) => !['open', 'quoted'].includes(r.stage)).length);
  });

  it('notified the demo buyer and the demo supplier', async () => {
    const { buyers, suppliers } = first.accounts;
    for (const account of [buyers.de!, suppliers.huerta!]) {
      const res = await api.until(
        `notifications of ${account.email}`,
        () => api.call('/api/v1/notifications', { account }),
        (r) => r.status === 200 && r.body.data.some((n: any) => n.type.startsWith('order')),
        60_000,
      );
      expect(res.body.data.length).toBeGreaterThan(1);
    }
  });

  it('demo accounts sign in with the printed password', async () => {
    for (const email of [DEMO_BUYERS[0]!.email, DEMO_SUPPLIERS[0]!.email]) {
      const res = await api.call('/api/v1/auth/login', { body: { email, password: DEMO_PASSWORD } });
      expect(res.status).toBe(200);
    }
  });

  it('a second seed adds nothing', async () => {
    const before = await snapshot(first);
    const again = await seedDemo(platform!.gateway);
    expect(again.counts).toEqual({});
    expect(again.created).toBe(0);
    expect(Object.fromEntries(Object.entries(again.rfqs).map(([t, r]) => [t, r.id]))).toEqual(Object.fromEntries(Object.entries(first.rfqs).map(([t, r]) => [t, r.id])));
    const after = await snapshot(again);
    expect(after).toEqual(before);
  }, 120_000);
});
/* eslint-enable @typescript-eslint/no-explicit-any */
