import type { FastifyInstance } from 'fastify';
import { isAdminRole } from '@foodxchange/contracts';
import { callerOf, ok, paged, type Identity } from '@foodxchange/service-kit';
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
import { getCheck, listChecks, runCheck, type CheckReader } from './service.js';

const requesterOf = (identity: Identity) => ({ userId: identity.userId, ...(identity.companyId ? { companyId: identity.companyId } : {}) });
/** Admins read every check; everyone else those of their company. */
const readerOf = (identity: Identity): CheckReader => (isAdminRole(identity.role) ? undefined : { companyId: identity.companyId });

export default async function checkRoutes(app: FastifyInstance, { ruleSets, checks }: { ruleSets: RuleSetModel; checks: CheckModel }) {
  app.post(
    '/validate',
    {
      config: { access: { permission: 'compliance:validate' } },
      schema: {
        tags: ['checks'],
        summary: "Pre-check a proposed supply against a market's rules; the check is recorded (audit trail)",
        description:
          'Returns the recorded pre-check: passed, violations, warnings. It publishes nothing and never decides an order (an orderId is kept for the record only): ' +
          "an order's verdict comes from compliance's own copies when the order is created (kind verdict in GET /compliance/checks).",
        body: ValidateBodySchema,
        response: { 201: CheckEnvelope },
      },
    },
    async (request, reply) => {
      const check = await runCheck(
        { ruleSets, checks },
        request.body as ValidateBody,
        app.events.context(request),
        new Date(),
        requesterOf(callerOf(request)),
      );
      return reply.code(201).header('location', `/api/v1/compliance/checks/${check.id}`).send(ok(check));
    },
  );

  app.get(
    '/checks',
    {
      config: { access: { permission: 'compliance:read' } },
      schema: {
        tags: ['checks'],
        summary: 'Recorded compliance checks (verdicts and pre-checks), newest first',
        querystring: CheckListQuerySchema,
        response: { 200: CheckListEnvelope },
      },
    },
    async (request) => {
      const query = request.query as CheckListQuery;
      const { items, total } = await listChecks(checks, query, readerOf(callerOf(request)));
      return paged(items, { page: query.page, limit: query.limit, total });
    },
  );

  app.get(
    '/checks/:id',
    {
      config: { access: { permission: 'compliance:read' } },
      schema: {
        tags: ['checks'],
        summary: 'One recorded compliance check',
        params: CheckParamsSchema,
        response: { 200: CheckEnvelope },
      },
    },
    async (request) => ok(await getCheck(checks, (request.params as { id: string }).id, readerOf(callerOf(request)))),
  );
}
