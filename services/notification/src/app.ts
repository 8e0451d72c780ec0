import { defaultPortOf } from '@foodxchange/contracts';
import { serviceKit, type ServiceApp, type ServiceDefinition } from '@foodxchange/service-kit';
import pkg from '../package.json' with { type: 'json' };
import { notificationConfig } from './config.js';
import type { NotificationServiceDeps } from './deps.js';
import { memberModel } from './members/model.js';
import { notificationModel } from './notifications/model.js';
import notificationRoutes from './notifications/routes.js';
import { publishes, subscriptions } from './subscriptions.js';

export const service: ServiceDefinition<typeof notificationConfig> = {
  name: 'notification',
  version: pkg.version,
  description: pkg.description,
  defaultPort: defaultPortOf('notification'),
  extraConfig: notificationConfig,
};

const app: ServiceApp = async (fastify, { config }) => {
  await fastify.register(serviceKit, { service, config, kafka: { publishes, subscriptions } });

  const members = memberModel(fastify.mongo);
  const notifications = notificationModel(fastify.mongo);
  fastify.events.registerOutbox(notifications);
  fastify.decorate('notification', {
    members: { members, locks: fastify.locks },
    notifications: {
      notifications,
      members,
      context: (correlationId) => fastify.events.context(undefined, correlationId),
      published: () => fastify.events.published(),
    },
  } satisfies NotificationServiceDeps);

  await fastify.register(notificationRoutes, { prefix: '/api/v1/notifications', notifications });
};

export default app;
