import { serviceKit, type ServiceApp, type ServiceDefinition } from '@foodxchange/service-kit';
import pkg from '../package.json' with { type: 'json' };
import { orderModel, orderNumberHintModel } from './orders/model.js';
import { OrderNumberAllocator } from './orders/numbers.js';
import orderRoutes from './orders/routes.js';
import type { OrderDeps } from './orders/service.js';
import { productCopyModel } from './products/model.js';
import { publishes, subscriptions } from './subscriptions.js';

export const service: ServiceDefinition = {
  name: 'order',
  version: pkg.version,
  description: pkg.description,
  defaultPort: 3006,
};

declare module 'fastify' {
  interface FastifyInstance {
    /** What the order routes and consumers work with. */
    orders: OrderDeps;
  }
}

const app: ServiceApp = async (fastify, { config }) => {
  await fastify.register(serviceKit, { service, config, kafka: { publishes, subscriptions } });

  const orders = orderModel(fastify.mongo);
  fastify.events.registerOutbox(orders);
  const deps: OrderDeps = {
    orders,
    products: productCopyModel(fastify.mongo),
    numbers: new OrderNumberAllocator(orderNumberHintModel(fastify.mongo)),
    locks: fastify.locks,
    published: () => fastify.events.published(),
  };
  fastify.decorate('orders', deps);

  await fastify.register(orderRoutes, { prefix: '/api/v1', deps });
};

export default app;
