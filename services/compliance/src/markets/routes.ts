import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Envelope, ok } from '@foodxchange/service-kit';
import { BASELINE_MARKET, EU_MEMBER_STATES, US_JURISDICTIONS } from './markets.js';

const MarketSchema = Type.Object({
  market: Type.String(),
  countries: Type.Array(Type.String(), { description: 'ISO 3166-1 alpha-2 delivery countries governed by this market' }),
});

/** Which delivery countries each bloc market governs: fixed reference data, so no database. */
export const BLOC_MEMBERSHIP = [
  { market: 'EU', countries: [...EU_MEMBER_STATES].sort() },
  { market: 'UK', countries: ['GB'] },
  { market: 'US', countries: [...US_JURISDICTIONS].sort() },
];

export default async function marketRoutes(app: FastifyInstance) {
  app.get(
    '/markets',
    {
      config: { access: 'public' },
      schema: {
        tags: ['rules'],
        summary: 'Bloc markets and the delivery countries they govern',
        description: `Any other country is governed by its own rule set when one exists, otherwise by ${BASELINE_MARKET}.`,
        response: { 200: Envelope(Type.Object({ blocs: Type.Array(MarketSchema), baseline: Type.String() })) },
      },
    },
    async (_request, reply) => {
      void reply.header('cache-control', 'public, max-age=3600');
      return ok({ blocs: BLOC_MEMBERSHIP, baseline: BASELINE_MARKET });
    },
  );
}
