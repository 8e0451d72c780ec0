import type { FastifyInstance } from 'fastify';
import { callerOf, ok } from '@foodxchange/service-kit';
import type { SourcingDeps } from '../deps.js';
import { RfqParamsSchema } from '../rfqs/schemas.js';
import { viewerOf } from '../rfqs/service.js';
import { AwardEnvelope, AwardInputSchema, type AwardInput } from './schemas.js';
import { awardQuote } from './service.js';

export default async function awardRoutes(app: FastifyInstance, { deps }: { deps: SourcingDeps }) {
  app.post(
    '/rfqs/:id/award',
    {
      config: { access: { permission: 'rfq:award' } },
      schema: {
        tags: ['awards'],
        summary: 'Award one submitted quote: the others are rejected, the RFQ is awarded; publishes rfq.awarded',
        description:
          'Exactly one award per RFQ and round: a second or concurrent award answers 409, from any replica. 409 too for a quote that is not submitted or whose validity has passed, and for a stale `revision`.',
        params: RfqParamsSchema,
        body: AwardInputSchema,
        response: { 201: AwardEnvelope },
      },
    },
    async (request, reply) => {
      const rfqId = (request.params as { id: string }).id;
      const award = await awardQuote(deps, viewerOf(callerOf(request)), rfqId, request.body as AwardInput, app.events.context(request));
      return reply.code(201).send(ok(award));
    },
  );
}
