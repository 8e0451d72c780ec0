/**
 * Debian's nginx, for real, in front of two real gateway replicas on loopback: load balancing,
 * security headers, request ids, and a replica going down without failing requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { startNginx, type RunningNginx } from '../../scripts/nginx.js';
import { startGateway, startUpstream, urlOf, type Upstream } from './helpers.js';

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

describe('nginx → two gateways', () => {
  it('spreads requests over both replicas', async () => {
    const served = new Map<string, number>();
    for (let i = 0; i < 20; i += 1) {
      const res = await fetch(`${nginx.url}/api/v1/orders/echo`);
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
    const given = await fetch(`${nginx.url}/api/v1/orders/echo`, { headers: { 'x-request-id': 'req-through-nginx-1' } });
    expect(((await given.json()) as any).data.requestId).toBe('req-through-nginx-1');
    const fresh = (await (await fetch(`${nginx.url}/api/v1/orders/echo`)).json()) as any;
    expect(fresh.data.requestId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('keeps answering when one replica goes down', async () => {
    await gateways[0]!.close();
    for (let i = 0; i < 10; i += 1) {
      const res = await fetch(`${nginx.url}/api/v1/orders/echo`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-gateway-instance')).toBe('gw-b');
    }
  });

  it('keeps the local template’s rules identical to the compose config', () => {
    const section = (file: string) => {
      const text = readFileSync(fileURLToPath(new URL(`../../nginx/${file}`, import.meta.url)), 'utf8');
      const headers = text.slice(text.indexOf('# security-headers:begin'), text.indexOf('# security-headers:end'));
      const location = text.slice(text.indexOf('location / {'), text.indexOf('}', text.indexOf('location / {')));
      return { headers, location: location.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')) };
    };
    expect(section('local.conf.template')).toEqual(section('nginx.conf'));
  });
});
