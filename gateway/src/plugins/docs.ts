import fp from 'fastify-plugin';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { OpenApiDocument } from './openapi-merge.js';

/** Swagger UI at /docs, showing the merged document rather than the gateway's own. */
async function docsPlugin(app: FastifyInstance) {
  let latest: OpenApiDocument | undefined;
  // The UI and its assets are public: its routes, registered by the plugin, are declared so here.
  await app.register(async (scope) => {
    scope.addHook('onRoute', (route) => {
      route.config = { ...route.config, access: 'public' };
    });
    await scope.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true, displayRequestDuration: true },
    // The UI's own JSON route is synchronous: refresh the merged document just before it runs.
    uiHooks: {
      onRequest: async (request) => {
        if (request.url.startsWith('/docs/json') || request.url.startsWith('/docs/yaml')) latest = await app.mergedOpenApi();
      },
    },
    transformSpecification: (document) => latest ?? document,
    transformSpecificationClone: false,
    // The UI is a page of its own files (no inline script): its CSP allows those, the inline
    // styles React sets, and the API calls of "Try it out" to this origin. Replaces the API's
    // allow-nothing policy on these routes only.
    staticCSP: {
      'default-src': ["'self'"],
      'base-uri': ["'self'"],
      'connect-src': ["'self'"],
      'font-src': ["'self'", 'data:'],
      'frame-ancestors': ["'none'"],
      'img-src': ["'self'", 'data:', 'validator.swagger.io'],
      'object-src': ["'none'"],
      'script-src': ["'self'"],
      'script-src-attr': ["'none'"],
      'style-src': ["'self'", "'unsafe-inline'"],
    },
    });
  });
}

export default fp(docsPlugin, { name: 'gateway-docs', fastify: '5.x', dependencies: ['gateway-openapi-merge'] });
