import type { FastifyInstance } from 'fastify';
import { ok } from '@foodxchange/service-kit';
import { auditEventModel } from '../audit/model.js';
import { backfillOrderCreation } from './backfill.js';
import type { StatsModels } from './model.js';
import { PlatformStatsEnvelope, STATS_DAYS_DEFAULT, StatsQuerySchema, type StatsQuery } from './schemas.js';
import { platformStats } from './service.js';

export default async function statsRoutes(app: FastifyInstance, { models }: { models: StatsModels }) {
  // Orders stored before the model kept creation days get theirs from the audit log, once the
  // service is up (in the background: idempotent, and the live consumer dates new orders itself).
  app.addHook('onReady', async () => {
    void backfillOrderCreation(models, auditEventModel(app.mongo), app.locks, app.log).catch((error: unknown) =>
      app.log.warn({ err: error }, 'stats: dating the earlier orders failed; they stay out of orders.valueByDay'),
    );
  });
  app.get(
    '/stats',
    {
      config: { access: { permission: 'admin:read' } },
      schema: {
        tags: ['stats'],
        summary: 'The platform at a glance: users, companies, products, RFQs, quotes, orders, compliance and matching',
        description:
          'Computed from the admin read model: one current-state document per aggregate, built from the events (redelivered and reordered events change nothing). ' +
          'orders.valueByDay is the order value per currency and UTC creation day over the last `days` days (default 30).',
        querystring: StatsQuerySchema,
        response: { 200: PlatformStatsEnvelope },
      },
    },
    async (request) => ok(await platformStats(models, new Date(), (request.query as StatsQuery).days ?? STATS_DAYS_DEFAULT)),
  );
}
