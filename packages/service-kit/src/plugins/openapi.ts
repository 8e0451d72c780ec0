import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { withDocumentedErrors } from '../http/error-responses.js';
import { describePolicy, securityOf } from '../http/access.js';

export interface OpenApiOptions {
  service: string;
  version: string;
  description: string;
  /** false when the caller serves its own `/openapi.json` (the gateway's merged one). */
  documentRoute?: boolean;
}

async function openApiPlugin(app: FastifyInstance, opts: OpenApiOptions) {
  await app.register(swagger, {
    // Every operation documents each error status the kit can answer with, in the envelope, so a
    // generated client knows the one error shape for every status it can meet.
    transform: ({ schema, url, route }) => {
      if (!schema || schema.hide) return { schema, url };
      const policy = route.config?.access;
      const response = withDocumentedErrors(route.method, schema.response as Record<string, unknown> | undefined, policy);
      // The route's access policy is its `security`: the merged document shows which need a token.
      const security = securityOf(policy);
      const description = policy ? [schema.description, `Access: ${describePolicy(policy)}.`].filter(Boolean).join('\n\n') : schema.description;
      return { schema: { ...schema, response, security, description } as typeof schema, url };
    },
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
    app.get('/openapi.json', { schema: { hide: true }, config: { access: 'public' }, logLevel: 'warn' }, async () => app.swagger());
  }
}

export default fp(openApiPlugin, { name: 'foodxchange-openapi', fastify: '5.x' });
