import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { ErrorEnvelopeSchema } from '../http/envelope.js';

export interface OpenApiOptions {
  service: string;
  version: string;
  description: string;
  /** false when the caller serves its own `/openapi.json` (the gateway's merged one). */
  documentRoute?: boolean;
}

async function openApiPlugin(app: FastifyInstance, opts: OpenApiOptions) {
  // Every route documents the error envelope it can answer with, so clients see one shape.
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = (route.schema ??= {}) as { response?: Record<string, unknown>; hide?: boolean };
    if (schema.hide) return;
    schema.response ??= {};
    schema.response['4XX'] ??= { ...ErrorEnvelopeSchema, description: 'Client error in the standard envelope' };
    schema.response['5XX'] ??= { ...ErrorEnvelopeSchema, description: 'Server error in the standard envelope' };
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: `FoodXchange ${opts.service} service`, version: opts.version, description: opts.description },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        },
      },
      tags: [{ name: 'health', description: 'Liveness and readiness' }],
    },
  });

  if (opts.documentRoute !== false) {
    app.get('/openapi.json', { schema: { hide: true }, logLevel: 'warn' }, async () => app.swagger());
  }
}

export default fp(openApiPlugin, { name: 'foodxchange-openapi', fastify: '5.x' });
