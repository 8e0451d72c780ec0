import { defaultPortOf } from '@foodxchange/contracts';
import { serviceKit, type ServiceApp, type ServiceDefinition } from '@foodxchange/service-kit';
import pkg from '../package.json' with { type: 'json' };
import { auditEventModel } from './audit/model.js';
import auditRoutes from './audit/routes.js';
import { registerDeadLetterMetrics } from './dead-letters/metrics.js';
import { deadLetterModel, replayClaimModel } from './dead-letters/model.js';
import deadLetterRoutes from './dead-letters/routes.js';
import { publishes, subscriptions } from './subscriptions.js';
import { adminUserModel } from './users/model.js';
import userRoutes from './users/routes.js';

export const service: ServiceDefinition = {
  name: 'admin',
  version: pkg.version,
  description: pkg.description,
  defaultPort: defaultPortOf('admin'),
};

const app: ServiceApp = async (fastify, { config }) => {
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

  await fastify.register(auditRoutes, { prefix: '/api/v1/admin', auditEvents });
  await fastify.register(deadLetterRoutes, { prefix: '/api/v1/admin', deadLetters, claims });
  await fastify.register(userRoutes, { prefix: '/api/v1/admin', users });
};

export default app;
