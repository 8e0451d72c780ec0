/**
 * The demo market (market.ts) seeded through the gateway's public API only, as its users would
 * make it: buyers and suppliers register, suppliers add their certificates, the platform admin
 * verifies some suppliers, each supplier imports its catalogue (NDJSON import), buyers post RFQs,
 * suppliers quote, buyers award, compliance confirms or rejects the orders, suppliers ship and
 * buyers take delivery. The notification service hears of every step from the events.
 *
 * Idempotent by natural keys, checked piece by piece (account e-mail, certificate number, the
 * company's verification, the catalogue import, RFQ title, the supplier of a quote, the RFQ's
 * award, the order's status): a second run creates nothing, and a run interrupted half-way is
 * completed by the next one.
 */
import { LOCAL_ADMIN } from '../platform.js';
import { Api, inPool, sleep, waitUntil, type Account, type Answer } from '../saga-driver.js';
import { DEMO_BUYERS, DEMO_PASSWORD, DEMO_RFQS, DEMO_SUPPLIERS, productsOf, type DemoRfq, type DemoSupplier } from './market.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers of the API */

export interface SeedReport {
  /** Everything this run made (0 on a second run). */
  created: number;
  /** What it made, by kind. */
  counts: Record<string, number>;
  accounts: { buyers: Record<string, Account>; suppliers: Record<string, Account> };
  /** RFQ title → id and its order's id (when it has one). */
  rfqs: Record<string, { id: string; orderId?: string; status: string; orderStatus?: string }>;
  durationMs: number;
}

export interface SeedOptions {
  /** How long each wait on another service (matching, compliance, an import) may take. */
  timeoutMs?: number;
  /** One short line per phase. */
  log?: (line: string) => void;
}

const DAY = 86_400_000;
const dateIn = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);

function expect2xx(what: string, res: Answer, ...statuses: number[]): Answer {
  if (!statuses.includes(res.status)) throw new Error(`${what} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 400)}`);
  return res;
}

async function allPages(api: Api, path: string, account: Account): Promise<any[]> {
  const rows: any[] = [];
  for (let page = 1; ; page += 1) {
    const res = expect2xx(`GET ${path}`, await api.call(`${path}${path.includes('?') ? '&' : '?'}page=${page}&limit=100`, { account }), 200);
    rows.push(...res.body.data);
    if (res.body.data.length < 100) return rows;
  }
}

/**
 * The saga driver's client, patient with the gateway's rate limits too: `npm start`'s gateway
 * keeps its defaults (per user and per address), and the seed's polling may reach them.
 */
class SeedApi extends Api {
  override async call(path: string, init: Parameters<Api['call']>[1] = {}): Promise<Answer> {
    for (let attempt = 0; ; attempt += 1) {
      const answer = await super.call(path, init);
      if (answer.status !== 429 || attempt >= 30) return answer;
      await sleep(Math.min(5000, 500 * (attempt + 1)));
    }
  }
}

/** The API client speaks JSON only: an import's body is NDJSON text. */
async function postNdjson(gateway: string, path: string, text: string, account: Account): Promise<Answer> {
  for (let attempt = 0; ; attempt += 1) {
    const res = await fetch(`${gateway}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${account.accessToken}` },
      body: text,
      signal: AbortSignal.timeout(30_000),
    });
    const body = await res.text();
    // Rate limited or the catalog not there for a moment: ask again (an import is by sku, so safe).
    if ([429, 502, 503, 504].includes(res.status) && attempt < 20) {
      await sleep(Math.min(5000, 500 * (attempt + 1)));
      continue;
    }
    try {
      return { status: res.status, body: JSON.parse(body) };
    } catch {
      return { status: res.status, body };
    }
  }
}

