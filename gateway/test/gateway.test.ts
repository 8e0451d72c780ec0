import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { UPSTREAMS } from '../src/upstreams.js';
import { fetchBody, signedIn, startGateway, startUpstream, urlOf, type Upstream } from './helpers.js';

const upstreams = new Map<string, Upstream>();
let gateway: FastifyInstance;
let base: string;

beforeAll(async () => {
  for (const { name } of UPSTREAMS) upstreams.set(name, await startUpstream(name));
  // notification is down (nothing listens on its port); every other service answers.
  const urls = Object.fromEntries([...upstreams].map(([name, u]) => [name, u.url]));
  urls.notification = 'http://127.0.0.1:1';
  gateway = await startGateway(urls, {
    UPSTREAM_TIMEOUT_MS: 500,
    BREAKER_VOLUME_THRESHOLD: 3,
    // Long enough that an open breaker cannot turn half-open between two calls of a test, even on
    // a loaded machine; the test waits for the transition itself.
    BREAKER_RESET_MS: 5000,
    GATEWAY_INSTANCE: 'gw-test',
    UPLOAD_BODY_LIMIT_BYTES: 3 * 1024 * 1024,
  });
  base = urlOf(gateway);
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([...upstreams.values()].map((u) => u.server.close()));
});

// Signed in: the edge refuses anonymous callers on these routes (edge.test.ts).
const call = async (path: string, init: RequestInit = {}) => fetchBody(`${base}${path}`, await signedIn(init));

describe('routing', () => {
  it('sends each area to its service without rewriting the path', async () => {
    for (const upstream of UPSTREAMS.filter((u) => u.name !== 'notification')) {
      for (const prefix of upstream.prefixes) {
        if (prefix !== upstream.prefixes[0]) continue;
        const res = await call(`${prefix}/echo?x=1`);
        expect(res.status).toBe(200);
        expect(res.body.data).toMatchObject({ service: upstream.name, query: { x: '1' } });
      }
    }
  });

  it('passes request and correlation ids on and tags the replica', async () => {
    const res = await call('/api/v1/orders/echo', { headers: { 'x-correlation-id': 'corr-gateway-1', 'x-request-id': 'req-gateway-1' } });
    expect(res.body.data).toMatchObject({ requestId: 'req-gateway-1', correlationId: 'corr-gateway-1', forwardedFor: '127.0.0.1' });
    expect(res.headers.get('x-gateway-instance')).toBe('gw-test');
    const fresh = await call('/api/v1/orders/echo');
    expect(fresh.body.data.requestId).toBe(fresh.headers.get('x-request-id'));
  });

  it('streams bodies through and lets the service validate them', async () => {
    const created = await call('/api/v1/rfqs/items', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Oats', quantity: 5 }) });
    expect(created.status).toBe(201);
    expect(created.body.data).toEqual({ name: 'Oats', quantity: 5 });
    const malformed = await call('/api/v1/rfqs/items', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('VALIDATION_ERROR');
    const unknownField = await call('/api/v1/rfqs/items', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Oats', quantity: '5', colour: 'red' }) });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.error.fields).toEqual({ 'body.quantity': ['must be integer'], 'body.colour': ['is not allowed'] });
    const tooBig = await call('/api/v1/rfqs/items', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(10_000), quantity: 1 }) });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    // Past the platform-wide limit the gateway refuses before streaming anything upstream.
    const huge = await call('/api/v1/rfqs/items', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(2_000_000), quantity: 1 }) });
    expect(huge.status).toBe(413);
    expect(huge.body).toMatchObject({ success: false, error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(huge.headers.get('x-gateway-instance')).toBe('gw-test');
    const csv = await call('/api/v1/rfqs/items', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'name,quantity' });
    expect(csv.status).toBe(415);
    expect(csv.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    // An upload route takes files past the API limit (up to UPLOAD_BODY_LIMIT_BYTES): this 2 MB
    // body reaches the service (whose stand-in has no such route)…
    const body = 'sku,name\n'.repeat(200_000);
    const upload = await call('/api/v1/products/imports', { method: 'POST', headers: { 'content-type': 'text/csv' }, body });
    expect(upload.status).toBe(404);
    expect(upload.body.error.message).not.toMatch(/larger than/);
    // …the same body on any other route keeps the API limit…
    const notAnUpload = await call('/api/v1/products/imports/x', { method: 'POST', headers: { 'content-type': 'text/csv' }, body });
    expect(notAnUpload.status).toBe(413);
    // …and an upload past its own limit is refused before anything is streamed.
    const hugeUpload = await call('/api/v1/products/imports', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'sku,name\n'.repeat(450_000) });
    expect(hugeUpload.status).toBe(413);
    expect(hugeUpload.body.error.message).toBe(`Request body is larger than ${3 * 1024 * 1024} bytes`);
  });

  it('answers unknown routes with the 404 envelope, its own or the service’s', async () => {
    const own = await call('/api/v1/nowhere');
    expect(own.status).toBe(404);
    expect(own.body).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
    expect(own.headers.get('x-gateway-instance')).toBe('gw-test');
    const service = await call('/api/v1/orders/not/a/route');
    expect(service.status).toBe(404);
    expect(service.body).toMatchObject({ success: false, error: { code: 'NOT_FOUND', message: 'Route GET /api/v1/orders/not/a/route not found' } });
  });
});

