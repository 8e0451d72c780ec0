import { serviceKit, type ServiceApp, type ServiceDefinition } from '@foodxchange/service-kit';
import pkg from '../package.json' with { type: 'json' };
import checkRoutes from './checks/routes.js';
import { checkModel } from './checks/model.js';
import marketRoutes from './markets/routes.js';
import ruleRoutes from './rules/routes.js';
import { ruleSetModel, ruleSetVersionModel, type RuleModels } from './rules/model.js';
import { seedDefaultRuleSets } from './rules/service.js';
import { publishes, subscriptions } from './subscriptions.js';

export const service: ServiceDefinition = {
  name: 'compliance',
  version: pkg.version,
  description: pkg.description,
  defaultPort: 3005,
};

const app: ServiceApp = async (fastify, { config }) => {
  await fastify.register(serviceKit, { service, config, kafka: { publishes, subscriptions } });

  const models: RuleModels = { ruleSets: ruleSetModel(fastify.mongo), versions: ruleSetVersionModel(fastify.mongo) };
  const checks = checkModel(fastify.mongo);
  fastify.events.registerOutbox(checks);

  // After the kit's onReady index build (registered earlier): default markets exist before traffic.
  fastify.addHook('onReady', async () => {
    const created = await seedDefaultRuleSets(models);
    if (created > 0) fastify.log.info({ created }, 'seeded default compliance rule sets');
  });

  await fastify.register(marketRoutes, { prefix: '/api/v1/compliance' });
  await fastify.register(ruleRoutes, { prefix: '/api/v1/compliance', models });
  await fastify.register(checkRoutes, { prefix: '/api/v1/compliance', ruleSets: models.ruleSets, checks });
};

export default app;
