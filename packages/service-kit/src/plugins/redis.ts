import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
  }
}

async function redisPlugin(app: FastifyInstance, opts: { url: string; service: string; optional?: boolean; autoPipelining?: boolean }) {
  const redis = new Redis(opts.url, {
    connectionName: `foodxchange-${opts.service}`,
    enableAutoPipelining: opts.autoPipelining ?? false,
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    // Commands fail fast while Redis is away instead of queueing without bound.
    enableOfflineQueue: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  redis.on('error', (error) => app.log.warn({ err: error }, 'redis connection error'));
  if (opts.optional) {
    // Started without Redis: ioredis keeps reconnecting in the background (retryStrategy).
    await redis.connect().catch((error: Error) => app.log.warn({ err: error }, 'redis unavailable at start-up; serving without it'));
  } else await redis.connect();
  app.decorate('redis', redis);
  app.health.addCheck(
    'redis',
    async () => {
      await redis.ping();
    },
    { critical: !opts.optional },
  );
  app.addHook('onClose', async () => {
    await redis.quit().catch(() => redis.disconnect());
  });
}

export default fp(redisPlugin, { name: 'foodxchange-redis', fastify: '5.x', dependencies: ['foodxchange-health'] });
