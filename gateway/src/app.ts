import { defaultPortOf } from '@foodxchange/contracts';
import { ServiceClient, serviceKit, type ServiceApp, type ServiceDefinition } from '@foodxchange/service-kit';
import { ApiKeyExchange } from './api-keys.js';
import pkg from '../package.json' with { type: 'json' };
import { gatewayConfig, settingsFrom } from './upstreams.js';
import { addressOf } from './replicas.js';
import proxy from './plugins/proxy.js';
import openApiMerge from './plugins/openapi-merge.js';
import healthAggregate from './plugins/health-aggregate.js';
import docs from './plugins/docs.js';
import securityHeaders from './plugins/security-headers.js';
import rateLimits from './plugins/rate-limits.js';
import edge from './plugins/edge.js';
import web, { routeSegments } from './plugins/web.js';

export const service: ServiceDefinition<typeof gatewayConfig> = {
  name: 'gateway',
  version: pkg.version,
  description: pkg.description,
  defaultPort: defaultPortOf('gateway'),
  extraConfig: gatewayConfig,
};

const app: ServiceApp = async (fastify, { config }) => {
  const settings = settingsFrom(config as unknown as Record<string, unknown>);
  // Every route's first segment, the kit's included: the console's fallback never answers under them.
  const reservedSegments = routeSegments(fastify);
  // No database of its own. Redis holds the shared rate limits and the token denylist; the
  // gateway keeps serving while it is away (limits fail open, health says degraded).
  await fastify.register(serviceKit, {
    service,
    config,
    mongo: false,
    // Each request sends one to three commands (limits, denylist); concurrent requests' commands
    // share a write.
    redis: { optional: true, autoPipelining: true },
    replaceRoutes: ['/health', '/openapi.json'],
  });
  // A client has this long to send its whole request (headers and body): slow senders do not
  // hold connections. Read by Node's periodic connection check, so it applies once set here.
  fastify.server.requestTimeout = settings.requestTimeoutMs;
  fastify.server.headersTimeout = Math.min(fastify.server.headersTimeout, settings.requestTimeoutMs);
  await fastify.register(securityHeaders, settings);
  await fastify.register(rateLimits, settings);
  await fastify.register(openApiMerge, settings);
  await fastify.register(healthAggregate, settings);
  await fastify.register(docs);
  await fastify.register(proxy, settings);
  // API keys are exchanged at auth for short-lived tokens (a breaker per auth replica).
  const authReplicas = settings.upstreamUrls.auth!;
  const apiKeys = new ApiKeyExchange(
    authReplicas.map(
      (baseUrl) =>
        new ServiceClient({
          name: authReplicas.length > 1 ? `auth@${addressOf(baseUrl)}` : 'auth',
          baseUrl,
          timeoutMs: Math.min(settings.upstreamTimeoutMs, 3000),
          metrics: fastify.metrics,
        }),
    ),
  );
  fastify.addHook('onClose', () => apiKeys.close());
  // The web console at /: after the security headers (it replaces their CSP on its pages), before
  // the edge, whose limits its files (and its client-route fallback, answered in an onRequest
  // hook) skip.
  await fastify.register(web, { webRoot: settings.webRoot, reservedSegments });
  // After the proxy's own hook (the replica header, the declared-length limit), before any body is read.
  await fastify.register(edge, { ...settings, apiKeys });
};

export default app;
