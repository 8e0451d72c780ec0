import { defaultPortOf } from '@foodxchange/contracts';
import { serviceKit, type ServiceApp, type ServiceDefinition } from '@foodxchange/service-kit';
import pkg from '../package.json' with { type: 'json' };
import { publishes, subscriptions } from './subscriptions.js';

export const service: ServiceDefinition = {
  name: 'notification',
  version: pkg.version,
  description: pkg.description,
  defaultPort: defaultPortOf('notification'),
};

const app: ServiceApp = async (fastify, { config }) => {
  await fastify.register(serviceKit, { service, config, kafka: { publishes, subscriptions } });
};

export default app;
