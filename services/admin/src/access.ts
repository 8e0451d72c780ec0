import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Who may call a route. Every admin route is for `admin` / `super_admin` (the default here); a
 * route may state another policy in `config.access`. This one hook enforces it, so identity (next
 * milestone: gateway-verified JWT claims) plugs in here and nowhere else.
 */
export type AccessPolicy = 'public' | 'authenticated' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: AccessPolicy;
  }
}

/**
 * Placeholder until identity lands: every policy is allowed. Replace the body with the check of
 * the caller's role (throwing AuthenticationError / AuthorizationError from the service kit).
 */
export async function authorize(_request: FastifyRequest, _policy: AccessPolicy): Promise<void> {}

async function accessControl(app: FastifyInstance) {
  app.addHook('preHandler', async (request) => {
    await authorize(request, request.routeOptions.config.access ?? 'admin');
  });
}

export default fp(accessControl, { name: 'admin-access-control', fastify: '5.x' });
