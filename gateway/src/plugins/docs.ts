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
    });
  });
}

export default fp(docsPlugin, { name: 'gateway-docs', fastify: '5.x', dependencies: ['gateway-openapi-merge'] });
