import type { FastifyInstance } from 'fastify';
import { AuthenticationError, ValidationError, callerOf, ok } from '@foodxchange/service-kit';
import type { AuthDeps } from '../deps.js';
import { denylistToken, denylistUser } from './denylist.js';
import { LogoutAllEnvelope, LogoutBodySchema, LogoutEnvelope, RefreshBodySchema, TokenEnvelope, type LogoutBody, type RefreshBody } from './schemas.js';
import { familyOfRefreshToken, revokeAllFamilies, revokeFamily, rotateRefreshToken, type TokenAnswer } from './service.js';
import { REFRESH_COOKIE, TokenTransportHeadersSchema, clearRefreshCookie, deliverTokens, emptyJsonBodyIsNoBody, refreshCookieOf, usesCookie } from './transport.js';

export default async function sessionRoutes(app: FastifyInstance, { deps }: { deps: AuthDeps }) {
  app.post(
    '/refresh',
    {
      config: { access: 'public' },
      onRequest: emptyJsonBodyIsNoBody,
      schema: {
        tags: ['auth'],
        summary: 'Exchange a refresh token for new tokens (the refresh token rotates)',
        description: `Each refresh token works once. Presenting one that was already used revokes every token of that sign-in (the newest too) and answers 401. With \`x-token-transport: cookie\` the token may come from the \`${REFRESH_COOKIE}\` cookie instead of the body (the body may then be absent, empty — even with \`Content-Type: application/json\` — or \`{}\`), the new one is set in that cookie, and a refused one clears it; neither a body token nor a cookie → 401.`,
        headers: TokenTransportHeadersSchema,
        body: RefreshBodySchema,
        response: { 200: TokenEnvelope },
      },
    },
    async (request, reply) => {
      const cookie = usesCookie(request);
      const fromBody = (request.body as RefreshBody)?.refreshToken;
      const presented = fromBody ?? refreshCookieOf(request);
      if (presented === undefined) {
        // Without the opt-in the token was always required in the body: still a 400 on that field.
        if (!cookie) throw new ValidationError('refreshToken is required', { 'body.refreshToken': ['is required'] });
        throw new AuthenticationError(`No refresh token: neither the body nor the ${REFRESH_COOKIE} cookie has one, sign in again`, {
          reason: 'REFRESH_TOKEN_MISSING',
        });
      }
      let answer: TokenAnswer;
      try {
        answer = await rotateRefreshToken(deps, presented);
      } catch (error) {
        // A refused token (unknown, expired, reused) is dead: the browser should stop sending it.
        if (cookie && error instanceof AuthenticationError) clearRefreshCookie(deps.config, request, reply);
        throw error;
      }
      return ok(deliverTokens(deps.config, request, reply, answer));
    },
  );

  app.post(
    '/logout',
    {
      config: { access: 'authenticated' },
      onRequest: emptyJsonBodyIsNoBody,
      schema: {
        tags: ['auth'],
        summary: 'Sign out: revoke the sign-in (token family) and this access token',
        description: `Revokes the family of the given refresh token (or of this access token) and denylists this access token until it expires. With \`x-token-transport: cookie\` the refresh token may come from the \`${REFRESH_COOKIE}\` cookie, and the cookie is cleared.`,
        headers: TokenTransportHeadersSchema,
        body: LogoutBodySchema,
        response: { 200: LogoutEnvelope },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const presented = (request.body as LogoutBody)?.refreshToken ?? refreshCookieOf(request);
      // A refresh token of someone else's is not this caller's to revoke: it is ignored.
      const familyId = presented
        ? await familyOfRefreshToken(deps, presented, caller.userId)
        : (request.user as { sid?: unknown } | undefined)?.sid;
      if (typeof familyId === 'string') await revokeFamily(deps, familyId, 'logout');
      await denylistToken(deps.redis, caller.tokenId, caller.expiresAt);
      if (usesCookie(request)) clearRefreshCookie(deps.config, request, reply);
      return ok({ loggedOut: true as const, revokedSession: typeof familyId === 'string' });
    },
  );

  app.post(
    '/logout-all',
    {
      config: { access: 'authenticated' },
      onRequest: emptyJsonBodyIsNoBody,
      schema: {
        tags: ['auth'],
        summary: 'Sign out everywhere: revoke every sign-in of this user and every access token issued so far',
        description: `For a lost laptop or a shared browser: every refresh token family of the caller is revoked, and every access token issued up to this second is refused from the next request on (the gateway reads the same Redis mark). Tokens already minted from the user's API keys are refused too; the keys themselves stay valid (revoke them one by one). With \`x-token-transport: cookie\` the \`${REFRESH_COOKIE}\` cookie is cleared. A new sign-in in a later second works as usual.`,
        headers: TokenTransportHeadersSchema,
        response: { 200: LogoutAllEnvelope },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      // Tokens carry iat in whole seconds: the mark is this second, so every token issued so far dies.
      await denylistUser(deps.redis, caller.userId, Math.floor(Date.now() / 1000) * 1000, deps.config.ACCESS_TOKEN_TTL_S * 1000);
      const revokedSessions = await revokeAllFamilies(deps, caller.userId, 'signed out everywhere');
      if (usesCookie(request)) clearRefreshCookie(deps.config, request, reply);
      return ok({ loggedOut: true as const, revokedSessions });
    },
  );
}
