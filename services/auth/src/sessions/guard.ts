import type { FastifyRequest } from 'fastify';
import { AuthenticationError } from '@foodxchange/service-kit';
import type { AuthDeps } from '../deps.js';
import { isRevoked } from './denylist.js';

/**
 * Auth's own protected routes refuse revoked tokens too (a logged-out token, a suspended user's),
 * like the gateway does: runs after the kit's access hook has verified the token.
 */
export function authenticatedHook(deps: AuthDeps) {
  return async (request: FastifyRequest) => {
    const identity = request.identity;
    if (!identity) return;
    const iat = (request.user as { iat?: unknown } | undefined)?.iat;
    const revoked = await isRevoked(deps.redis, {
      jti: identity.tokenId,
      userId: identity.userId,
      ...(typeof iat === 'number' ? { iatSeconds: iat } : {}),
    });
    if (revoked) throw new AuthenticationError('The access token was revoked: sign in again', { reason: 'TOKEN_REVOKED' });
  };
}
