import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ok } from '@foodxchange/service-kit';
import type { AuthDeps, RequestOrigin } from '../deps.js';
import type { LoginThrottle } from '../login/throttle.js';
import { userCallerOf } from '../sessions/guard.js';
import { TokenEnvelope } from '../sessions/schemas.js';
import { TokenTransportHeadersSchema, deliverTokens } from '../sessions/transport.js';
import { CodeBodySchema, ConfirmEnvelope, DisableEnvelope, EnrollEnvelope, VerifyBodySchema, type CodeBody, type VerifyBody } from './schemas.js';
import { confirm, disable, enroll, verifyChallenge } from './service.js';

export default async function mfaRoutes(
  app: FastifyInstance,
  { deps, throttle, originOf }: { deps: AuthDeps; throttle: LoginThrottle; originOf: (request: FastifyRequest) => RequestOrigin },
) {
  app.post(
    '/mfa/enroll',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['auth'],
        summary: 'Start two-factor sign-in (TOTP): a new secret and its otpauth:// URI',
        description: 'The secret stays pending until POST /auth/mfa/confirm with a first code. Already enabled → 409.',
        response: { 200: EnrollEnvelope },
      },
    },
    async (request) => ok(await enroll(deps, userCallerOf(request).userId)),
  );

  app.post(
    '/mfa/confirm',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['auth'],
        summary: 'Turn two-factor sign-in on with a first code; answers 10 recovery codes, shown once',
        body: CodeBodySchema,
        response: { 200: ConfirmEnvelope },
      },
    },
    async (request) => ok(await confirm(deps, userCallerOf(request).userId, (request.body as CodeBody).code)),
  );

  app.post(
    '/mfa/disable',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['auth'],
        summary: 'Turn two-factor sign-in off with a current code or a recovery code',
        description: 'Wrong codes count toward the account lock like wrong passwords.',
        body: CodeBodySchema,
        response: { 200: DisableEnvelope },
      },
    },
    async (request) => ok(await disable(deps, throttle, userCallerOf(request).userId, (request.body as CodeBody).code, originOf(request))),
  );

  app.post(
    '/mfa/verify',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Second step of a login with MFA: the challenge and a code (or a recovery code) → the login tokens',
        description:
          'The challenge works once and for MFA_CHALLENGE_TTL_S; a TOTP code works once; a recovery code works once. Wrong codes count toward the account lock (429 with Retry-After). With `x-token-transport: cookie` the refresh token is set in the HttpOnly cookie `fx_refresh` and left out of the body.',
        headers: TokenTransportHeadersSchema,
        body: VerifyBodySchema,
        response: { 200: TokenEnvelope },
      },
    },
    async (request, reply) => {
      const answer = await verifyChallenge(deps, throttle, request.body as VerifyBody, originOf(request));
      return ok(deliverTokens(deps.config, request, reply, answer));
    },
  );
}
