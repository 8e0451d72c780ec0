import { defaultPortOf } from '@foodxchange/contracts';
import { serviceKit, type ServiceApp, type ServiceDefinition } from '@foodxchange/service-kit';
import pkg from '../package.json' with { type: 'json' };
import certificationRoutes from './certifications/routes.js';
import companyRoutes from './companies/routes.js';
import { companyModel } from './companies/model.js';
import userRoutes from './users/routes.js';
import { userProfileModel } from './users/model.js';
import { publishes, subscriptions } from './subscriptions.js';

export const service: ServiceDefinition = {
  name: 'user',
  version: pkg.version,
  description: pkg.description,
  defaultPort: defaultPortOf('user'),
};

const app: ServiceApp = async (fastify, { config }) => {
  await fastify.register(serviceKit, { service, config, kafka: { publishes, subscriptions } });

  const profiles = userProfileModel(fastify.mongo);
  const companies = companyModel(fastify.mongo);
  // Companies carry their company.* events in their own document.
  fastify.events.registerOutbox(companies);
  const deps = { profiles, companies, locks: fastify.locks };

  await fastify.register(userRoutes, { prefix: '/api/v1', deps });
  await fastify.register(companyRoutes, { prefix: '/api/v1', deps });
  await fastify.register(certificationRoutes, { prefix: '/api/v1', deps });
};

export default app;
