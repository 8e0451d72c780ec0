import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Who may call a route. Every route states its policy in `config.access`; this one hook enforces
 * it, so identity (next milestone: gateway-verified JWT claims) plugs in here and nowhere else.
 *
 * - `public`: anyone
 * - `authenticated`: any signed-in user or API key
 * - `admin`: `admin` or `super_admin` (e.g. PUT /compliance/rules/:market)
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
    await authorize(request, request.routeOptions.config.access ?? 'authenticated');
  });
}

export default fp(accessControl, { name: 'compliance-access-control', fastify: '5.x' });
