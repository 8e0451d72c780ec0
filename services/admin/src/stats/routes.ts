import type { FastifyInstance } from 'fastify';
import { ok } from '@foodxchange/service-kit';
import type { StatsModels } from './model.js';
import { PlatformStatsEnvelope, StatsQuerySchema } from './schemas.js';
import { platformStats } from './service.js';

export default async function statsRoutes(app: FastifyInstance, { models }: { models: StatsModels }) {
  app.get(
    '/stats',
    {
      config: { access: { permission: 'admin:read' } },
      schema: {
        tags: ['stats'],
        summary: 'The platform at a glance: users, companies, products, RFQs, quotes, orders, compliance and matching',
        description:
          'Computed from the admin read model: one current-state document per aggregate, built from the events (redelivered and reordered events change nothing).',
        querystring: StatsQuerySchema,
        response: { 200: PlatformStatsEnvelope },
      },
    },
    async () => ok(await platformStats(models)),
  );
}
