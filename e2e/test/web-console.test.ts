/**
 * The web console for real: the built console (web/dist, served by the gateway at /) driven in
 * headless Chromium against the nine real processes, one browser context per person. A supplier
 * and a buyer register, the supplier lists certificates and a product, the buyer posts an RFQ,
 * the supplier quotes from the inbox, the buyer awards it and follows the order through
 * compliance; another company's buyer cannot open either; the admin dashboard counts the order.
 * Every main page gets a full-page screenshot (e2e/artifacts/web-console/) and an axe scan.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { ensureChromium } from '@foodxchange/infra';
import { GATEWAY, LOCAL_ADMIN, SERVICES, launch, stopProcesses, waitForPlatform, type RunningProcess } from '../../scripts/platform.js';
import { infra } from './support.js';

const PORT_OFFSET = 18_000;
const suffix = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const gateway = `http://127.0.0.1:${GATEWAY.port + PORT_OFFSET}`;
const searchAlias = `e2e-products-${suffix}`;
const artifacts = fileURLToPath(new URL('../artifacts/web-console/', import.meta.url));
const PASSWORD = 'Console-E2E-Pass-2026!';
/** Matching, compliance and the event copies behind them take seconds on a 2-core machine. */
const SLOW = 60_000;

let processes: RunningProcess[] = [];
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];
let adminToken = '';

/**
 * One process at a time, each given up to three starts: on a 2-core machine shared with other
 * test runs, nine processes joining their consumer groups at once can overrun Fastify's 10 s
 * ready timeout, and a process that exits that way simply starts again.
 */
async function startPlatform(logDir: string): Promise<void> {
  for (const { name } of [...SERVICES, GATEWAY]) {
    for (let attempt = 1; ; attempt++) {
      const started = launch({ infra, portOffset: PORT_OFFSET, logDir, only: [name], envFor });
      processes.push(...started);
      try {
        await waitForPlatform(started, { timeoutMs: 120_000 });
        break;
      } catch (error) {
        await stopProcesses(started);
        processes = processes.filter((p) => !started.includes(p));
        if (attempt === 3) throw error;
      }
    }
  }
}

function envFor(name: string): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    MONGO_DB: `e2e_${name}_${suffix}`,
    KAFKA_GROUP_ID: `e2e.${name}.${suffix}`,
    KAFKA_FROM_BEGINNING: 'false',
    KAFKA_TOPIC_PREFIX: 'e2e.',
    OUTBOX_POLL_MS: '200',
    // A browser makes many calls per page; the default limits are for the public internet.
    ...(name === 'gateway'
      ? {
          RATE_LIMIT_AUTH_MAX: '200',
          RATE_LIMIT_REFRESH_MAX: '500',
          RATE_LIMIT_USER_MAX: '5000',
          RATE_LIMIT_GLOBAL_MAX: '20000',
          RATE_LIMIT_NAMESPACE: `e2e:${suffix}:web:gateway:`,
        }
      : {}),
    ...(name === 'auth' ? { LOGIN_THROTTLE_NAMESPACE: `e2e:${suffix}:web:login:` } : {}),
    ...(name === 'catalog' ? { SEARCH_INDEX_ALIAS: searchAlias } : {}),
  };
}

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  const [executablePath] = await Promise.all([ensureChromium(), startPlatform(mkdtempSync(join(tmpdir(), 'foodxchange-e2e-web-')))]);
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  const login = await call('/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(LOCAL_ADMIN) });
  expect(login.status).toBe(200);
  adminToken = login.body.data.accessToken;
}, 600_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await stopProcesses(processes);
  const client = new MongoClient(infra.mongoUrl);
  await client.connect();
  for (const { name } of [...SERVICES, GATEWAY]) await client.db(`e2e_${name}_${suffix}`).dropDatabase().catch(() => undefined);
  await client.close();
  await fetch(`${infra.elasticsearchUrl}/${searchAlias}-*`, { method: 'DELETE' }).catch(() => undefined);
});

/** A failed test leaves each open page's screenshot and text behind, to read what it showed. */
afterEach(async (context) => {
  if (context.task.result?.state !== 'fail') return;
  let n = 0;
  for (const browserContext of contexts) {
    for (const page of browserContext.pages()) {
      n++;
      const base = join(artifacts, `failed-${context.task.name.slice(0, 30).replace(/\W+/g, '-')}-${n}`);
      await page.screenshot({ path: `${base}.png`, fullPage: true }).catch(() => undefined);
      const text = await page.locator('body').innerText().catch(() => '');
      writeFileSync(`${base}.txt`, `${page.url()}\n\n${text}`);
    }
  }
});

