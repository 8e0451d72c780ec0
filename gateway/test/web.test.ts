/**
 * The web console at /: a real gateway on a real port serving a fixture build (index.html and a
 * hashed asset, as `vite build` writes them) beside the API, which a scripted upstream answers.
 * Cache headers, content types, the client-route fallback and where it stops, the console's own
 * CSP, the 503 before the console is built, hostile paths, and the rate limit it skips.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { UPSTREAMS } from '../src/upstreams.js';
import { CONSOLE_CSP } from '../src/plugins/web.js';
import { answerJson, envelope, fetchBody, signedIn, startGateway, startScripted, urlOf, type ScriptedUpstream } from './helpers.js';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-abc123.js"></script></head><body><div id="root">fx-console</div></body></html>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(2000))});`;
const SECRET = 'outside-the-web-root';

let dir: string;
let webRoot: string;
let scripted: ScriptedUpstream;
let gateway: FastifyInstance;
let unbuilt: FastifyInstance;
let limited: FastifyInstance;
let missingRoot: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gateway-web-'));
  webRoot = join(dir, 'dist');
  await mkdir(join(webRoot, 'assets'), { recursive: true });
  await writeFile(join(webRoot, 'index.html'), INDEX);
  await writeFile(join(webRoot, 'assets', 'app-abc123.js'), SCRIPT);
  await writeFile(join(webRoot, 'assets', 'app-abc123.js.gz'), gzipSync(SCRIPT));
  await writeFile(join(webRoot, 'assets', 'app-abc123.css'), 'body{margin:0}');
  await writeFile(join(webRoot, 'robots.txt'), 'User-agent: *\n');
  await writeFile(join(webRoot, '.env'), 'SECRET=1');
  // Beside the root, not in it: no path may reach it.
  await writeFile(join(dir, 'secret.txt'), SECRET);
  missingRoot = join(dir, 'not-built-yet');

  scripted = await startScripted((req, res) => {
    if (req.url === '/health/ready') {
      return answerJson(res, 200, envelope({ data: { status: 'ok', service: 'scripted', version: '1.0.0', uptimeSeconds: 1, checks: {} } }));
    }
    req.resume();
    answerJson(res, 200, envelope({ data: { path: req.url } }));
  });
  const urls = Object.fromEntries(UPSTREAMS.map((u) => [u.name, scripted.url]));
  gateway = await startGateway(urls, { WEB_ROOT: webRoot });
  unbuilt = await startGateway(urls, { WEB_ROOT: missingRoot });
  limited = await startGateway(urls, { WEB_ROOT: webRoot, RATE_LIMIT_GLOBAL_MAX: 3 });
});

afterAll(async () => {
  await Promise.all([gateway, unbuilt, limited].map((g) => g?.close()));
  await scripted?.close();
  await rm(dir, { recursive: true, force: true });
});

const on = (app: FastifyInstance, path: string, init: RequestInit = {}) => fetchBody(`${urlOf(app)}${path}`, init);

/** One request with its path sent exactly as given (fetch would normalise `..` and re-encode). */
function rawGet(app: FastifyInstance, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: (app.server.address() as { port: number }).port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('latin1') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A request line with bytes no HTTP client would send (a NUL), over a bare socket: its status. */
function rawRequestLine(app: FastifyInstance, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect((app.server.address() as { port: number }).port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
    socket.write(`${line}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  });
}

function expectPage(res: { status: number; headers: Headers; body: unknown }) {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  expect(res.headers.get('cache-control')).toBe('no-cache');
  expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
  expect(res.body).toBe(INDEX);
}

function expectEnvelope(res: { status: number; headers: Headers; body: any }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.body).toMatchObject({ success: false, error: { code }, metadata: { version: 'v1' } });
}

describe('the built console', () => {
  it('serves index.html at / for revalidation, with the console CSP', async () => {
    const res = await on(gateway, '/');
    expectPage(res);
    expect(res.headers.get('etag')).toBeTruthy();
    // Raw: fetch adds `cache-control: no-cache` to a conditional request, which forbids a 304.
    const again = await rawGet(gateway, '/', { 'if-none-match': res.headers.get('etag')! });
    expect(again.status).toBe(304);
    const head = await fetch(`${urlOf(gateway)}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('serves hashed assets as immutable for a year, with their content types', async () => {
    const script = await on(gateway, '/assets/app-abc123.js', { headers: { 'accept-encoding': 'identity' } });
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(script.body).toBe(SCRIPT);
    const style = await on(gateway, '/assets/app-abc123.css');
    expect(style.headers.get('content-type')).toMatch(/^text\/css/);
    expect(style.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    // The build's other files are not hashed: revalidated like index.html.
    const robots = await on(gateway, '/robots.txt');
    expect(robots.status).toBe(200);
    expect(robots.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(robots.headers.get('cache-control')).toBe('no-cache');
  });

  it('sends a precompressed sibling to a client that accepts it, the plain file otherwise', async () => {
    const gzipped = await rawGet(gateway, '/assets/app-abc123.js', { 'accept-encoding': 'gzip' });
    expect(gzipped.status).toBe(200);
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const plain = await rawGet(gateway, '/assets/app-abc123.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(SCRIPT);
  });

  it('answers index.html for the client routes of the console', async () => {
    for (const path of ['/rfqs/123', '/admin/dashboard', '/rfqs/', '/orders/65f0c0ffee?tab=lines', '/products/SKU.1-2', '/metricsboard']) {
      expectPage(await on(gateway, path));
    }
    const head = await fetch(`${urlOf(gateway)}/rfqs/123`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('answers a missing asset 404, not index.html', async () => {
    for (const path of ['/assets/app-missing.js', '/assets/', '/assets/nested/none.css', '/assets']) {
      const res = await on(gateway, path);
      expectEnvelope(res, 404, 'NOT_FOUND');
    }
  });

  it('keeps the API and the gateway routes as they were', async () => {
    const unknown = await on(gateway, '/api/v1/nowhere/at/all');
    expectEnvelope(unknown, 404, 'NOT_FOUND');
    expect(unknown.body.error.message).toBe('Route GET /api/v1/nowhere/at/all not found');
    expectEnvelope(await on(gateway, '/api'), 404, 'NOT_FOUND');
    expectEnvelope(await on(gateway, '/api/'), 404, 'NOT_FOUND');
    expectEnvelope(await on(gateway, '/%61pi/v1/nowhere'), 404, 'NOT_FOUND');
    expectEnvelope(await on(gateway, '/api/v1/nowhere', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }), 404, 'NOT_FOUND');
    expectEnvelope(await on(gateway, '/health/nothing'), 404, 'NOT_FOUND');
    // Swagger UI's own files stay its own (a missing one is not the console's page).
    const docsFile = await on(gateway, '/docs/static/none.js');
    expect(docsFile.status).toBeGreaterThanOrEqual(400);
    expect(docsFile.headers.get('content-type')).toMatch(/^application\/json/);
    // A proxied call still reaches its service.
    const proxied = await on(gateway, '/api/v1/rfqs/anything', await signedIn());
    expect(proxied.status).toBe(200);
    expect(proxied.body.data.path).toBe('/api/v1/rfqs/anything');

    const health = await on(gateway, '/health');
    expect(health.headers.get('content-type')).toMatch(/^application\/json/);
    expect(health.body.data.services.rfq.status).toBe('up');
    const openapi = await on(gateway, '/openapi.json');
    expect(openapi.status).toBe(200);
    expect(openapi.body.openapi).toMatch(/^3\./);
    // The console's routes are no part of the API's document.
    expect(Object.keys(openapi.body.paths).filter((path) => path === '/' || path.startsWith('/assets'))).toEqual([]);
    expect((await on(gateway, '/asyncapi.json')).status).toBe(200);
    expect((await on(gateway, '/metrics')).headers.get('content-type')).toMatch(/^text\/plain/);
    const docs = await on(gateway, '/docs/');
    expect(docs.status).toBe(200);
    expect(docs.body).toContain('swagger');
    expect(docs.headers.get('content-security-policy')).toContain('validator.swagger.io');
  });

  it('gives the console its own CSP and leaves the API its allow-nothing one', async () => {
    const page = await on(gateway, '/rfqs/1');
    const api = await on(gateway, '/api/v1/nowhere');
    const proxied = await on(gateway, '/api/v1/rfqs/anything', await signedIn());
    const health = await on(gateway, '/health');
    expect(page.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("style-src 'self' 'unsafe-inline'");
    for (const res of [api, proxied, health]) {
      expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
      expect(res.headers.get('content-security-policy')).not.toBe(CONSOLE_CSP);
    }
  });

  it('answers other methods on console paths as the kit answers them elsewhere', async () => {
    // Paths with a route: 405 naming its methods.
    for (const path of ['/', '/assets/app-abc123.js']) {
      const res = await on(gateway, path, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      expectEnvelope(res, 405, 'METHOD_NOT_ALLOWED');
      expect(res.headers.get('allow')).toContain('GET');
    }
    // A client route is no route: the kit's 404, as before the console.
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await on(gateway, '/rfqs/123', { method, body: '{}', headers: { 'content-type': 'application/json' } });
      expectEnvelope(res, 404, 'NOT_FOUND');
    }
  });
});

describe('hostile paths', () => {
  it('never serve a file outside the root, a dotfile, or a 500', async () => {
    const paths = [
      '/assets/../../secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/..%5csecret.txt',
      '/assets/..%5c..%5csecret.txt',
      '/.env',
      '/%2eenv',
      '/assets/.%2e/index.html',
      '/rfqs/%00',
      '/%00',
      '/assets/app-abc123.js%00.png',
      '/rfqs/%E0%A4%A',
      '/assets/%E0%A4%A',
      `/rfqs/${'x'.repeat(5000)}`,
      `/assets/${'x'.repeat(300)}.js`,
      `/${'a/'.repeat(3000)}`,
      '//secret.txt',
      '/assets//app-abc123.js',
    ];
    for (const path of paths) {
      const res = await rawGet(gateway, path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
      expect(res.body, path).not.toContain(SECRET);
      expect(res.body, path).not.toContain('SECRET=1');
      expect(res.headers['content-type'], path).toMatch(/^application\/json/);
    }
  });

  it('refuse a raw NUL byte or a path too long for the server in the envelope', async () => {
    const nul = await rawRequestLine(gateway, 'GET /rfqs/\u0000x HTTP/1.1');
    expect(nul).toMatch(/^HTTP\/1\.1 4\d\d /);
    const huge = await rawGet(gateway, `/rfqs/${'y'.repeat(40_000)}`);
    expect(huge.status).toBeGreaterThanOrEqual(400);
    expect(huge.status).toBeLessThan(500);
  });
});

describe('before the console is built', () => {
  it('answers the console paths 503 saying how to build it, and the API carries on', async () => {
    for (const path of ['/', '/rfqs/123']) {
      const res = await on(unbuilt, path);
      expectEnvelope(res, 503, 'SERVICE_UNAVAILABLE');
      expect(res.body.error.message).toContain('pnpm --filter @foodxchange/web build');
    }
    expectEnvelope(await on(unbuilt, '/assets/app-abc123.js'), 404, 'NOT_FOUND');
    const proxied = await on(unbuilt, '/api/v1/rfqs/anything', await signedIn());
    expect(proxied.status).toBe(200);
    expect((await on(unbuilt, '/health/live')).status).toBe(200);
    expectEnvelope(await on(unbuilt, '/api/v1/nowhere'), 404, 'NOT_FOUND');
  });

  it('serves the console once it is built, without a restart (a directory without index.html is not built)', async () => {
    await mkdir(join(missingRoot, 'assets'), { recursive: true });
    expectEnvelope(await on(unbuilt, '/'), 503, 'SERVICE_UNAVAILABLE');
    await writeFile(join(missingRoot, 'index.html'), INDEX);
    expectPage(await on(unbuilt, '/'));
    expectPage(await on(unbuilt, '/admin/dashboard'));
  });
});

describe('rate limits', () => {
  it('do not count the console: a page load of a score of files passes a limit of 3, the API is still limited', async () => {
    const from = { headers: { 'x-forwarded-for': '203.0.113.77' } };
    for (let i = 0; i < 8; i++) {
      for (const path of ['/', '/assets/app-abc123.js', '/assets/app-abc123.css', '/robots.txt', `/rfqs/${i}`]) {
        expect((await on(limited, path, from)).status, path).toBe(200);
      }
    }
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await on(limited, '/api/v1/rfqs/anything', await signedIn(from))).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
