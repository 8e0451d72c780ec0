import fp from 'fastify-plugin';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's own Prometheus registry (one per app, so tests can run several apps at once). */
    metrics: Registry;
  }
}

async function metricsPlugin(app: FastifyInstance, opts: { service: string }) {
  const registry = new Registry();
  registry.setDefaultLabels({ service: opts.service });
  collectDefaultMetrics({ register: registry });

  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });

  app.decorate('metrics', registry);

  // Label children cached per (method, route, status): prom-client otherwise hashes the label
  // object on every observation, on every request of every service and the gateway.
  const children = new Map<string, { duration: ReturnType<typeof duration.labels>; requests: ReturnType<typeof requests.labels> }>();
  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern, never the raw URL, keeps label cardinality bounded.
    const route = request.routeOptions.url ?? 'unmatched';
    if (route !== '/metrics') {
      const key = `${request.method} ${route} ${reply.statusCode}`;
      let child = children.get(key);
      if (!child) {
        const labels = { method: request.method, route, status_code: String(reply.statusCode) };
        child = { duration: duration.labels(labels), requests: requests.labels(labels) };
        children.set(key, child);
      }
      child.duration.observe(reply.elapsedTime / 1000);
      child.requests.inc();
    }
    done();
  });

  app.get(
    '/metrics',
    { logLevel: 'warn', schema: { hide: true } },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
}

export default fp(metricsPlugin, { name: 'foodxchange-metrics', fastify: '5.x' });
