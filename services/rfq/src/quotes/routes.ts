import type { FastifyInstance } from 'fastify';
import { callerOf, ok } from '@foodxchange/service-kit';
import type { SourcingDeps } from '../deps.js';
import { RfqParamsSchema } from '../rfqs/schemas.js';
import { viewerOf } from '../rfqs/service.js';
import { QuoteEnvelope, QuoteInputSchema, QuoteListEnvelope, QuoteParamsSchema, type QuoteInput } from './schemas.js';
import { listQuotes, submitQuote, withdrawQuote } from './service.js';

export default async function quoteRoutes(app: FastifyInstance, { deps }: { deps: SourcingDeps }) {
  app.post(
    '/rfqs/:id/quotes',
    {
      config: { access: { permission: 'quote:submit' } },
      schema: {
        tags: ['quotes'],
        summary: "Submit or revise the caller's supplier company's quote on an RFQ it was matched to",
        description:
          'Unit prices per RFQ item (integer minor units, or decimals converted exactly); line totals and the total are computed here. 201 for a first submission, 200 for a revision; 409 once the RFQ is not open or its deadline has passed; 404 for a supplier that was not matched. Publishes quote.submitted.',
        params: RfqParamsSchema,
        body: QuoteInputSchema,
        response: { 200: QuoteEnvelope, 201: QuoteEnvelope },
      },
    },
    async (request, reply) => {
      const rfqId = (request.params as { id: string }).id;
      const { quote, created } = await submitQuote(deps, viewerOf(callerOf(request)), rfqId, request.body as QuoteInput, app.events.context(request));
      return reply.code(created ? 201 : 200).send(ok(quote));
    },
  );

  app.post(
    '/rfqs/:id/quotes/:quoteId/withdraw',
    {
      config: { access: { permission: 'quote:submit' } },
      schema: {
        tags: ['quotes'],
        summary: 'Withdraw the caller\'s submitted quote while the RFQ is open (submitting again brings it back)',
        params: QuoteParamsSchema,
        response: { 200: QuoteEnvelope },
      },
    },
    async (request) => {
      const { id, quoteId } = request.params as { id: string; quoteId: string };
      return ok(await withdrawQuote(deps, viewerOf(callerOf(request)), id, quoteId));
    },
  );

  app.get(
    '/rfqs/:id/quotes',
    {
      config: { access: { permission: 'quote:read' } },
      schema: {
        tags: ['quotes'],
        summary: "The RFQ's quotes with totals and a comparison (buyers); a supplier sees only its own quote",
        params: RfqParamsSchema,
        response: { 200: QuoteListEnvelope },
      },
    },
    async (request) => ok(await listQuotes(deps, viewerOf(callerOf(request)), (request.params as { id: string }).id)),
  );
}
