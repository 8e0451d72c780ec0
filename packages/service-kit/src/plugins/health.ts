import fp from 'fastify-plugin';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Envelope, ErrorCode, metadataFor } from '../http/envelope.js';

export type HealthCheck = () => Promise<void | Record<string, unknown>>;

export interface DependencyStatus {
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
  info?: Record<string, unknown>;
}

export interface HealthReport {
  status: 'ok' | 'down';
  service: string;
  version: string;
  uptimeSeconds: number;
  checks: Record<string, DependencyStatus>;
}

export interface HealthRegistry {
  /** Adds a readiness check for one dependency (mongo, kafka, redis, elasticsearch …). */
  addCheck(name: string, check: HealthCheck): void;
  report(): Promise<HealthReport>;
}

declare module 'fastify' {
  interface FastifyInstance {
    health: HealthRegistry;
  }
}

const CHECK_TIMEOUT_MS = 2000;

const DependencyStatusSchema = Type.Object({
  status: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  latencyMs: Type.Number(),
  error: Type.Optional(Type.String()),
  info: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export const HealthReportSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('down')]),
  service: Type.String(),
  version: Type.String(),
  uptimeSeconds: Type.Number(),
  checks: Type.Record(Type.String(), DependencyStatusSchema),
});

async function runCheck(check: HealthCheck): Promise<DependencyStatus> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const info = await Promise.race([
      check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    const status: DependencyStatus = { status: 'up', latencyMs: Math.round(performance.now() - started) };
    if (info) status.info = info;
    return status;
  } catch (error) {
    return { status: 'down', latencyMs: Math.round(performance.now() - started), error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

async function healthPlugin(app: FastifyInstance, opts: { service: string; version: string; reportRoute?: boolean }) {
  const checks = new Map<string, HealthCheck>();
  const registry: HealthRegistry = {
    addCheck(name, check) {
      checks.set(name, check);
    },
    async report() {
      const entries = await Promise.all(
        [...checks].map(async ([name, check]) => [name, await runCheck(check)] as const),
      );
      const results = Object.fromEntries(entries);
      return {
        status: entries.every(([, result]) => result.status === 'up') ? 'ok' : 'down',
        service: opts.service,
        version: opts.version,
        uptimeSeconds: Math.round(process.uptime()),
        checks: results,
      };
    },
  };
  app.decorate('health', registry);

  const readiness = async (request: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => {
    const report = await registry.report();
    if (report.status === 'ok') return reply.send({ success: true, data: report, metadata: metadataFor(request.id) });
    const down = Object.entries(report.checks)
      .filter(([, check]) => check.status === 'down')
      .map(([name]) => name);
    return reply.code(503).send({
      success: false,
      data: report,
      error: { code: ErrorCode.SERVICE_UNAVAILABLE, message: `Not ready: ${down.join(', ')} down` },
      metadata: metadataFor(request.id),
    });
  };

  const schema = {
    tags: ['health'],
    summary: 'Readiness: every dependency answers',
    response: { 200: Envelope(HealthReportSchema) },
  };
  if (opts.reportRoute !== false) app.get('/health', { schema, logLevel: 'warn' }, readiness);
  app.get('/health/ready', { schema, logLevel: 'warn' }, readiness);
  app.get(
    '/health/live',
    {
      logLevel: 'warn',
      schema: {
        tags: ['health'],
        summary: 'Liveness: the process is up and serving HTTP',
        response: { 200: Envelope(Type.Object({ status: Type.Literal('ok') })) },
      },
    },
    async (request) => ({ success: true as const, data: { status: 'ok' as const }, metadata: metadataFor(request.id) }),
  );
}

export default fp(healthPlugin, { name: 'foodxchange-health', fastify: '5.x' });
