import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FastifyInstance, onResponseHookHandler } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's own Prometheus registry (one per app, so tests can run several apps at once). */
    metrics: Registry;
  }
}

async function metricsPlugin(app: FastifyInstance, opts: { service: string }) {
  const registry = new Registry();
  registry.setDefaultLabels({ service: opts.service });
  // The event-loop delay histogram samples with a libuv timer at this period. prom-client's
  // default, 10 ms, wakes every process 100 times a second whatever the load: measured alone,
  // 5.0 ms/s of CPU for the timer, against 0.07 without it (about half of what a service costs at
  // rest). Once a second still samples the percentiles scraped every 15 s; a blocked loop still
  // shows as the delay of the sample that waited for it.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 1000 });

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

  // Readiness as metrics, evaluated when Prometheus scrapes (the health plugin registers first):
  // a process that still answers /metrics while /health/ready says 503 is an alert of its own.
  if (app.hasDecorator('health')) {
    type Report = Awaited<ReturnType<FastifyInstance['health']['report']>>;
    // One readiness evaluation per scrape serves both gauges: prom-client starts every metric's
    // collect at once, so both find the evaluation in flight; it is forgotten once it settles.
    let inFlight: Promise<Report> | undefined;
    const report = (): Promise<Report> => {
      if (!inFlight) {
        const evaluation = app.health.report().finally(() => {
          if (inFlight === evaluation) inFlight = undefined;
        });
        inFlight = evaluation;
      }
      return inFlight;
    };
    new Gauge({
      name: 'health_ready',
      help: 'Whether /health/ready would send traffic here: 1 (ok or degraded), 0 (down: a critical dependency fails)',
      registers: [registry],
      async collect() {
        this.set((await report()).status === 'down' ? 0 : 1);
      },
    });
    new Gauge({
      name: 'health_check_up',
      help: 'Each readiness check: 1 up, 0 down (critical="false" for dependencies the service runs degraded without)',
      labelNames: ['check', 'critical'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const [check, result] of Object.entries((await report()).checks)) {
          this.set({ check, critical: String(result.critical) }, result.status === 'down' ? 0 : 1);
        }
      },
    });
  }

  // One recorder per route, attached when the route is registered: the route pattern (never the
  // raw URL, so label cardinality stays bounded) is known then, and the hot path only looks up
  // the label children of its status code. prom-client would otherwise hash a label object, and
  // `request.routeOptions` build a fresh object, on every request of every service and the gateway.
  const recorderFor = (method: string, route: string) => {
    const byStatus = new Map<number, { duration: ReturnType<typeof duration.labels>; requests: ReturnType<typeof requests.labels> }>();
    return (statusCode: number, elapsedMs: number) => {
      let child = byStatus.get(statusCode);
      if (!child) {
        const labels = { method, route, status_code: String(statusCode) };
        child = { duration: duration.labels(labels), requests: requests.labels(labels) };
        byStatus.set(statusCode, child);
      }
      child.duration.observe(elapsedMs / 1000);
      child.requests.inc();
    };
  };
  app.addHook('onRoute', (route) => {
    if (route.url === '/metrics') return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const recorders = new Map(methods.map((method) => [method, recorderFor(method, route.url)]));
    const record: onResponseHookHandler = (request, reply, done) => {
      recorders.get(request.method)?.(reply.statusCode, reply.elapsedTime);
      done();
    };
    route.onResponse = route.onResponse === undefined ? [record] : [record, ...[route.onResponse].flat()];
  });
  // Requests that matched no route (404s) have no route hooks; they are counted under one label.
  const unmatched = new Map<string, ReturnType<typeof recorderFor>>();
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) {
      let record = unmatched.get(request.method);
      if (!record) unmatched.set(request.method, (record = recorderFor(request.method, 'unmatched')));
      record(reply.statusCode, reply.elapsedTime);
    }
    done();
  });

  app.get(
    '/metrics',
    // Public like the gateway's: scraped from the platform network (keep it off the internet in nginx).
    { logLevel: 'warn', config: { access: 'public' }, schema: { hide: true } },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
}

export default fp(metricsPlugin, { name: 'foodxchange-metrics', fastify: '5.x' });
