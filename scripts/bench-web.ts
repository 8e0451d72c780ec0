/**
 * `pnpm bench:web`: the web console's budgets, measured in headless Chromium (Debian's package)
 * against the nine real processes with the demo market seeded (own databases, topics and search
 * alias, removed afterwards):
 *   - initial JavaScript: gzip bytes of the entry script and the chunks index.html preloads;
 *   - time to interactive of the catalogue search and of the buyer's quote comparison (navigation
 *     start until the results / the comparison table are on screen and the page answers input),
 *     and search results visible after typing a new query;
 *   - the same navigation to a plain static HTML page (a bare Node HTTP server), measured in the
 *     same run as the reference.
 * Targets: initial JS <= 200 kB gzip; search results visible <= 1 s after typing.
 * A benchmark prints figures; it asserts nothing.
 */
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { ensureChromium, infraUp } from '../infra/src/index.js';
import { GATEWAY, SERVICES, launch, portOf, root, stopProcesses, waitForPlatform } from './platform.js';
import { ensureBuilt } from './build.js';
import { seedDemo } from './demo/seed.js';
import { DEMO_LOGINS, DEMO_PASSWORD } from './demo/market.js';

ensureBuilt();

// playwright-core and mongodb are e2e's dependencies: loaded from there, their types do not reach scripts/.
const fromE2e = createRequire(join(root, 'e2e', 'package.json'));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const { chromium } = fromE2e('playwright-core') as { chromium: any };
const { MongoClient } = fromE2e('mongodb') as { MongoClient: new (url: string) => { connect(): Promise<void>; db(name: string): { dropDatabase(): Promise<unknown> }; close(): Promise<void> } };
const OFFSET = 22_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const suffix = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const alias = `bench-web-products-${suffix}`;
const webDist = join(root, 'web', 'dist');

/** The entry script and what index.html preloads: what a first visit must download before it runs. */
function initialJavaScript(): { files: string[]; rawBytes: number; gzipBytes: number } {
  const html = readFileSync(join(webDist, 'index.html'), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
  let rawBytes = 0;
  let gzipBytes = 0;
  for (const file of new Set(files)) {
    const body = readFileSync(join(webDist, file));
    rawBytes += body.length;
    gzipBytes += gzipSync(body, { level: 9 }).length;
  }
  return { files: [...new Set(files)], rawBytes, gzipBytes };
}

// The reference: a plain static page of the same gateway, from a web root of its own.
const staticRoot = mkdtempSync(join(tmpdir(), 'foodxchange-bench-web-static-'));
writeFileSync(
  join(staticRoot, 'index.html'),
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Static reference</title></head><body><h1>Catalogue</h1><ul>${Array.from({ length: 20 }, (_, i) => `<li>Product ${i}</li>`).join('')}</ul></body></html>`,
);

const infra = await infraUp({ log: () => undefined });
const processes = launch({
  infra,
  portOffset: OFFSET,
  logDir: mkdtempSync(join(tmpdir(), 'foodxchange-bench-web-')),
  envFor: (name) => ({
    LOG_LEVEL: 'warn',
    MONGO_DB: `bench_web_${name}_${suffix}`,
    KAFKA_GROUP_ID: `bench-web.${name}.${suffix}`,
    KAFKA_FROM_BEGINNING: 'false',
    KAFKA_TOPIC_PREFIX: `bench-web-${suffix}.`,
    ...(name === 'catalog' ? { SEARCH_INDEX_ALIAS: alias } : {}),
    ...(name === 'auth' ? { LOGIN_THROTTLE_NAMESPACE: `bench-web:${suffix}:login:` } : {}),
    ...(name === 'gateway'
      ? { RATE_LIMIT_AUTH_MAX: '1000', RATE_LIMIT_REFRESH_MAX: '1000', RATE_LIMIT_GLOBAL_MAX: '1000000', RATE_LIMIT_USER_MAX: '1000000', RATE_LIMIT_NAMESPACE: `bench-web:${suffix}:` }
      : {}),
  }),
});
const gateway = `http://127.0.0.1:${portOf('gateway', OFFSET)}`;
// The reference: the same kind of answer (an HTML file, no-cache) from a bare Node HTTP server.
const referenceHtml = readFileSync(join(staticRoot, 'index.html'));
const referenceServer = createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
  response.end(referenceHtml);
});
await new Promise<void>((resolve) => referenceServer.listen(0, '127.0.0.1', resolve));
const referenceUrl = `http://127.0.0.1:${(referenceServer.address() as AddressInfo).port}/`;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fmt = (values: number[]) => `median ${median(values).toFixed(0)} ms (min ${Math.min(...values).toFixed(0)}, max ${Math.max(...values).toFixed(0)}, ${values.length} runs)`;

