/**
 * Reference point for `bench:gateway`: Express + http-proxy-middleware in front of the same
 * service, the stack a Node team would otherwise reach for. Given the same fairness as the
 * gateway: a keep-alive connection pool to the service, no logging.
 */
import { Agent } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './platform.js';

// Loaded from the gateway's dev dependencies (the root has none of its own); the proxy
// middleware is published as ES modules only.
const requireFromGateway = createRequire(join(root, 'gateway', 'package.json'));
const express = requireFromGateway('express') as () => {
  use(handler: unknown): void;
  listen(port: number, host: string, callback: () => void): { close(callback: () => void): void };
};
const { createProxyMiddleware } = (await import(pathToFileURL(join(root, 'gateway', 'node_modules', 'http-proxy-middleware', 'dist', 'index.js')).href)) as {
  createProxyMiddleware: (options: Record<string, unknown>) => unknown;
};

const upstream = process.env.UPSTREAM_URL ?? 'http://127.0.0.1:3005';
const port = Number(process.env.PORT ?? 8098);
const app = express();
app.use(
  createProxyMiddleware({
    target: upstream,
    pathFilter: '/api/v1/compliance',
    // Without an agent every proxied call opens a new connection: keep-alive, as the gateway's pool.
    agent: new Agent({ keepAlive: true, maxSockets: 128 }),
    xfwd: true,
  }),
);
const server = app.listen(port, '127.0.0.1', () => undefined);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => server.close(() => process.exit(0)));
