import fp from 'fastify-plugin';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import type { GatewaySettings } from '../upstreams.js';

/**
 * Browser-facing headers of every gateway answer. helmet, set for an API: the API's answers are
 * JSON that nothing should frame, run or embed, so their CSP allows nothing at all; /docs serves
 * its own, looser policy for Swagger UI (plugins/docs.ts). HSTS is left to the TLS terminator
 * (nginx in production): over plain HTTP on loopback it would only confuse browsers.
 * nginx sets its own copies of the overlapping headers and hides these, so a client behind it
 * sees each header once.
 */
async function securityHeadersPlugin(app: FastifyInstance, settings: GatewaySettings) {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // Partners' systems and the web console on other origins read the API (when CORS allows them).
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    strictTransportSecurity: false,
    // Headers for old browsers rendering pages (IE's download and XSS filters, Flash policies,
    // DNS prefetching) say nothing about JSON answers: each costs a header on every reply.
    xDownloadOptions: false,
    xXssProtection: false,
    xPermittedCrossDomainPolicies: false,
    xDnsPrefetchControl: false,
    originAgentCluster: false,
  });

  // CORS only for the configured origins; with none configured no CORS header is ever sent and
  // browsers keep other origins out.
  if (settings.corsOrigins.length === 0) return;
  // The preflight route the plugin adds is public: a preflight carries no credentials.
  app.addHook('onRoute', (route) => {
    if (route.url === '*' && route.config?.access === undefined) route.config = { ...route.config, access: 'public' };
  });
  await app.register(cors, {
    origin: settings.corsOrigins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'x-api-key', 'x-request-id', 'x-correlation-id', 'idempotency-key'],
    exposedHeaders: ['x-request-id', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'ratelimit-policy'],
    maxAge: 600,
  });
}

export default fp(securityHeadersPlugin, { name: 'gateway-security-headers', fastify: '5.x' });