try {
  await waitForPlatform(processes, { timeoutMs: 180_000 });
  console.log('seeding the demo market…');
  await seedDemo(gateway, { log: () => undefined });
  const js = initialJavaScript();

  const executablePath = await ensureChromium();
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${gateway}/login`);
  await page.getByLabel('E-mail').fill(DEMO_LOGINS.buyer.email);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: /sign in/i }).click();
  await page.waitForURL((url: URL) => !url.pathname.startsWith('/login'));

  // The RFQ with the most quotes: the demo's richest comparison.
  const login = await fetch(`${gateway}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: DEMO_LOGINS.buyer.email, password: DEMO_PASSWORD }) });
  const token = ((await login.json()) as { data: { accessToken: string } }).data.accessToken;
  const rfqs = (await (await fetch(`${gateway}/api/v1/rfqs?page=1&limit=50`, { headers: { authorization: `Bearer ${token}` } })).json()) as { data: { id: string; status: string }[] };
  let comparisonRfq = '';
  let mostQuotes = -1;
  for (const rfq of rfqs.data) {
    const quotes = (await (await fetch(`${gateway}/api/v1/rfqs/${rfq.id}/quotes`, { headers: { authorization: `Bearer ${token}` } })).json()) as { data: { quotes: unknown[] } };
    if (quotes.data.quotes.length > mostQuotes) [comparisonRfq, mostQuotes] = [rfq.id, quotes.data.quotes.length];
  }

  /** Navigation start to `ready` visible, then one input answered (the page is interactive). */
  async function timeToInteractive(url: string, ready: () => Promise<void>, probe: () => Promise<void>): Promise<number> {
    const t0 = performance.now();
    await page.goto(url, { waitUntil: 'commit' });
    await ready();
    await probe();
    return performance.now() - t0;
  }

  const staticTimes: number[] = [];
  const searchTimes: number[] = [];
  const compareTimes: number[] = [];
  const typingTimes: number[] = [];
  const words = ['olive oil', 'cheese', 'apples', 'rice', 'coffee', 'salmon', 'paprika'];
  for (let run = 0; run < RUNS; run++) {
    const referencePage = await context.newPage();
    const t0 = performance.now();
    await referencePage.goto(referenceUrl, { waitUntil: 'commit' });
    await referencePage.getByRole('heading', { name: 'Catalogue' }).waitFor();
    await referencePage.evaluate('new Promise((resolve) => requestAnimationFrame(resolve))');
    staticTimes.push(performance.now() - t0);
    await referencePage.close();

    searchTimes.push(
      await timeToInteractive(
        `${gateway}/search?q=tomatoes`,
        () => page.getByRole('region', { name: 'Results' }).getByRole('listitem').first().waitFor(),
        () => page.getByLabel('Search products').focus(),
      ),
    );
    // Typing a new query: keystrokes to the first result of the new answer on screen.
    const word = words[run % words.length]!;
    const box = page.getByLabel('Search products');
    await box.fill('');
    await box.pressSequentially(word, { delay: 40 });
    const typed = performance.now();
    await page.getByText(`for “${word}”`).waitFor();
    await page.waitForFunction(`!document.querySelector('section[aria-label="Results"][aria-busy="true"]')`);
    typingTimes.push(performance.now() - typed);

    compareTimes.push(
      await timeToInteractive(
        `${gateway}/rfqs/${comparisonRfq}`,
        () => page.getByRole('region', { name: 'Quote comparison' }).waitFor(),
        () => page.getByRole('heading', { name: 'Quotes' }).click(),
      ),
    );
  }
  await browser.close();

  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;
  console.log('\nweb console budgets (headless Chromium, demo market, this machine)');
  console.log(`initial JavaScript: ${kb(js.gzipBytes)} gzip (${kb(js.rawBytes)} raw, ${js.files.length} files) — target <= 200 kB: ${js.gzipBytes <= 200 * 1024 ? 'met' : 'MISSED'}`);
  console.log(`static reference page, navigation to painted: ${fmt(staticTimes)}`);
  console.log(`search page, navigation to results + input answered: ${fmt(searchTimes)} = ${(median(searchTimes) / median(staticTimes)).toFixed(1)}× the static page`);
  console.log(`quote comparison (${mostQuotes} quotes), navigation to table + input answered: ${fmt(compareTimes)} = ${(median(compareTimes) / median(staticTimes)).toFixed(1)}× the static page`);
  console.log(`search results visible after the last keystroke: ${fmt(typingTimes)} — target <= 1000 ms: ${median(typingTimes) <= 1000 ? 'met' : 'MISSED'} (includes the ${250} ms typing pause the page waits for)`);
} finally {
  referenceServer.close();
  await stopProcesses(processes);
  const client = new MongoClient(infra.mongoUrl);
  await client.connect();
  for (const { name } of [...SERVICES, GATEWAY]) await client.db(`bench_web_${name}_${suffix}`).dropDatabase().catch(() => undefined);
  await client.close();
  await fetch(`${infra.elasticsearchUrl}/${alias}-*`, { method: 'DELETE' }).catch(() => undefined);
}
