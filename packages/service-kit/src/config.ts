import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { envSchema } from 'env-schema';

/**
 * Environment every service understands. Defaults are the local launcher's servers on loopback,
 * so `tsx src/server.ts` works with no set-up once `pnpm infra up` has run.
 */
export const BaseConfigSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('test'), Type.Literal('production')], {
    default: 'development',
  }),
  HOST: Type.String({ default: '127.0.0.1', description: 'Interface to listen on (0.0.0.0 in containers)' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, description: 'HTTP port; defaults to the service port' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
  MONGO_URL: Type.String({ default: 'mongodb://127.0.0.1:27017/?directConnection=true' }),
  MONGO_DB: Type.String({ pattern: '^[a-zA-Z0-9_-]{1,63}$', description: 'Defaults to the service name' }),
  KAFKA_BROKERS: Type.String({ default: '127.0.0.1:9092', description: 'Comma-separated host:port list' }),
  KAFKA_GROUP_ID: Type.String({ description: 'Consumer group; defaults to foodxchange.<service>' }),
  KAFKA_FROM_BEGINNING: Type.Boolean({
    default: true,
    description: 'Where a brand-new consumer group starts. true so nothing published before first start is missed.',
  }),
  KAFKA_TOPIC_PARTITIONS: Type.Integer({
    minimum: 1,
    default: 6,
    description:
      'Partitions of each topic this service creates (events are keyed by aggregate id: one aggregate stays in order, aggregates spread over consumers). A topic that exists keeps its count.',
  }),
  KAFKA_TOPIC_PREFIX: Type.String({
    pattern: '^[a-zA-Z0-9._-]*$',
    default: '',
    description: 'Namespace put before every topic on the broker (tests use one so their events never reach a running platform)',
  }),
  KAFKA_SESSION_TIMEOUT_MS: Type.Integer({
    minimum: 6000,
    default: 30_000,
    description: 'Consumer group session: a member silent this long loses its partitions (the kit heartbeats during handlers and backoff)',
  }),
  KAFKA_HEARTBEAT_INTERVAL_MS: Type.Integer({
    minimum: 100,
    default: 3000,
    description: 'How often a consumer heartbeats; keep it under a third of the session timeout',
  }),
  CONSUMER_MAX_ATTEMPTS: Type.Integer({ minimum: 1, default: 5 }),
  CONSUMER_BACKOFF_MS: Type.Integer({ minimum: 1, default: 200 }),
  CONSUMER_CLAIM_LEASE_MS: Type.Integer({
    minimum: 1000,
    default: 30_000,
    description: "How long a handler's claim on an event outlives its holder's last renewal (a crashed replica delays the event this long)",
  }),
  OUTBOX_POLL_MS: Type.Integer({
    minimum: 10,
    default: 5000,
    description:
      "How often the outbox relay looks for work by itself while the service is busy (a write, an event to send or a consumer rebalance within the last minute): only the safety net (another replica's relay died after a write, a write no hook noted), as every write kicks its relay at once and a failed pass is retried within a second",
  }),
  OUTBOX_IDLE_POLL_MS: Type.Optional(
    Type.Integer({
      minimum: 10,
      description: "The relay's safety-net poll once the service has been at rest for a minute (default 6 × OUTBOX_POLL_MS, 30 s): writes still kick it at once",
    }),
  ),
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379' }),
  ELASTICSEARCH_URL: Type.String({ default: 'http://127.0.0.1:9200' }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 1_048_576 }),
  TRUST_PROXY: Type.String({
    default: 'loopback,linklocal,uniquelocal',
    description:
      'Peers whose X-Forwarded-For is believed (the nginx hop, the gateway): comma-separated addresses, CIDRs or loopback, linklocal, uniquelocal; true (everyone); or false',
  }),
  SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  JWKS_URL: Type.String({
    pattern: '^https?://',
    default: 'http://127.0.0.1:3001/api/v1/auth/.well-known/jwks.json',
    description: "The auth service's public keys: every service verifies access tokens itself against them",
  }),
  JWT_ISSUER: Type.String({ minLength: 1, default: 'foodxchange-auth', description: 'The `iss` every access token must carry' }),
  JWT_AUDIENCE: Type.String({ minLength: 1, default: 'foodxchange-api', description: 'The `aud` every access token must carry' }),
});

export type BaseConfig = Static<typeof BaseConfigSchema>;

export interface ServiceDefinition<Extra extends TProperties = TProperties> {
  /** Short name: used for the database, consumer group, event `source` and logs. */
  name: string;
  version: string;
  description: string;
  /** Port the service listens on when PORT is unset. */
  defaultPort: number;
  /** Service-specific settings, validated together with the base ones. */
  extraConfig?: Extra;
}

export type ServiceConfig<Extra extends TProperties = TProperties> = BaseConfig & Static<TObject<Extra>>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads and validates configuration once at start-up. Invalid settings stop the process with a
 * message naming the variable, before anything connects anywhere.
 */
export function loadServiceConfig<Extra extends TProperties>(
  service: ServiceDefinition<Extra>,
  overrides: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = process.env,
): ServiceConfig<Extra> {
  const schema = Type.Object({
    ...BaseConfigSchema.properties,
    PORT: Type.Integer({ minimum: 0, maximum: 65535, default: service.defaultPort }),
    MONGO_DB: Type.String({ pattern: '^[a-zA-Z0-9_-]{1,63}$', default: service.name }),
    KAFKA_GROUP_ID: Type.String({ minLength: 1, default: `foodxchange.${service.name}` }),
    ...(service.extraConfig ?? {}),
  });
  const data: Record<string, unknown> = { ...pickDefined(env), ...stringifyValues(overrides) };
  try {
    return envSchema({ schema, data, dotenv: false }) as ServiceConfig<Extra>;
  } catch (error) {
    throw new ConfigError(`Invalid configuration for ${service.name}: ${(error as Error).message}`);
  }
}

function pickDefined(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}

// env-schema coerces strings the way a real environment delivers them; overrides from tests go
// through the same path so they are validated identically.
function stringifyValues(values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) if (value !== undefined) out[key] = String(value);
  return out;
}

/**
 * TRUST_PROXY as Fastify's `trustProxy`: `false`/`true`, or the comma-separated addresses,
 * ranges and names proxy-addr understands. No hop counts: Fastify cannot check the immediate peer
 * against a count and so believes nobody (a client could otherwise forge its address).
 */
export function trustProxySetting(value: string): boolean | string {
  const trimmed = value.trim();
  if (trimmed === 'false' || trimmed === '') return false;
  if (trimmed === 'true') return true;
  return trimmed;
}
