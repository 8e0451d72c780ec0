import { defaultPortOf } from '@foodxchange/contracts';
import { serviceKit, type ServiceApp, type ServiceDefinition } from '@foodxchange/service-kit';
import pkg from '../package.json' with { type: 'json' };
import { auditEventModel } from './audit/model.js';
import { scheduleAuditRetention } from './audit/retention.js';
import auditRoutes from './audit/routes.js';
import { adminConfig, DAY_MS, type AdminConfig } from './config.js';
import { registerDeadLetterMetrics } from './dead-letters/metrics.js';
import { deadLetterModel, replayClaimModel } from './dead-letters/model.js';
import deadLetterRoutes from './dead-letters/routes.js';
import { statsModels } from './stats/model.js';
import statsRoutes from './stats/routes.js';
import { publishes, subscriptions } from './subscriptions.js';
import { adminUserModel } from './users/model.js';
import userRoutes from './users/routes.js';

export const service: ServiceDefinition<typeof adminConfig> = {
  name: 'admin',
  version: pkg.version,
  description: pkg.description,
  defaultPort: defaultPortOf('admin'),
  extraConfig: adminConfig,
};

const app: ServiceApp = async (fastify, options) => {
  const config = options.config as AdminConfig;
  // No Redis: nothing here uses it yet, and readiness checks only what the service uses.
  await fastify.register(serviceKit, { service, config, kafka: { publishes, subscriptions } });

  const auditEvents = auditEventModel(fastify.mongo);
  const deadLetters = deadLetterModel(fastify.mongo);
  const claims = replayClaimModel(fastify.mongo);
  // Dead letters per topic on /metrics: what the platform's alerts watch grow (infra/prometheus/alerts.yml).
  registerDeadLetterMetrics(fastify.metrics, deadLetters, fastify.log);
  // Replays leave through the dead letter's own outbox.
  fastify.events.registerOutbox(deadLetters);
  // Suspensions leave through the user's own outbox.
  const users = adminUserModel(fastify.mongo);
  fastify.events.registerOutbox(users);

  // Audit retention: every replica deletes what is past the age (idempotent deletes, no lease needed).
  let stopRetention: (() => void) | undefined;
  fastify.addHook('onReady', async () => {
    stopRetention = scheduleAuditRetention(auditEvents, {
      maxAgeMs: config.AUDIT_RETENTION_DAYS * DAY_MS,
      everyMs: config.AUDIT_RETENTION_INTERVAL_MS,
      log: fastify.log,
    });
  });
  fastify.addHook('onClose', async () => stopRetention?.());

  await fastify.register(statsRoutes, { prefix: '/api/v1/admin', models: statsModels(fastify.mongo) });
  await fastify.register(auditRoutes, { prefix: '/api/v1/admin', auditEvents });
  await fastify.register(deadLetterRoutes, { prefix: '/api/v1/admin', deadLetters, claims });
  await fastify.register(userRoutes, { prefix: '/api/v1/admin', users });
};

export default app;
