import fp from 'fastify-plugin';
import { Type } from '@sinclair/typebox';
import { request } from 'undici';
import type { FastifyInstance } from 'fastify';
import { Envelope, ErrorCode, HealthReportSchema, metadataFor } from '@foodxchange/service-kit';
import { UPSTREAMS, type GatewaySettings } from '../upstreams.js';

const ServiceHealthSchema = Type.Object({
  status: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  latencyMs: Type.Number(),
  url: Type.String(),
  version: Type.Optional(Type.String()),
  error: Type.Optional(Type.String()),
  checks: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

export const PlatformHealthSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('down')]),
  gateway: HealthReportSchema,
  services: Type.Record(Type.String(), ServiceHealthSchema),
});

type ServiceHealth = typeof ServiceHealthSchema.static;

/** `/health`: the gateway's own dependencies plus every service's readiness, asked in parallel. */
async function healthAggregatePlugin(app: FastifyInstance, settings: GatewaySettings) {
  async function probe(name: string, url: string): Promise<ServiceHealth> {
    const started = performance.now();
    const latency = () => Math.round(performance.now() - started);
    try {
      const res = await request(new URL('/health/ready', url), {
        headersTimeout: settings.healthTimeoutMs,
        bodyTimeout: settings.healthTimeoutMs,
      });
      const body = (await res.body.json().catch(() => undefined)) as
        | { data?: { version?: string; checks?: Record<string, unknown> }; error?: { message?: string } }
        | undefined;
      const health: ServiceHealth = { status: res.statusCode === 200 ? 'up' : 'down', latencyMs: latency(), url };
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
      schema: {
        tags: ['health'],
        summary: 'The whole platform: the gateway and the readiness of every service',
        response: { 200: Envelope(PlatformHealthSchema) },
      },
    },
    async (request, reply) => {
      const [gateway, ...results] = await Promise.all([
        app.health.report(),
        ...UPSTREAMS.map((upstream) => probe(upstream.name, settings.upstreamUrls[upstream.name]!)),
      ]);
      const services = Object.fromEntries(UPSTREAMS.map((upstream, i) => [upstream.name, results[i]!]));
      const up = results.filter((result) => result.status === 'up').length;
      const status = up === results.length && gateway.status === 'ok' ? 'ok' : up === 0 ? 'down' : 'degraded';
      const data = { status, gateway, services };
      if (status === 'ok') return { success: true as const, data, metadata: metadataFor(request.id, request.startedAt) };
      const down = UPSTREAMS.filter((_, i) => results[i]!.status === 'down').map((u) => u.name);
      if (gateway.status !== 'ok') down.unshift('gateway');
      return (reply as unknown as import('fastify').FastifyReply).code(503).send({
        success: false,
        data,
        error: { code: ErrorCode.SERVICE_UNAVAILABLE, message: `Not ready: ${down.join(', ')}` },
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
