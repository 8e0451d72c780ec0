import { defaultPortOf } from '@foodxchange/contracts';
import { serviceKit, type ServiceApp, type ServiceDefinition } from '@foodxchange/service-kit';
import pkg from '../package.json' with { type: 'json' };
import checkRoutes from './checks/routes.js';
import { checkModel } from './checks/model.js';
import { companyCopyModel } from './companies/model.js';
import { complianceConfig } from './config.js';
import type { ComplianceDeps } from './deps.js';
import marketRoutes from './markets/routes.js';
import { productCopyModel } from './products/model.js';
import ruleRoutes from './rules/routes.js';
import { ruleSetModel, ruleSetVersionModel, type RuleModels } from './rules/model.js';
import { seedDefaultRuleSets } from './rules/service.js';
import { publishes, subscriptions } from './subscriptions.js';
import { pendingOrderModel } from './verdicts/model.js';
import { pendingSweeper } from './verdicts/sweeper.js';

export const service: ServiceDefinition<typeof complianceConfig> = {
  name: 'compliance',
  version: pkg.version,
  description: pkg.description,
  defaultPort: defaultPortOf('compliance'),
  extraConfig: complianceConfig,
};

const app: ServiceApp = async (fastify, { config }) => {
  await fastify.register(serviceKit, { service, config, kafka: { publishes, subscriptions } });
  const settings = config as typeof config & { COMPLIANCE_COPY_WAIT_MS: number; COMPLIANCE_PENDING_SWEEP_MS: number };

  const models: RuleModels = { ruleSets: ruleSetModel(fastify.mongo), versions: ruleSetVersionModel(fastify.mongo) };
  const checks = checkModel(fastify.mongo);
  fastify.events.registerOutbox(checks);

  // Read copies and the saga's verdicts (models made here so the kit's onReady builds their indexes).
  const companies = { companies: companyCopyModel(fastify.mongo), locks: fastify.locks };
  const products = { products: productCopyModel(fastify.mongo), locks: fastify.locks };
  fastify.decorate('compliance', {
    companies,
    products,
    verdicts: {
      ruleSets: models.ruleSets,
      checks,
      pending: pendingOrderModel(fastify.mongo),
      companies,
      products,
      published: () => fastify.events.published(),
      copyWaitMs: settings.COMPLIANCE_COPY_WAIT_MS,
      context: (correlationId) => fastify.events.context(undefined, correlationId),
      log: fastify.log,
    },
  } satisfies ComplianceDeps);

  // After the kit's onReady index build (registered earlier): default markets exist before traffic.
  fastify.addHook('onReady', async () => {
    const created = await seedDefaultRuleSets(models);
    if (created > 0) fastify.log.info({ created }, 'seeded default compliance rule sets');
  });
  pendingSweeper(fastify, settings.COMPLIANCE_PENDING_SWEEP_MS);

  await fastify.register(marketRoutes, { prefix: '/api/v1/compliance' });
  await fastify.register(ruleRoutes, { prefix: '/api/v1/compliance', models });
  await fastify.register(checkRoutes, { prefix: '/api/v1/compliance', ruleSets: models.ruleSets, checks });
};

export default app;
