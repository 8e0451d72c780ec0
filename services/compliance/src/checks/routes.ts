import type { FastifyInstance } from 'fastify';
import { ok, paged } from '@foodxchange/service-kit';
import type { RuleSetModel } from '../rules/model.js';
import type { CheckModel } from './model.js';
import {
  CheckEnvelope,
  CheckListEnvelope,
  CheckListQuerySchema,
  CheckParamsSchema,
  ValidateBodySchema,
  type CheckListQuery,
  type ValidateBody,
} from './schemas.js';
import { getCheck, listChecks, runCheck } from './service.js';

export default async function checkRoutes(app: FastifyInstance, { ruleSets, checks }: { ruleSets: RuleSetModel; checks: CheckModel }) {
  app.post(
    '/validate',
    {
      schema: {
        tags: ['checks'],
        summary: "Validate a proposed supply against a market's rules; the check is recorded (audit trail)",
        description:
          'Returns the recorded check: passed, violations, warnings. A check with an orderId publishes compliance.checked (subject = check id).',
        body: ValidateBodySchema,
        response: { 201: CheckEnvelope },
      },
    },
    async (request, reply) => {
      const check = await runCheck(
        { ruleSets, checks, published: () => app.events.published() },
        request.body as ValidateBody,
        app.events.context(request),
      );
      return reply.code(201).header('location', `/api/v1/compliance/checks/${check.id}`).send(ok(check));
    },
  );

  app.get(
    '/checks',
    {
      schema: {
        tags: ['checks'],
        summary: 'Recorded compliance checks, newest first',
        querystring: CheckListQuerySchema,
        response: { 200: CheckListEnvelope },
      },
    },
    async (request) => {
      const query = request.query as CheckListQuery;
      const { items, total } = await listChecks(checks, query);
      return paged(items, { page: query.page, limit: query.limit, total });
    },
  );

  app.get(
    '/checks/:id',
    {
      schema: {
        tags: ['checks'],
        summary: 'One recorded compliance check',
        params: CheckParamsSchema,
        response: { 200: CheckEnvelope },
      },
    },
    async (request) => ok(await getCheck(checks, (request.params as { id: string }).id)),
  );
}
