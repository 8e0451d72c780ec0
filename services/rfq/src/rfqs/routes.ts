import type { FastifyInstance, FastifyRequest } from 'fastify';
import { callerOf, ok, paged } from '@foodxchange/service-kit';
import type { SourcingDeps } from '../deps.js';
import {
  CancelBodySchema,
  RfqEnvelope,
  RfqInputSchema,
  RfqListEnvelope,
  RfqListQuerySchema,
  RfqParamsSchema,
  type CancelBody,
  type RfqInput,
  type RfqListQuery,
} from './schemas.js';
import { cancelRfq, createRfq, getRfq, listRfqs, viewerOf } from './service.js';

const id = (request: FastifyRequest) => (request.params as { id: string }).id;

export default async function rfqRoutes(app: FastifyInstance, { deps }: { deps: SourcingDeps }) {
  app.post(
    '/rfqs',
    {
      config: { access: { permission: 'rfq:create' } },
      schema: {
        tags: ['rfqs'],
        summary: "Post an RFQ for the caller's buyer company",
        description:
          'Items get ids here; the market is the delivery country\'s. The response deadline must be in the future and before the delivery date (400 with field errors otherwise). Publishes rfq.created; catalog answers with rfq.matched.',
        body: RfqInputSchema,
        response: { 201: RfqEnvelope },
      },
    },
    async (request, reply) => {
      const rfq = await createRfq(deps, viewerOf(callerOf(request)), request.body as RfqInput, app.events.context(request));
      return reply.code(201).header('location', `/api/v1/rfqs/${rfq.id}`).send(ok(rfq));
    },
  );

  app.get(
    '/rfqs',
    {
      config: { access: { permission: 'rfq:read' } },
      schema: {
        tags: ['rfqs'],
        summary: "RFQs the caller may see, newest first: a buyer's company's, a supplier's matched ones",
        querystring: RfqListQuerySchema,
        response: { 200: RfqListEnvelope },
      },
    },
    async (request) => {
      const query = request.query as RfqListQuery;
      const { items, total } = await listRfqs(deps, viewerOf(callerOf(request)), query);
      return paged(items, { page: query.page, limit: query.limit, total });
    },
  );

  app.get(
    '/rfqs/:id',
    {
      config: { access: { permission: 'rfq:read' } },
      schema: {
        tags: ['rfqs'],
        summary: 'One RFQ with its matches and timeline (404 for anyone but its buyer company and matched suppliers)',
        params: RfqParamsSchema,
        response: { 200: RfqEnvelope },
      },
    },
    async (request) => ok(await getRfq(deps, viewerOf(callerOf(request)), id(request))),
  );

  app.post(
    '/rfqs/:id/cancel',
    {
      config: { access: { permission: 'rfq:cancel' } },
      // The body is optional: a bare POST cancels without a reason.
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {};
      },
      schema: {
        tags: ['rfqs'],
        summary: 'Cancel an open RFQ (409 once awarded, cancelled or expired); publishes rfq.cancelled',
        params: RfqParamsSchema,
        body: CancelBodySchema,
        response: { 200: RfqEnvelope },
      },
    },
    async (request) =>
      ok(await cancelRfq(deps, viewerOf(callerOf(request)), id(request), request.body as CancelBody, app.events.context(request))),
  );
}
