import { serviceKit, type ServiceApp, type ServiceDefinition } from '@foodxchange/service-kit';
import pkg from '../package.json' with { type: 'json' };
import { gatewayConfig, settingsFrom } from './upstreams.js';
import proxy from './plugins/proxy.js';
import openApiMerge from './plugins/openapi-merge.js';
import healthAggregate from './plugins/health-aggregate.js';
import docs from './plugins/docs.js';

export const service: ServiceDefinition<typeof gatewayConfig> = {
  name: 'gateway',
  version: pkg.version,
  description: pkg.description,
  defaultPort: 8080,
  extraConfig: gatewayConfig,
};

const app: ServiceApp = async (fastify, { config }) => {
  const settings = settingsFrom(config as unknown as Record<string, unknown>);
  // No database of its own; Redis will hold rate limits and the token denylist.
  await fastify.register(serviceKit, {
    service,
    config,
    mongo: false,
    redis: true,
    replaceRoutes: ['/health', '/openapi.json'],
  });
  await fastify.register(openApiMerge, settings);
  await fastify.register(healthAggregate, settings);
  await fastify.register(docs);
  await fastify.register(proxy, settings);
};

export default app;
