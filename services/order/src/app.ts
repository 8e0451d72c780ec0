import { defaultPortOf } from '@foodxchange/contracts';
import { serviceKit, type ServiceApp, type ServiceDefinition } from '@foodxchange/service-kit';
import pkg from '../package.json' with { type: 'json' };
import { orderConfig } from './config.js';
import { orderModel, orderNumberHintModel } from './orders/model.js';
import { OrderNumberAllocator } from './orders/numbers.js';
import orderRoutes from './orders/routes.js';
import type { OrderDeps } from './orders/service.js';
import { productCopyModel } from './products/model.js';
import { idempotencyKeyCleanup, idempotencyKeyModel } from './purchases/keys.js';
import { publishes, subscriptions } from './subscriptions.js';

export const service: ServiceDefinition<typeof orderConfig> = {
  name: 'order',
  version: pkg.version,
  description: pkg.description,
  defaultPort: defaultPortOf('order'),
  extraConfig: orderConfig,
};

declare module 'fastify' {
  interface FastifyInstance {
    /** What the order routes and consumers work with. */
    orders: OrderDeps;
  }
}

const app: ServiceApp = async (fastify, { config }) => {
  await fastify.register(serviceKit, { service, config, kafka: { publishes, subscriptions } });
  const settings = config as typeof config & { ORDER_IDEMPOTENCY_RETENTION_HOURS: number; ORDER_IDEMPOTENCY_CLEANUP_MS: number };

  const orders = orderModel(fastify.mongo);
  // Made here so the kit's onReady builds its index.
  const idempotencyKeys = idempotencyKeyModel(fastify.mongo);
  fastify.events.registerOutbox(orders);
  const deps: OrderDeps = {
    orders,
    products: productCopyModel(fastify.mongo),
    numbers: new OrderNumberAllocator(orderNumberHintModel(fastify.mongo)),
    locks: fastify.locks,
    idempotencyKeys,
    idempotencyRetentionMs: settings.ORDER_IDEMPOTENCY_RETENTION_HOURS * 3_600_000,
    published: () => fastify.events.published(),
  };
  fastify.decorate('orders', deps);
  idempotencyKeyCleanup(fastify, idempotencyKeys, settings.ORDER_IDEMPOTENCY_CLEANUP_MS);

  await fastify.register(orderRoutes, { prefix: '/api/v1', deps });
};

export default app;
