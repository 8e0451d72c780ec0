import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { Topic } from '@foodxchange/contracts';
import type { ServiceConfig, ServiceDefinition } from './config.js';
import type { AnySubscription } from './events/consumer.js';
import accessPlugin, { type AccessOptions } from './http/access.js';
import healthPlugin from './plugins/health.js';
import metricsPlugin from './plugins/metrics.js';
import openApiPlugin from './plugins/openapi.js';
import mongoPlugin from './plugins/mongo.js';
import kafkaPlugin from './plugins/kafka.js';
import redisPlugin from './plugins/redis.js';
import elasticsearchPlugin from './plugins/elasticsearch.js';

export interface ServiceKitOptions {
  service: ServiceDefinition<any>;
  config: ServiceConfig;
  /** The service's own database (every service has one: DESIGN.md "Data ownership"). */
  mongo?: boolean;
  kafka?: { publishes?: readonly Topic[]; subscriptions?: readonly AnySubscription[] };
  /**
   * `optional`: the service starts and keeps serving while Redis is away (the gateway, whose rate
   * limits fail open); its health check is then non-critical (degraded, not down).
   * `autoPipelining`: commands issued in the same tick share one write (ioredis), for a service
   * sending a few commands on every request (the gateway's rate limits and denylist).
   */
  redis?: boolean | { optional?: boolean; autoPipelining?: boolean };
  elasticsearch?: boolean;
  /**
   * Routes a caller serves itself instead (the gateway aggregates `/health` and merges
   * `/openapi.json`); `/health/ready` and `/health/live` always stay.
   */
  replaceRoutes?: readonly ('/health' | '/openapi.json')[];
  /** How access tokens are checked; by default against the JWKS of JWKS_URL (auth passes its own keys). */
  access?: Pick<AccessOptions, 'resolveKey'>;
}

declare module 'fastify' {
  interface FastifyInstance {
    config: ServiceConfig;
    service: ServiceDefinition<any>;
  }
}

/**
 * Everything a service needs besides its own routes, in one registration: health, metrics,
 * OpenAPI, and connections to the servers it uses, each closed on shutdown.
 */
async function serviceKit(app: FastifyInstance, opts: ServiceKitOptions) {
  const { service, config } = opts;
  app.decorate('config', config);
  app.decorate('service', service);
  const replaced = new Set(opts.replaceRoutes ?? []);
  // Access first: it sees every route registered after it (the kit's own included) and refuses
  // to start with one that declares no policy.
  await app.register(accessPlugin, {
    jwksUrl: config.JWKS_URL,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ...opts.access,
  });
  // OpenAPI first: it collects routes as they are added, the kit's own (health, metrics) included.
  await app.register(openApiPlugin, {
    service: service.name,
    version: service.version,
    description: service.description,
    documentRoute: !replaced.has('/openapi.json'),
  });
  await app.register(healthPlugin, { service: service.name, version: service.version, reportRoute: !replaced.has('/health') });
  await app.register(metricsPlugin, { service: service.name });
  if (opts.mongo !== false) await app.register(mongoPlugin, { url: config.MONGO_URL, dbName: config.MONGO_DB });
  if (opts.redis) {
    const { optional = false, autoPipelining = false } = typeof opts.redis === 'object' ? opts.redis : {};
    await app.register(redisPlugin, { url: config.REDIS_URL, service: service.name, optional, autoPipelining });
  }
  if (opts.elasticsearch) await app.register(elasticsearchPlugin, { url: config.ELASTICSEARCH_URL });
  if (opts.kafka) {
    await app.register(kafkaPlugin, {
      service: service.name,
      brokers: config.KAFKA_BROKERS.split(',').map((broker) => broker.trim()),
      groupId: config.KAFKA_GROUP_ID,
      fromBeginning: config.KAFKA_FROM_BEGINNING,
      partitions: config.KAFKA_TOPIC_PARTITIONS,
      topicPrefix: config.KAFKA_TOPIC_PREFIX,
      publishes: opts.kafka.publishes ?? [],
      subscriptions: opts.kafka.subscriptions ?? [],
      maxAttempts: config.CONSUMER_MAX_ATTEMPTS,
      backoffMs: config.CONSUMER_BACKOFF_MS,
      outboxPollMs: config.OUTBOX_POLL_MS,
      ...(config.OUTBOX_IDLE_POLL_MS === undefined ? {} : { outboxIdlePollMs: config.OUTBOX_IDLE_POLL_MS }),
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: Math.min(config.KAFKA_HEARTBEAT_INTERVAL_MS, Math.floor(config.KAFKA_SESSION_TIMEOUT_MS / 3)),
      claimLeaseMs: config.CONSUMER_CLAIM_LEASE_MS,
    });
  }
}

export default fp(serviceKit, { name: 'foodxchange-service-kit', fastify: '5.x' });
