import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { SigningKeys } from './service.js';

/** RFC 7517 JWK Set: not in the envelope, verifiers (get-jwks, @fastify/jwt) read `keys` at the top. */
const JwksSchema = Type.Object({
  keys: Type.Array(
    Type.Object({
      kty: Type.String(),
      n: Type.String(),
      e: Type.String(),
      kid: Type.String(),
      alg: Type.Literal('RS256'),
      use: Type.Literal('sig'),
    }),
  ),
});

/** Verifiers cache the set this long; a token with an unknown kid makes them fetch it again anyway. */
const JWKS_MAX_AGE_S = 300;

export default async function keyRoutes(app: FastifyInstance, { keys }: { keys: SigningKeys }) {
  app.get(
    '/.well-known/jwks.json',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Public keys access tokens are signed with (JWK Set)',
        description: 'The current key and, after a rotation, the previous one until its last token has expired.',
        response: { 200: JwksSchema },
      },
    },
    async (_request, reply) => {
      void reply.header('cache-control', `public, max-age=${JWKS_MAX_AGE_S}`);
      return { keys: await keys.published() };
    },
  );
}
