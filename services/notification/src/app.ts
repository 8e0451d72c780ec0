import { defaultPortOf } from '@foodxchange/contracts';
import { serviceKit, type ServiceApp, type ServiceDefinition } from '@foodxchange/service-kit';
import pkg from '../package.json' with { type: 'json' };
import { notificationConfig, type NotificationSettings } from './config.js';
import type { NotificationServiceDeps } from './deps.js';
import { smtpMailer } from './email/mailer.js';
import { deliveryModel } from './email/model.js';
import { memberModel } from './members/model.js';
import { notificationModel } from './notifications/model.js';
import notificationRoutes from './notifications/routes.js';
import { preferencesModel } from './preferences/model.js';
import preferenceRoutes from './preferences/routes.js';
import { LiveHub } from './stream/hub.js';
import streamRoutes from './stream/routes.js';
import { publishes, subscriptionsFor } from './subscriptions.js';

export const service: ServiceDefinition<typeof notificationConfig> = {
  name: 'notification',
  version: pkg.version,
  description: pkg.description,
  defaultPort: defaultPortOf('notification'),
  extraConfig: notificationConfig,
};

const app: ServiceApp = async (fastify, { config }) => {
  const settings = config as typeof config & NotificationSettings;
  await fastify.register(serviceKit, { service, config, kafka: { publishes, subscriptions: subscriptionsFor(settings.NOTIFICATION_EMAIL_ENABLED) },
    // Live streams fan out through Redis; without it they still resume from the database.
    redis: { optional: true },
  });

  const members = memberModel(fastify.mongo);
  const notifications = notificationModel(fastify.mongo);
  const preferences = preferencesModel(fastify.mongo);
  const deliveries = deliveryModel(fastify.mongo);
  fastify.events.registerOutbox(notifications);
  fastify.events.registerOutbox(deliveries);
  const context = (correlationId?: string) => fastify.events.context(undefined, correlationId);
  const published = () => fastify.events.published();

  const hub = new LiveHub(fastify.redis, `notification:${settings.MONGO_DB}:live`, fastify.log);
  await hub.start();
  fastify.addHook('onClose', async () => hub.close());

  let email: NotificationServiceDeps['email'];
  if (settings.NOTIFICATION_EMAIL_ENABLED) {
    const mailer = smtpMailer(settings);
    fastify.addHook('onClose', async () => mailer.close());
    email = { deliveries, members, preferences, mailer, publicUrl: settings.PUBLIC_URL, context, published, log: fastify.log };
  }
  fastify.decorate('notification', {
    members: { members, locks: fastify.locks },
    notifications: { notifications, members, context, published, live: (userId, notification) => hub.publish(userId, notification) },
    preferences: { preferences, locks: fastify.locks },
    live: hub,
    ...(email ? { email } : {}),
  } satisfies NotificationServiceDeps);

  await fastify.register(preferenceRoutes, { prefix: '/api/v1/notifications', preferences, locks: fastify.locks });
  await fastify.register(streamRoutes, {
    prefix: '/api/v1/notifications',
    notifications,
    hub,
    heartbeatMs: settings.SSE_HEARTBEAT_MS,
    replayLimit: settings.SSE_REPLAY_LIMIT,
  });
  await fastify.register(notificationRoutes, { prefix: '/api/v1/notifications', notifications });
};

export default app;
