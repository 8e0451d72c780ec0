import type { FastifyRequest } from 'fastify';
import { AuthenticationError, AuthorizationError, callerOf, type Identity } from '@foodxchange/service-kit';
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
    if (await isRevoked(deps.redis, identity)) throw new AuthenticationError('The access token was revoked: sign in again', { reason: 'TOKEN_REVOKED' });
  };
}

/**
 * The caller of a route only a person may use (MFA, managing API keys): a token minted for an
 * API key is refused with 403, so a leaked key cannot mint or keep alive further keys.
 */
export function userCallerOf(request: FastifyRequest): Identity {
  const caller = callerOf(request);
  if (caller.apiKeyId) throw new AuthorizationError('An API key cannot do this: sign in as a user', { reason: 'API_KEY_TOKEN' });
  return caller;
}
