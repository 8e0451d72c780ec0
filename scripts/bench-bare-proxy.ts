/**
 * Reference point for `bench:gateway`: @fastify/http-proxy alone (no logging, hooks, breaker,
 * metrics) in front of the same service. What the library costs on this machine; the gateway's
 * own overhead is the difference between this and the gateway row.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { root } from './platform.js';

const requireFromGateway = createRequire(join(root, 'gateway', 'package.json'));
interface MinimalFastify {
  register(plugin: unknown, options: Record<string, unknown>): Promise<unknown>;
  listen(options: { host: string; port: number }): Promise<string>;
  close(): Promise<void>;
}
// Loaded from the gateway's dependencies (the root has none of its own).
const Fastify = requireFromGateway('fastify') as (options: { logger: boolean }) => MinimalFastify;
const proxy = requireFromGateway('@fastify/http-proxy') as unknown;

const upstream = process.env.UPSTREAM_URL ?? 'http://127.0.0.1:3005';
const port = Number(process.env.PORT ?? 8099);
const app = Fastify({ logger: false });
await app.register(proxy, {
  upstream,
  prefix: '/api/v1/compliance',
  rewritePrefix: '/api/v1/compliance',
  undici: { connections: 128, pipelining: 1 },
});
await app.listen({ host: '127.0.0.1', port });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void app.close().then(() => process.exit(0)));