export async function seedDemo(gateway: string, options: SeedOptions = {}): Promise<SeedReport> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 120_000;
  const log = options.log ?? (() => undefined);
  const api = new SeedApi(gateway);
  const counts: Record<string, number> = {};
  const made = (kind: string, n = 1) => {
    if (n > 0) counts[kind] = (counts[kind] ?? 0) + n;
  };
  const admin = await api.login(LOCAL_ADMIN.email, LOCAL_ADMIN.password);

  /** Signs in, or registers the account (and its company) when the e-mail is unknown. */
  async function account(role: 'buyer' | 'supplier', entry: { email: string; person: string; company: { name: string; country: string } }): Promise<Account> {
    const login = await api.call('/api/v1/auth/login', { body: { email: entry.email, password: DEMO_PASSWORD } });
    if (login.status === 200) {
      const { user, accessToken } = login.body.data;
      return { role, email: entry.email, password: DEMO_PASSWORD, userId: user.id, companyId: user.companyId, accessToken, signedInAt: Date.now() };
    }
    if (login.status !== 401) expect2xx(`signing in ${entry.email}`, login, 200);
    const res = expect2xx(
      `registering ${entry.email}`,
      await api.call('/api/v1/auth/register', { body: { email: entry.email, password: DEMO_PASSWORD, name: entry.person, role, company: entry.company } }),
      201,
    );
    made(`${role}s`);
    const { user, accessToken } = res.body.data;
    return { role, email: entry.email, password: DEMO_PASSWORD, userId: user.id, companyId: user.companyId, accessToken, signedInAt: Date.now() };
  }

  // ------------------------------------------------------------ companies
  const buyers: Record<string, Account> = {};
  for (const buyer of DEMO_BUYERS) buyers[buyer.key] = await account('buyer', buyer);
  const suppliers: Record<string, Account> = {};
  const year = new Date().getUTCFullYear();
  await inPool(DEMO_SUPPLIERS, 4, async (supplier) => {
    const me = await account('supplier', supplier);
    suppliers[supplier.key] = me;
    // The user service makes the company from user.registered: until then it is a 404.
    const company = (
      await api.until(`the company of ${supplier.company.name}`, () => api.call(`/api/v1/companies/${me.companyId}`, { account: me }), (res) => res.status === 200, timeoutMs)
    ).body.data;
    const held = new Set<string>((company.certifications ?? []).map((c: { number: string }) => c.number));
    for (const certificate of supplier.certificates) {
      const number = `${supplier.code}-${certificate.type}-001`;
      if (held.has(number)) continue;
      const body = { type: certificate.type, number, issuedBy: certificate.issuedBy, validFrom: `${year + certificate.years[0]}-01-01`, validUntil: `${year + certificate.years[1]}-12-31` };
      if (certificate.years[1] < 0) body.validUntil = `${year + certificate.years[1]}-06-30`;
      expect2xx(`the ${certificate.type} certificate of ${supplier.company.name}`, await api.call(`/api/v1/companies/${me.companyId}/certifications`, { body, account: me }), 201);
      made('certificates');
    }
    if (supplier.verified && !company.verified) {
      expect2xx(`verifying ${supplier.company.name}`, await api.call(`/api/v1/companies/${me.companyId}/verify`, { body: { note: 'Demo market: documents checked' }, account: admin }), 200);
      made('verifications');
    }
    made('products', await catalogue(supplier, me));
  });
  log(`companies: ${DEMO_BUYERS.length} buyers, ${DEMO_SUPPLIERS.length} suppliers, ${DEMO_SUPPLIERS.reduce((n, s) => n + productsOf(s).length, 0)} products`);

  /** The supplier's products: imported once (a completed import of every row means done). */
  async function catalogue(supplier: DemoSupplier, me: Account): Promise<number> {
    const products = productsOf(supplier);
    const jobs = await allPages(api, '/api/v1/products/imports', me);
    const done = jobs.some((job) => job.status === 'completed' && job.totalRows === products.length && job.counts.failed === 0);
    if (done) return 0;
    // The catalog learns of the certificates from events: the first product, posted until the
    // claims are accepted, shows it has; the import then creates the rest (that one is unchanged).
    const first = await api.until(
      `the first product of ${supplier.company.name}`,
      () => api.call('/api/v1/products', { body: products[0], account: me }),
      (res) => res.status === 201 || res.status === 409,
      timeoutMs,
    );
    let created = first.status === 201 ? 1 : 0;
    const upload = await postNdjson(gateway, '/api/v1/products/imports', products.map((p) => JSON.stringify(p)).join('\n'), me);
    expect2xx(`the catalogue import of ${supplier.company.name}`, upload, 202);
    const job = await waitUntil(
      `the catalogue import of ${supplier.company.name}`,
      async () => {
        const res = await api.call(`/api/v1/products/imports/${upload.body.data.id}`, { account: me });
        return res.status === 200 && (res.body.data.status === 'completed' || res.body.data.status === 'failed') ? res.body.data : undefined;
      },
      timeoutMs,
      200,
      1000,
    );
    if (job.status !== 'completed' || job.counts.failed > 0) throw new Error(`the catalogue import of ${supplier.company.name} ended ${job.status}: ${JSON.stringify(job.errors ?? job.failure).slice(0, 400)}`);
    created += job.counts.created;
    return created;
  }

  // ------------------------------------------------------------ RFQs
  const rfqs: SeedReport['rfqs'] = {};
  const existing = new Map<string, any[]>();
  for (const buyer of DEMO_BUYERS) existing.set(buyer.key, await allPages(api, '/api/v1/rfqs', buyers[buyer.key]!));
  await inPool(DEMO_RFQS, 4, async (rfq) => {
    rfqs[rfq.title] = await sourcing(rfq, existing.get(rfq.buyer)!.find((r) => r.title === rfq.title)?.id);
  });
  log(`sourcing: ${DEMO_RFQS.length} RFQs (${Object.values(rfqs).filter((r) => r.orderId).length} with an order)`);

  async function sourcing(rfq: DemoRfq, knownId: string | undefined) {
    const buyer = buyers[rfq.buyer]!;
    const country = DEMO_BUYERS.find((b) => b.key === rfq.buyer)!.company.country;
    const quoting = rfq.quotes.map(([key, price]) => ({ key, price, account: suppliers[key]! }));
    let id = knownId;
    if (!id) {
      // The matcher reads the search index, filled from product events: wait until it finds the
      // suppliers that are to quote, so the RFQ is matched to them.
      await api.until(
        `the matcher to find the suppliers of "${rfq.title}"`,
        () => api.call('/api/v1/suppliers/match', { body: { items: [{ name: rfq.item.name, category: rfq.item.category, quantity: rfq.item.quantity, unit: rfq.item.unit }], requiredCertifications: rfq.requiredCertifications, deliveryCountry: country }, account: buyer }),
        (res) => res.status === 200 && quoting.every((q) => res.body.data.some((m: any) => m.supplierCompanyId === q.account.companyId)),
        timeoutMs,
      );
      const created = await api.call('/api/v1/rfqs', {
        account: buyer,
        body: {
          title: rfq.title,
          items: [rfq.item],
          requiredCertifications: rfq.requiredCertifications,
          deliveryCountry: country,
          deliveryDate: dateIn(60),
          responseDeadline: new Date(Date.now() + 30 * DAY).toISOString(),
        },
      });
      id = expect2xx(`POST /rfqs "${rfq.title}"`, created, 201).body.data.id as string;
      made('rfqs');
    }
    let view = (
      await api.until(`the matches of "${rfq.title}"`, () => api.call(`/api/v1/rfqs/${id}`, { account: buyer }), (res) => res.status === 200 && (res.body.data.timeline ?? []).some((e: any) => e.type === 'matched'), timeoutMs)
    ).body.data;
    if (view.status === 'open' && quoting.length > 0) {
      const quotes = expect2xx(`the quotes of "${rfq.title}"`, await api.call(`/api/v1/rfqs/${id}/quotes`, { account: buyer }), 200).body.data.quotes as any[];
      for (const q of quoting) {
        if (quotes.some((quote) => quote.supplierCompanyId === q.account.companyId)) continue;
        const match = (view.matches ?? []).find((m: any) => m.supplierCompanyId === q.account.companyId);
        const items = view.items.map((item: any) => {
          const productId = match?.matchedItems?.find((m: any) => m.rfqItemId === item.id)?.productIds?.[0];
          return { rfqItemId: item.id, unitPrice: q.price, ...(productId ? { productId } : {}) };
        });
        expect2xx(
          `the quote of ${q.key} on "${rfq.title}"`,
          await api.call(`/api/v1/rfqs/${id}/quotes`, { account: q.account, body: { items, currency: rfq.item.currency, leadTimeDays: 10, validUntil: dateIn(45), notes: 'Demo market quote' } }),
          200,
          201,
        );
        made('quotes');
      }
    }
    if (rfq.stage === 'open' || rfq.stage === 'quoted') return { id, status: view.status as string };
    // A rejected order reopens the RFQ (its quote rejected): the timeline remembers the award.
    if (!(view.timeline ?? []).some((e: any) => e.type === 'awarded')) {
      const winner = quoting[0]!;
      const quotes = expect2xx(`the quotes of "${rfq.title}"`, await api.call(`/api/v1/rfqs/${id}/quotes`, { account: buyer }), 200).body.data.quotes as any[];
      const quote = quotes.find((q) => q.supplierCompanyId === winner.account.companyId);
      if (!quote) throw new Error(`no quote of ${winner.key} on "${rfq.title}"`);
      expect2xx(`the award of "${rfq.title}"`, await api.call(`/api/v1/rfqs/${id}/award`, { account: buyer, body: { quoteId: quote.id } }), 201);
      made('awards');
      view = { ...view, status: 'awarded' };
    }
    // Compliance decides the order the award made.
    let order = (
      await api.until(
        `the order of "${rfq.title}" to be decided`,
        () => api.call(`/api/v1/orders?rfqId=${id}`, { account: buyer }),
        (res) => res.status === 200 && res.body.data.some((o: any) => o.status !== 'pending_compliance'),
        timeoutMs,
      )
    ).body.data.find((o: any) => o.status !== 'pending_compliance');
    const wantRejected = rfq.stage === 'rejected';
    if ((order.status === 'rejected') !== wantRejected) throw new Error(`the order of "${rfq.title}" is ${order.status}: the demo data expects ${wantRejected ? 'a rejection' : 'a confirmation'}`);
    const move = async (to: string, by: Account) => {
      order = expect2xx(`moving the order of "${rfq.title}" to ${to}`, await api.call(`/api/v1/orders/${order.id}/status`, { account: by, body: { status: to, note: 'Demo market' } }), 200).body.data;
      made(`orders ${to}`);
    };
    if ((rfq.stage === 'shipped' || rfq.stage === 'delivered') && order.status === 'confirmed') await move('shipped', quoting[0]!.account);
    if (rfq.stage === 'delivered' && order.status === 'shipped') await move('delivered', buyer);
    return { id, status: view.status as string, orderId: order.id as string, orderStatus: order.status as string };
  }

  return {
    created: Object.values(counts).reduce((sum, n) => sum + n, 0),
    counts,
    accounts: { buyers, suppliers },
    rfqs,
    durationMs: performance.now() - started,
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */
