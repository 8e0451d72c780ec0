import { defaultPortOf } from '@foodxchange/contracts';
import { serviceKit, type ServiceApp, type ServiceDefinition } from '@foodxchange/service-kit';
import pkg from '../package.json' with { type: 'json' };
import { catalogConfig } from './config.js';
import categoryRoutes from './categories/routes.js';
import companiesPlugin from './companies/plugin.js';
import productsPlugin from './products/plugin.js';
import productRoutes from './products/routes.js';
import { publishes, subscriptions } from './subscriptions.js';
import searchPlugin from './search/plugin.js';
import searchRoutes from './search/routes.js';
import importsPlugin from './imports/plugin.js';
import matchingPlugin from './matching/plugin.js';
import matchingRoutes from './matching/routes.js';

export const service: ServiceDefinition<typeof catalogConfig> = {
  name: 'catalog',
  version: pkg.version,
  description: pkg.description,
  defaultPort: defaultPortOf('catalog'),
  extraConfig: catalogConfig,
};

const app: ServiceApp = async (fastify, { config }) => {
  // Redis holds the second cache level; Elasticsearch the product index.
  await fastify.register(serviceKit, { service, config, redis: true, elasticsearch: true, kafka: { publishes, subscriptions } });

  // Each feature registers its decorating plugin (fastify-plugin, no prefix) and then its
  // routes under /api/v1. Order matters: later features use the decorators of earlier ones.
  // companies + products + categories
  await fastify.register(companiesPlugin);
  await fastify.register(productsPlugin);
  await fastify.register(categoryRoutes, { prefix: '/api/v1' });
  await fastify.register(productRoutes, { prefix: '/api/v1', deps: fastify.productDeps });

  // search
  await fastify.register(searchPlugin, { config });
  await fastify.register(searchRoutes, { prefix: '/api/v1' });

  // imports
  await fastify.register(importsPlugin);

  // matching
  await fastify.register(matchingPlugin, { config });
  await fastify.register(matchingRoutes, { prefix: '/api/v1' });
};

export default app;
