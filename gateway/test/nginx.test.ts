/**
 * Debian's nginx, for real, in front of two real gateway replicas on loopback: load balancing,
 * security headers, request ids, and a replica going down without failing requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { startNginx, type RunningNginx } from '../../scripts/nginx.js';
import { uniqueSuffix } from '@foodxchange/service-kit/testing';
import { signedIn, startGateway, startUpstream, urlOf, type Upstream } from './helpers.js';

let order: Upstream;
let gateways: FastifyInstance[] = [];
let nginx: RunningNginx;

beforeAll(async () => {
  order = await startUpstream('order');
  gateways = [
    await startGateway({ order: order.url }, { GATEWAY_INSTANCE: 'gw-a' }),
    await startGateway({ order: order.url }, { GATEWAY_INSTANCE: 'gw-b' }),
  ];
  nginx = await startNginx(gateways.map((g) => Number(new URL(urlOf(g)).port)));
});

afterAll(async () => {
  await nginx?.stop();
  await Promise.all(gateways.map((g) => g.close()));
  await order?.server.close();
});

function readJson(res: IncomingMessage): Promise<any> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (text += chunk));
    res.on('end', () => {
      try {
        resolve(JSON.parse(text));
      } catch (error) {
        reject(new Error(`not JSON: ${text.slice(0, 200)}`, { cause: error }));
      }
    });
    res.on('error', reject);
  });
}

describe('nginx → two gateways', () => {
  it('spreads requests over both replicas', async () => {
    const served = new Map<string, number>();
    for (let i = 0; i < 20; i += 1) {
      const res = await fetch(`${nginx.url}/api/v1/orders/echo`, await signedIn());
      expect(res.status).toBe(200);
      const instance = res.headers.get('x-gateway-instance') ?? 'none';
      served.set(instance, (served.get(instance) ?? 0) + 1);
    }
    expect([...served.keys()].sort()).toEqual(['gw-a', 'gw-b']);
  });

  it('sets security headers and hides its version', async () => {
    const res = await fetch(`${nginx.url}/api/v1/nowhere`);
    expect(res.status).toBe(404);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('server')).toBe('nginx');
    expect(((await res.json()) as any).error.code).toBe('NOT_FOUND');
  });

  it('keeps the caller’s request id and gives one to requests without', async () => {
    const given = await fetch(`${nginx.url}/api/v1/orders/echo`, await signedIn({ headers: { 'x-request-id': 'req-through-nginx-1' } }));
    expect(((await given.json()) as any).data.requestId).toBe('req-through-nginx-1');
    const fresh = (await (await fetch(`${nginx.url}/api/v1/orders/echo`, await signedIn())).json()) as any;
    expect(fresh.data.requestId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('passes the client address chain on: client, then each proxy', async () => {
    const res = await fetch(`${nginx.url}/api/v1/orders/echo`, await signedIn({ headers: { 'x-forwarded-for': '203.0.113.7' } }));
    // nginx appends the client's peer address, the gateway appends nginx's.
    const data = ((await res.json()) as any).data;
    expect(data.forwardedFor).toBe('203.0.113.7, 127.0.0.1, 127.0.0.1');
    // Both hops are on loopback, so the service behind them sees the real client.
    expect(data.clientIp).toBe('203.0.113.7');
  });

  it('answers a body past its limit with the 413 envelope, not its HTML page', async () => {
    // nginx decides on the declared length alone, so no body needs to be sent.
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(`${nginx.url}/api/v1/orders/items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(30 * 1024 * 1024), 'x-request-id': 'req-too-large-1' },
      });
      req.on('response', (answer) => {
        resolve(answer);
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    const body = await readJson(res);
    res.socket?.destroy();
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(body).toMatchObject({
      success: false,
      error: { code: 'PAYLOAD_TOO_LARGE' },
      metadata: { requestId: 'req-too-large-1', version: 'v1' },
    });
    expect(Number.isNaN(Date.parse(body.metadata.timestamp))).toBe(false);
  });

  it('keeps answering when one replica goes down', async () => {
    await gateways[0]!.close();
    for (let i = 0; i < 10; i += 1) {
      const res = await fetch(`${nginx.url}/api/v1/orders/echo`, await signedIn());
      expect(res.status).toBe(200);
      expect(res.headers.get('x-gateway-instance')).toBe('gw-b');
    }
  });

  it('answers with the 502 envelope when no replica is left', async () => {
    await gateways[1]!.close();
    const res = await fetch(`${nginx.url}/api/v1/orders/echo`, await signedIn({ headers: { 'x-request-id': 'req-nobody-home-1' } }));
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(await res.json()).toMatchObject({
      success: false,
      error: { code: 'SERVICE_UNAVAILABLE', message: 'No gateway is answering' },
      metadata: { requestId: 'req-nobody-home-1', version: 'v1' },
    });
    // A caller's id that could break the JSON (or the logs) is replaced, as the services do.
    const odd = await fetch(`${nginx.url}/api/v1/orders/echo`, { headers: { 'x-request-id': 'a"},"x":"y' } });
    expect(odd.status).toBe(502);
    expect(((await odd.json()) as any).metadata.requestId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('keeps the local template’s rules identical to the compose config', () => {
    const section = (file: string) => {
      const text = readFileSync(fileURLToPath(new URL(`../../nginx/${file}`, import.meta.url)), 'utf8');
      const between = (begin: string, end: string) => text.slice(text.indexOf(begin), text.indexOf(end));
      const headers = between('# security-headers:begin', '# security-headers:end');
      const errors = between('# error-envelopes:begin', '# error-envelopes:end');
      const requestIds = between('map $http_x_request_id', 'upstream foodxchange_gateways').split('\n').filter((l) => !l.trim().startsWith('#'));
      const location = text.slice(text.indexOf('location / {'), text.indexOf('}', text.indexOf('location / {')));
      return { headers, errors, requestIds, location: location.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')) };
    };
    expect(section('local.conf.template')).toEqual(section('nginx.conf'));
  });
});

describe('rate limits behind nginx', () => {
  const LIMIT = 4;
  let limitedGateways: FastifyInstance[] = [];
  let limitedNginx: RunningNginx;

  beforeAll(async () => {
    // Two replicas sharing one set of counters, as in production (same namespace, same Redis).
    const shared = { RATE_LIMIT_NAMESPACE: `test:gateway:${uniqueSuffix()}:`, RATE_LIMIT_GLOBAL_MAX: LIMIT, RATE_LIMIT_WINDOW_MS: 60_000 };
    limitedGateways = [
      await startGateway({ order: order.url }, { ...shared, GATEWAY_INSTANCE: 'gw-limited-a' }),
      await startGateway({ order: order.url }, { ...shared, GATEWAY_INSTANCE: 'gw-limited-b' }),
    ];
    limitedNginx = await startNginx(limitedGateways.map((g) => Number(new URL(urlOf(g)).port)));
  });

  afterAll(async () => {
    await limitedNginx?.stop();
    await Promise.all(limitedGateways.map((g) => g.close()));
  });

  // The test's client is a loopback hop like nginx, so the address it names is the client's:
  // nginx appends its peer, and the gateway believes both loopback hops.
  const fromClient = async (address: string) => fetch(`${limitedNginx.url}/api/v1/orders/echo`, await signedIn({ headers: { 'x-forwarded-for': address } }));

  it('counts each real client on its own, across both replicas', async () => {
    const served = new Set<string>();
    for (let i = 0; i < LIMIT; i += 1) {
      const res = await fromClient('203.0.113.50');
      expect(res.status).toBe(200);
      served.add(res.headers.get('x-gateway-instance') ?? 'none');
    }
    // nginx spread the calls over both replicas, and they counted them together.
    expect([...served].sort()).toEqual(['gw-limited-a', 'gw-limited-b']);
    const refused = await fromClient('203.0.113.50');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBeTruthy();
    expect(((await refused.json()) as any).error.code).toBe('RATE_LIMITED');
    // Another client behind the same nginx has its own bucket.
    const other = await fromClient('203.0.113.51');
    expect(other.status).toBe(200);
    expect(other.headers.get('ratelimit-remaining')).toBe(String(LIMIT - 1));
  });
});