async function call(path: string, init: RequestInit = {}) {
  const res = await fetch(`${gateway}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

/** A fresh browser profile: its own cookies, so its own signed-in person. */
async function newPage(): Promise<Page> {
  const context = await browser!.newContext({ baseURL: gateway, viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(20_000);
  contexts.push(context);
  return context.newPage();
}

/** The screenshot of a main page and its accessibility scan: no serious or critical violation. */
async function checkPage(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
  const { violations } = await new AxeBuilder({ page }).analyze();
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const words = bad.map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`).join('\n');
  expect(bad, `${name}: accessibility violations\n${words}`).toEqual([]);
}

const isoDay = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

interface Person {
  name: string;
  email: string;
  company: string;
}

function person(role: string): Person {
  return { name: `E2E ${role}`, email: `web-${role}-${suffix}@console-e2e.example.com`, company: `E2E ${role} ${suffix} GmbH` };
}

async function registerThroughBrowser(page: Page, who: Person, role: 'buyer' | 'supplier', country: string, home: string): Promise<void> {
  await page.goto('/register');
  await page.getByRole('heading', { name: 'Create your company account' }).waitFor();
  await page.getByLabel(role === 'buyer' ? 'a buyer (I source food)' : 'a supplier (I sell food)').check();
  await page.getByLabel('Your name').fill(who.name);
  await page.getByLabel('Work e-mail').fill(who.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel('Company name').fill(who.company);
  await page.getByLabel('Company country').selectOption(country);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL((url) => url.pathname === home, { timeout: SLOW });
}

async function addCertification(page: Page, type: string, number: string): Promise<void> {
  const form = page.locator('form[aria-labelledby="add-certification-heading"]');
  await form.getByLabel('Certification type').selectOption(type);
  await form.getByLabel('Certificate number').fill(number);
  await form.getByLabel('Issued by').fill('SGS');
  await form.getByLabel('Valid from').fill(isoDay(-30));
  await form.getByLabel('Valid until').fill(isoDay(365));
  await form.getByRole('button', { name: 'Add certification' }).click();
  await form.getByText(/^Certification .* added\.$/).waitFor({ timeout: SLOW });
}

async function unreadCount(page: Page): Promise<number> {
  const badge = page.getByTestId('unread-badge');
  if (!(await badge.isVisible())) return 0;
  return Number((await badge.textContent())?.replace(/\D/g, '') || '0');
}

const supplier = person('supplier');
const buyer = person('buyer');
const otherBuyer = person('other-buyer');
const productName = `Vine tomatoes ${suffix}`;
const rfqTitle = `Vine tomatoes for Berlin ${suffix}`;
let rfqPath = '';
let orderPath = '';

describe('the web console in a browser', () => {
  it('carries a supplier and a buyer from registration to a compliant order', { timeout: 300_000 }, async () => {
    const sup = await newPage();
    const buy = await newPage();

    // Registration: each lands on its role's home page, signed in.
    await registerThroughBrowser(sup, supplier, 'supplier', 'ES', '/inbox');
    await registerThroughBrowser(buy, buyer, 'buyer', 'DE', '/search');

    // The supplier's certificates: HACCP (the RFQ asks for it) and ISO 22000 (the EU market's rules).
    await sup.goto('/company');
    await sup.getByRole('heading', { level: 1, name: 'Company profile' }).waitFor();
    await addCertification(sup, 'HACCP', `HACCP-${suffix}`);
    await addCertification(sup, 'ISO22000', `ISO-${suffix}`);
    await sup.getByRole('cell', { name: `HACCP-${suffix}` }).waitFor();
    await checkPage(sup, 'company-profile');

    // A product: tomatoes, one price tier.
    await sup.goto('/products/new');
    await sup.getByRole('heading', { level: 1, name: 'New product' }).waitFor();
    await sup.getByLabel('Name', { exact: true }).fill(productName);
    await sup.getByLabel('SKU').fill(`TOM-${suffix}`);
    await sup.getByLabel('Description').fill('Class I vine tomatoes from Almería, 6 kg cases.');
    await sup.getByLabel('Category').selectOption('vegetables.tomatoes');
    await sup.getByLabel('Origin country').selectOption('ES');
    await sup.getByLabel('Unit', { exact: true }).fill('kg');
    await sup.getByLabel('Minimum order quantity (MOQ)').fill('100');
    await sup.getByLabel('Storage').selectOption('chilled');
    await sup.getByLabel(/^From quantity/).fill('100');
    await sup.getByLabel(/^Unit price per kg/).fill('2.10');
    await checkPage(sup, 'product-new');
    await sup.getByRole('button', { name: 'Save product' }).click();
    await sup.waitForURL((url) => url.pathname === '/products', { timeout: SLOW });
    await sup.getByRole('link', { name: productName }).or(sup.getByText(productName).first()).first().waitFor();
    await checkPage(sup, 'my-products');

    // The search index has it before the RFQ is matched against it.
    await expect
      .poll(
        async () => {
          const res = await call(`/api/v1/products?q=${encodeURIComponent(productName)}`, { headers: { authorization: `Bearer ${adminToken}` } });
          return res.status === 200 && res.body.data.some((p: { sku: string }) => p.sku === `TOM-${suffix}`);
        },
        { timeout: SLOW, interval: 500 },
      )
      .toBe(true);

    // The buyer finds it in the catalogue.
    await buy.goto(`/search?q=${encodeURIComponent(productName)}`);
    await buy.getByRole('heading', { level: 1, name: 'Catalogue' }).waitFor();
    await buy.getByText(productName).first().waitFor({ timeout: SLOW });
    await checkPage(buy, 'catalogue');

    // The buyer posts an RFQ for tomatoes to Germany, HACCP required.
    await buy.goto('/rfqs/new');
    await buy.getByRole('heading', { level: 1, name: 'New request for quotation' }).waitFor();
    await buy.getByLabel('Title').fill(rfqTitle);
    await buy.getByLabel('Delivery country').fill('DE');
    await buy.getByRole('checkbox', { name: 'HACCP' }).check();
    await buy.getByLabel('Item 1 name').fill('Vine tomatoes');
    await buy.getByLabel('Item 1 category').selectOption('vegetables.tomatoes');
    await buy.getByLabel('Item 1 quantity').fill('500');
    await checkPage(buy, 'rfq-new');
    await buy.getByRole('button', { name: 'Post RFQ' }).click();
    await buy.waitForURL((url) => /^\/rfqs\/(?!new$)[^/]+$/.test(url.pathname), { timeout: SLOW });
    rfqPath = new URL(buy.url()).pathname;
    await buy.getByRole('heading', { level: 1, name: rfqTitle }).waitFor();

    // Matching: the supplier appears under "Matched suppliers" (the page polls until matched).
    const matches = buy.getByRole('region', { name: 'Matched suppliers' });
    await matches.getByRole('link', { name: supplier.company }).waitFor({ timeout: SLOW });
    await checkPage(buy, 'rfq-detail-matched');
    const unreadBefore = await unreadCount(buy);

    // The supplier finds the RFQ in the inbox (the invitation arrives with the match) and quotes.
    await sup.goto('/inbox');
    await sup.getByRole('heading', { level: 1, name: 'RFQ inbox' }).waitFor();
    await expect
      .poll(
        async () => {
          if (await sup.getByRole('link', { name: rfqTitle }).isVisible()) return true;
          await sup.reload();
          await sup.getByRole('heading', { level: 1, name: 'RFQ inbox' }).waitFor();
          return sup.getByRole('link', { name: rfqTitle }).isVisible();
        },
        { timeout: SLOW, interval: 1000 },
      )
      .toBe(true);
    await checkPage(sup, 'inbox');
    await sup.getByRole('link', { name: rfqTitle }).click();
    await sup.getByRole('heading', { level: 1, name: rfqTitle }).waitFor();
    await sup.getByLabel('Unit price for Vine tomatoes').fill('2.05');
    await sup.getByLabel('Currency').fill('EUR');
    await sup.getByLabel('Lead time (days)').fill('5');
    await sup.getByLabel('Valid until').fill(isoDay(14));
    await sup.getByLabel('Notes').fill('Delivered chilled, FCA Almería.');
    await checkPage(sup, 'inbox-rfq-quote');
    await sup.getByRole('button', { name: 'Submit quote' }).click();
    // Once sent, the page shows the quote as submitted and offers to revise or withdraw it.
    await sup.getByRole('heading', { name: /^Your quote\s*Submitted/ }).waitFor({ timeout: SLOW });
    await sup.getByRole('button', { name: 'Update quote' }).waitFor();
    await sup.getByRole('button', { name: 'Withdraw quote' }).waitFor();

    // The buyer's console hears of the quote live: a toast or a higher unread count, no reload.
    await expect
      .poll(async () => (await buy.getByTestId('notification-toast').isVisible()) || (await unreadCount(buy)) > unreadBefore, { timeout: SLOW, interval: 500 })
      .toBe(true);

    // The quote shows in the comparison (the page refreshes its quotes every 10 s).
    const comparison = buy.getByRole('table', { name: 'Quote comparison' }).or(buy.getByRole('region', { name: 'Quote comparison' })).first();
    await comparison.getByText('Cheapest complete').waitFor({ timeout: SLOW });
    await expect.poll(() => comparison.textContent()).toContain('1,025');
    await checkPage(buy, 'rfq-detail-quotes');

    // Award it.
    await buy.getByRole('button', { name: `Award the quote of ${supplier.company}` }).click();
    const dialog = buy.getByRole('dialog', { name: 'Award this quote?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Award quote' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: SLOW });

    // The order: the RFQ page links to it once placed; compliance passes for the EU.
    const orderLink = buy.locator('a[href^="/orders/"]').first();
    await orderLink.waitFor({ timeout: SLOW });
    await orderLink.click();
    await buy.waitForURL(/\/orders\/[^/]+$/);
    orderPath = new URL(buy.url()).pathname;
    await buy.getByRole('heading', { level: 1, name: /^Order / }).waitFor();
    // The verdict, with its reasons in the message should it be a rejection.
    await buy.getByRole('heading', { name: /^Compliance check (passed|failed)/ }).waitFor({ timeout: SLOW });
    const verdict = await buy.getByRole('region', { name: /^Compliance check/ }).innerText();
    expect(verdict, 'the compliance verdict shown on the order').toContain('Compliance check passed (EU)');
    await buy.getByRole('heading', { name: 'Status timeline' }).waitFor();
    await expect.poll(() => buy.locator('main').textContent(), { timeout: SLOW }).toContain('Confirmed');
    await checkPage(buy, 'order-detail');

    // The notifications page lists what arrived.
    await buy.goto('/notifications');
    await buy.getByRole('heading', { level: 1 }).first().waitFor();
    await checkPage(buy, 'notifications');
  });

  it("keeps one company's RFQ and order out of another company's console", { timeout: 120_000 }, async () => {
    expect(rfqPath, 'the journey posted an RFQ').not.toBe('');
    const other = await newPage();
    await registerThroughBrowser(other, otherBuyer, 'buyer', 'FR', '/search');

    await other.goto(rfqPath);
    await other.getByText('This RFQ could not be loaded').waitFor({ timeout: SLOW });
    expect(await other.locator('body').textContent()).not.toContain(rfqTitle);
    await checkPage(other, 'isolation-rfq');

    expect(orderPath, 'the journey placed an order').not.toBe('');
    await other.goto(orderPath);
    await other.getByText('This order could not be loaded').waitFor({ timeout: SLOW });
    const text = (await other.locator('body').textContent()) ?? '';
    expect(text).not.toContain(rfqTitle);
    expect(text).not.toContain(supplier.company);
    await checkPage(other, 'isolation-order');
  });

  it('shows the admin the headline numbers, the new order counted', { timeout: 120_000 }, async () => {
    const admin = await newPage();
    await admin.goto('/login');
    await admin.getByLabel('E-mail').fill(LOCAL_ADMIN.email);
    await admin.getByLabel('Password').fill(LOCAL_ADMIN.password);
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.waitForURL((url) => url.pathname === '/admin', { timeout: SLOW });
    await admin.getByRole('heading', { level: 1, name: 'Platform dashboard' }).waitFor();
    const orders = admin.locator('dt:text-is("Orders") + dd');
    // The admin service counts from events: the dashboard refreshes itself every 15 s.
    await expect.poll(async () => Number(((await orders.textContent()) ?? '').replace(/\D/g, '') || '0'), { timeout: SLOW, interval: 1000 }).toBeGreaterThanOrEqual(orderPath ? 1 : 0);
    await expect.poll(async () => Number(((await admin.locator('dt:text-is("Companies") + dd').first().textContent()) ?? '').replace(/\D/g, '') || '0')).toBeGreaterThanOrEqual(3);
    await checkPage(admin, 'admin-dashboard');
  });
});
