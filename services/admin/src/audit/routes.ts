import type { FastifyInstance } from 'fastify';
import { ok, paged } from '@foodxchange/service-kit';
import type { AuditEventModel } from './model.js';
import { AuditEventEnvelope, AuditEventListEnvelope, AuditParamsSchema, AuditQuerySchema, type AuditQuery } from './schemas.js';
import { getAuditEvent, listAuditEvents } from './service.js';

export default async function auditRoutes(app: FastifyInstance, { auditEvents }: { auditEvents: AuditEventModel }) {
  app.get(
    '/audit',
    {
      config: { access: { permission: 'admin:read' } },
      schema: {
        tags: ['audit'],
        summary: 'Every event published on the platform, newest first',
        querystring: AuditQuerySchema,
        response: { 200: AuditEventListEnvelope },
      },
    },
    async (request) => {
      const query = request.query as AuditQuery;
      const { items, total } = await listAuditEvents(auditEvents, query);
      return paged(items, { page: query.page, limit: query.limit, total });
    },
  );

  app.get(
    '/audit/:eventId',
    {
      config: { access: { permission: 'admin:read' } },
      schema: {
        tags: ['audit'],
        summary: 'One recorded event by its CloudEvents id',
        params: AuditParamsSchema,
        response: { 200: AuditEventEnvelope },
      },
    },
    async (request) => ok(await getAuditEvent(auditEvents, (request.params as { eventId: string }).eventId)),
  );
}