// What makes these fast is what ended them (a refused connection, the gateway's own timeout),
// shown by the reason each answer gives: no clock is read, so a loaded machine cannot fail them.
describe('failures are fast 503 envelopes', () => {
  it('a service that is down', async () => {
    const res = await call('/api/v1/notifications/anything');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ success: false, error: { code: 'SERVICE_UNAVAILABLE', message: 'The notification service is unavailable' } });
    expect(res.body.error.details.reason).toMatch(/ECONNREFUSED/);
  });

  it('a service that hangs, within the timeout', async () => {
    // The service answers after 3 s; the gateway's 500 ms timeout answers first.
    const res = await call('/api/v1/compliance/slow');
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { service: 'compliance', reason: 'Gateway Timeout' } });
  });

  it('opens the breaker on repeated 5xx, rejects without calling, and closes after recovery', async () => {
    const order = upstreams.get('order')!;
    order.failing = true;
    // Earlier successes are in the rolling window: it opens once failures pass 50% of the calls.
    let failures = 0;
    while (!gateway.breakers.get('order')!.opened && failures < 10) {
      expect((await call('/api/v1/orders/flaky')).status).toBe(500);
      failures += 1;
    }
    expect(gateway.breakers.get('order')!.opened).toBe(true);
    expect(failures).toBeLessThanOrEqual(6);
    order.failing = false; // recovered, but the open breaker must not even ask yet
    const breaker = gateway.breakers.get('order')!;
    const calls = order.flakyCalls;
    const rejects = breaker.stats.rejects;
    const rejected = await call('/api/v1/orders/flaky');
    expect(rejected.status).toBe(503);
    expect(rejected.body.error.details).toMatchObject({ service: 'order' });
    expect(order.flakyCalls).toBe(calls);
    expect(breaker.stats.rejects).toBe(rejects + 1);
    const metrics = await call('/metrics');
    expect(metrics.body).toMatch(/gateway_breaker_state\{[^}]*service="order"[^}]*\} 2/);
    if (!breaker.halfOpen) await once(breaker, 'halfOpen');
    expect((await call('/api/v1/orders/flaky')).status).toBe(200);
    expect(gateway.breakers.get('order')!.closed).toBe(true);
    // Other services were never affected.
    expect(gateway.breakers.get('rfq')!.closed).toBe(true);
  });
});

describe('the platform view', () => {
  it('aggregates health: every service listed, 503 while one is down', async () => {
    const res = await call('/health');
    expect(res.status).toBe(503);
    expect(Object.keys(res.body.data.services).sort()).toEqual(UPSTREAMS.map((u) => u.name).sort());
    expect(res.body.data.status).toBe('degraded');
    expect(res.body.data.services.notification).toMatchObject({ status: 'down' });
    expect(res.body.data.services.order).toMatchObject({ status: 'up', version: '9.9.9' });
    expect(res.body.error.message).toBe('Not ready: notification');
    expect(res.body.data.gateway.checks.redis.status).toBe('up');
  });

  it('merges every service’s OpenAPI document and names the missing one', async () => {
    const doc = (await call('/openapi.json')).body;
    expect(doc.info.title).toBe('FoodXchange API');
    expect(doc.paths['/api/v1/orders/echo'].get).toMatchObject({ tags: ['order'], 'x-service': 'order' });
    expect(doc.paths['/api/v1/products/echo'].get.tags).toEqual(['catalog']);
    expect(doc.paths['/api/v1/orders/items'].post.requestBody).toBeTruthy();
    expect(doc.paths).toHaveProperty('/health');
    expect(Object.keys(doc.paths).some((p) => p.includes('*'))).toBe(false);
    expect(doc['x-unavailable-services']).toEqual(['notification']);
  });

  it('serves the AsyncAPI document of every topic to anyone (partners read it)', async () => {
    const res = await call('/asyncapi.json');
    expect(res.status).toBe(200);
    expect(res.body.asyncapi).toMatch(/^[23]\./);
    expect(JSON.stringify(res.body)).toContain('user.unsuspended');
    expect(res.headers.get('cache-control')).toContain('max-age');
  });

  it('serves Swagger UI at /docs showing the merged document', async () => {
    const page = await call('/docs/');
    expect(page.status).toBe(200);
    expect(String(page.body)).toMatch(/swagger/i);
    const json = await call('/docs/json');
    expect(json.body.info.title).toBe('FoodXchange API');
    // The event side of the contract is one click away for partners.
    expect(json.body.externalDocs).toMatchObject({ url: '/asyncapi.json' });
    expect(json.body.info.description).toContain('(/asyncapi.json)');
  });

  it('exposes Prometheus metrics of its own', async () => {
    const res = await call('/metrics');
    expect(res.body).toContain('gateway_proxied_requests_total');
    expect(res.body).toContain('http_request_duration_seconds');
  });
});
