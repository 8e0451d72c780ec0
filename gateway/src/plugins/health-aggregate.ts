import fp from 'fastify-plugin';
import { Type } from '@sinclair/typebox';
import { request } from 'undici';
import type { FastifyInstance } from 'fastify';
import { Envelope, ErrorCode, HealthReportSchema, metadataFor } from '@foodxchange/service-kit';
import { UPSTREAMS, type GatewaySettings } from '../upstreams.js';

/**
 * One service as the gateway sees it: `up`, `degraded` (ready and serving, with a non-critical
 * dependency down, e.g. Kafka while the outbox holds its events: its readiness answers 200 with
 * `status: 'degraded'`) or `down` (not ready, or no answer).
 */
const HealthStatus = Type.Union([Type.Literal('up'), Type.Literal('degraded'), Type.Literal('down')]);

const ReplicaHealthSchema = Type.Object({
  status: HealthStatus,
  latencyMs: Type.Number(),
  url: Type.String(),
  version: Type.Optional(Type.String()),
  error: Type.Optional(Type.String()),
  checks: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

/**
 * A service with one replica is that replica's health. With several, `replicas` lists each, and
 * the service is `up` when all are, `degraded` while some serve and `down` when none does; its
 * `url`, `version` and `checks` are those of the first replica that serves.
 */
const ServiceHealthSchema = Type.Composite([
  ReplicaHealthSchema,
  Type.Object({ replicas: Type.Optional(Type.Array(ReplicaHealthSchema, { minItems: 2 })) }),
]);

export const PlatformHealthSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('down')]),
  gateway: HealthReportSchema,
  services: Type.Record(Type.String(), ServiceHealthSchema),
});

type ReplicaHealth = typeof ReplicaHealthSchema.static;
type ServiceHealth = typeof ServiceHealthSchema.static;

/** One service's health from its replicas' (see ServiceHealthSchema). */
export function serviceHealthOf(replicas: ReplicaHealth[]): ServiceHealth {
  if (replicas.length === 1) return replicas[0]!;
  const serving = replicas.filter((replica) => replica.status !== 'down');
  const status = serving.length === 0 ? 'down' : serving.length === replicas.length && serving.every((r) => r.status === 'up') ? 'up' : 'degraded';
  const representative = serving[0] ?? replicas[0]!;
  const down = replicas.filter((replica) => replica.status === 'down');
  const health: ServiceHealth = { ...representative, status, latencyMs: Math.max(...replicas.map((r) => r.latencyMs)), replicas };
  if (down.length > 0) health.error = `${down.length} of ${replicas.length} replicas not ready: ${down.map((r) => r.error ?? r.url).join('; ')}`;
  else delete health.error;
  return health;
}

/** `/health`: the gateway's own dependencies plus every service's readiness, asked in parallel. */
async function healthAggregatePlugin(app: FastifyInstance, settings: GatewaySettings) {
  async function probe(name: string, url: string): Promise<ReplicaHealth> {
    const started = performance.now();
    const latency = () => Math.round(performance.now() - started);
    try {
      const res = await request(new URL('/health/ready', url), {
        headersTimeout: settings.healthTimeoutMs,
        bodyTimeout: settings.healthTimeoutMs,
      });
      const body = (await res.body.json().catch(() => undefined)) as
        | { data?: { status?: string; version?: string; checks?: Record<string, unknown> }; error?: { message?: string } }
        | undefined;
      const status = res.statusCode !== 200 ? 'down' : body?.data?.status === 'degraded' ? 'degraded' : 'up';
      const health: ReplicaHealth = { status, latencyMs: latency(), url };
      if (body?.data?.version) health.version = body.data.version;
      if (body?.data?.checks) health.checks = body.data.checks;
      if (res.statusCode !== 200) health.error = body?.error?.message ?? `answered ${res.statusCode}`;
      return health;
    } catch (error) {
      return { status: 'down', latencyMs: latency(), url, error: `${name} did not answer: ${(error as Error).message}` };
    }
  }

  app.get(
    '/health',
    {
      logLevel: 'warn',
      config: { access: 'public' },
      schema: {
        tags: ['health'],
        summary: 'The whole platform: the gateway and the readiness of every service',
        response: { 200: Envelope(PlatformHealthSchema) },
      },
    },
    async (request, reply) => {
      const [gateway, ...results] = await Promise.all([
        app.health.report(),
        ...UPSTREAMS.map(async (upstream) =>
          serviceHealthOf(await Promise.all(settings.upstreamUrls[upstream.name]!.map((url) => probe(upstream.name, url)))),
        ),
      ]);
      const services = Object.fromEntries(UPSTREAMS.map((upstream, i) => [upstream.name, results[i]!]));
      const named = (status: ServiceHealth['status']) => UPSTREAMS.filter((_, i) => results[i]!.status === status).map((u) => u.name);
      const down = named('down');
      const degraded = named('degraded');
      // Compared as a string: the kit's report says 'degraded' once it tells optional dependencies apart.
      const gatewayStatus: string = gateway.status;
      if (gatewayStatus === 'down') down.unshift('gateway');
      else if (gatewayStatus === 'degraded') degraded.unshift('gateway');
      // Degraded is still ready (200): every service takes traffic. Anything down is a 503, the
      // platform 'degraded' while some services serve and 'down' when none does.
      const serving = results.some((result) => result.status !== 'down');
      const status = down.length > 0 ? (serving ? 'degraded' : 'down') : degraded.length > 0 ? 'degraded' : 'ok';
      const data = { status, gateway, services };
      if (down.length === 0) return { success: true as const, data, metadata: metadataFor(request.id, request.startedAt) };
      return (reply as unknown as import('fastify').FastifyReply).code(503).send({
        success: false,
        data,
        error: { code: ErrorCode.SERVICE_UNAVAILABLE, message: `Not ready: ${down.join(', ')}`, details: { down, degraded } },
        metadata: metadataFor(request.id, request.startedAt),
      });
    },
  );
}

export default fp(healthAggregatePlugin, {
  name: 'gateway-health',
  fastify: '5.x',
  dependencies: ['foodxchange-health'],
});
