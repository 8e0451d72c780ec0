/**
 * `request.ip` is the real client behind the nginx hop and the gateway: X-Forwarded-For is
 * believed from trusted peers only (TRUST_PROXY), so rate limits and the audit see the client,
 * and a client cannot claim another address by sending the header itself.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildService, trustProxySetting, type ServiceApp } from '../src/index.js';

const service = { name: 'kit-trust', version: '0.0.1', description: 'trust proxy test', defaultPort: 0 };
const app: ServiceApp = async (fastify) => {
  fastify.get('/whoami', async (request) => ({ ip: request.ip, ips: request.ips ?? [] }));
};

const apps: FastifyInstance[] = [];
async function build(trustProxy?: string) {
  const built = await buildService(service, app, { NODE_ENV: 'test', LOG_LEVEL: 'silent', PORT: 0, ...(trustProxy ? { TRUST_PROXY: trustProxy } : {}) });
  apps.push(built);
  return built;
}
afterAll(async () => {
  for (const built of apps) await built.close();
});

const whoami = (target: FastifyInstance, remoteAddress: string, forwardedFor?: string) =>
  target
    .inject({ url: '/whoami', remoteAddress, headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} })
    .then((res) => res.json() as { ip: string });

describe('the client address behind proxies', () => {
  it('believes X-Forwarded-For from the local proxy hops by default', async () => {
    const target = await build();
    // nginx on loopback in front of the gateway; the gateway on a private address in front of a service.
    expect((await whoami(target, '127.0.0.1', '203.0.113.7')).ip).toBe('203.0.113.7');
    expect((await whoami(target, '10.0.3.4', '203.0.113.7, 10.0.3.9')).ip).toBe('203.0.113.7');
  });

  it('ignores the header from a peer it does not trust', async () => {
    const target = await build();
    expect((await whoami(target, '198.51.100.9', '203.0.113.7')).ip).toBe('198.51.100.9');
  });

  it('follows TRUST_PROXY: an address list, everyone, or nobody', async () => {
    expect((await whoami(await build('true'), '198.51.100.9', '203.0.113.7, 192.0.2.1')).ip).toBe('203.0.113.7');
    expect((await whoami(await build('198.51.100.9'), '198.51.100.9', '203.0.113.7')).ip).toBe('203.0.113.7');
    expect((await whoami(await build('false'), '127.0.0.1', '203.0.113.7')).ip).toBe('127.0.0.1');
  });

  it('reads the setting', () => {
    expect(trustProxySetting('false')).toBe(false);
    expect(trustProxySetting('true')).toBe(true);
    expect(trustProxySetting('')).toBe(false);
    expect(trustProxySetting(' loopback, 10.0.0.0/8 ')).toBe('loopback, 10.0.0.0/8');
  });
});
