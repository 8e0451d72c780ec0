import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Envelope, NotFoundError, callerOf, ok } from '@foodxchange/service-kit';
import type { AuthDeps, RequestOrigin } from '../deps.js';
import { login } from '../login/service.js';
import type { LoginThrottle } from '../login/throttle.js';
import { MfaChallengeSchema } from '../mfa/schemas.js';
import { TokenAnswerSchema, TokenEnvelope } from '../sessions/schemas.js';
import { REFRESH_COOKIE, TokenTransportHeadersSchema, deliverTokens } from '../sessions/transport.js';
import type { CredentialDoc } from './model.js';
import { LoginBodySchema, MeEnvelope, RegisterBodySchema, type LoginBody, type RegisterBody } from './schemas.js';
import { register } from './service.js';

/** A login answers tokens, or (with MFA) a challenge for POST /auth/mfa/verify. */
const LoginEnvelope = Envelope(Type.Union([TokenAnswerSchema, MfaChallengeSchema]));

export default async function credentialRoutes(
  app: FastifyInstance,
  { deps, throttle, originOf }: { deps: AuthDeps; throttle: LoginThrottle; originOf: (request: import('fastify').FastifyRequest) => RequestOrigin },
) {
  app.post(
    '/register',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Create a buyer or supplier account with its company; answers tokens',
        description: `Publishes user.registered (with the company). Duplicate e-mail (any case) → 409. With \`x-token-transport: cookie\` the refresh token is set in the HttpOnly cookie \`${REFRESH_COOKIE}\` and left out of the body.`,
        headers: TokenTransportHeadersSchema,
        body: RegisterBodySchema,
        response: { 201: TokenEnvelope },
      },
    },
    async (request, reply) => {
      const answer = await register(deps, request.body as RegisterBody, originOf(request));
      return reply.code(201).send(ok(deliverTokens(deps.config, request, reply, answer)));
    },
  );

  app.post(
    '/login',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with e-mail and password',
        description:
          'Answers an RS256 access token (15 min) and a refresh token (7 days). For a user with two-factor sign-in: `{ mfaRequired: true, challengeToken, expiresIn }` instead, to answer at POST /auth/mfa/verify. Repeated failures lock the account for a growing interval (429 with Retry-After). With `x-token-transport: cookie` a token answer sets the refresh token in the HttpOnly cookie `fx_refresh` and leaves it out of the body.',
        headers: TokenTransportHeadersSchema,
        body: LoginBodySchema,
        response: { 200: LoginEnvelope },
      },
    },
    async (request, reply) => {
      const answer = await login(deps, throttle, request.body as LoginBody, originOf(request));
      // An MFA challenge carries no tokens: only a token answer goes through the transport.
      return ok('refreshToken' in answer ? deliverTokens(deps.config, request, reply, answer) : answer);
    },
  );

  app.get(
    '/me',
    {
      config: { access: 'authenticated' },
      schema: { tags: ['auth'], summary: 'The signed-in user', response: { 200: MeEnvelope } },
    },
    async (request) => {
      const caller = callerOf(request);
      const user = await deps.credentials.findById(caller.userId).select({ outbox: 0, passwordHash: 0 }).lean<CredentialDoc>();
      if (!user) throw new NotFoundError('User');
      return ok({
        id: user._id,
        email: user.email,
        name: user.name,
        role: user.role,
        ...(user.companyId ? { companyId: user.companyId } : {}),
        status: user.status,
        permissions: [...caller.permissions],
        createdAt: user.createdAt.toISOString(),
      });
    },
  );
}
