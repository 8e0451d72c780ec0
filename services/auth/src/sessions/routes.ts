import type { FastifyInstance } from 'fastify';
import { callerOf, ok } from '@foodxchange/service-kit';
import type { AuthDeps } from '../deps.js';
import { denylistToken } from './denylist.js';
import { LogoutBodySchema, LogoutEnvelope, RefreshBodySchema, TokenEnvelope, type LogoutBody, type RefreshBody } from './schemas.js';
import { familyOfRefreshToken, revokeFamily, rotateRefreshToken } from './service.js';

export default async function sessionRoutes(app: FastifyInstance, { deps }: { deps: AuthDeps }) {
  app.post(
    '/refresh',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Exchange a refresh token for new tokens (the refresh token rotates)',
        description:
          'Each refresh token works once. Presenting one that was already used revokes every token of that sign-in (the newest too) and answers 401.',
        body: RefreshBodySchema,
        response: { 200: TokenEnvelope },
      },
    },
    async (request) => ok(await rotateRefreshToken(deps, (request.body as RefreshBody).refreshToken)),
  );

  app.post(
    '/logout',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['auth'],
        summary: 'Sign out: revoke the sign-in (token family) and this access token',
        description:
          'Revokes the family of the given refresh token (or of this access token) and denylists this access token until it expires.',
        body: LogoutBodySchema,
        response: { 200: LogoutEnvelope },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const presented = (request.body as LogoutBody)?.refreshToken;
      // A refresh token of someone else's is not this caller's to revoke: it is ignored.
      const familyId = presented
        ? await familyOfRefreshToken(deps, presented, caller.userId)
        : (request.user as { sid?: unknown } | undefined)?.sid;
      if (typeof familyId === 'string') await revokeFamily(deps, familyId, 'logout');
      await denylistToken(deps.redis, caller.tokenId, caller.expiresAt);
      return ok({ loggedOut: true as const, revokedSession: typeof familyId === 'string' });
    },
  );
}
