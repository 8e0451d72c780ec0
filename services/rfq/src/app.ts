import { defaultPortOf } from '@foodxchange/contracts';
import { serviceKit, type ServiceApp, type ServiceDefinition } from '@foodxchange/service-kit';
import pkg from '../package.json' with { type: 'json' };
import awardRoutes from './awards/routes.js';
import { rfqConfig } from './config.js';
import sourcingPlugin from './deps.js';
import quoteRoutes from './quotes/routes.js';
import { ExpiryScheduler } from './rfqs/expiry.js';
import rfqRoutes from './rfqs/routes.js';
import { publishes, subscriptions } from './subscriptions.js';

export const service: ServiceDefinition<typeof rfqConfig> = {
  name: 'rfq',
  version: pkg.version,
  description: pkg.description,
  defaultPort: defaultPortOf('rfq'),
  extraConfig: rfqConfig,
};

declare module 'fastify' {
  interface FastifyInstance {
    rfqExpiry: ExpiryScheduler;
  }
}

const app: ServiceApp = async (fastify, { config }) => {
  await fastify.register(serviceKit, { service, config, kafka: { publishes, subscriptions } });
  await fastify.register(sourcingPlugin, { config });
  const deps = fastify.sourcing;

  await fastify.register(rfqRoutes, { prefix: '/api/v1', deps });
  await fastify.register(quoteRoutes, { prefix: '/api/v1', deps });
  await fastify.register(awardRoutes, { prefix: '/api/v1', deps });

  const expiry = new ExpiryScheduler(
    deps,
    fastify.mongo,
    () => fastify.events.context(),
    fastify.log.child({ component: 'rfq-expiry' }),
    (config as unknown as { RFQ_EXPIRY_INTERVAL_MS: number }).RFQ_EXPIRY_INTERVAL_MS,
  );
  fastify.decorate('rfqExpiry', expiry);
  // After the kit's onReady (indexes built); stopped before the kit closes the database.
  fastify.addHook('onReady', async () => expiry.start());
  fastify.addHook('onClose', async () => expiry.stop());
};

export default app;
