import fp from 'fastify-plugin';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Envelope, ErrorBodySchema, ErrorCode, ErrorEnvelopeSchema, errorEnvelope, MetadataSchema, metadataFor } from '../http/envelope.js';

export type HealthCheck = () => Promise<void | Record<string, unknown>>;

export interface DependencyStatus {
  status: 'up' | 'down';
  /** false: this dependency being down degrades the service but it still takes traffic. */
  critical: boolean;
  latencyMs: number;
  error?: string;
  info?: Record<string, unknown>;
}

/**
 * `ok`: every dependency answers. `degraded`: a non-critical one does not (e.g. Kafka: the outbox
 * keeps the events), the service still takes traffic. `down`: a critical one does not.
 */
export type HealthStatus = 'ok' | 'degraded' | 'down';

export interface HealthCheckOptions {
  /** Whether readiness fails while this dependency is down (default true). */
  critical?: boolean;
}

/** Answers why the process must be restarted, or undefined while it is healthy. */
export type LivenessCheck = () => string | undefined;

export interface HealthReport {
  status: HealthStatus;
  service: string;
  version: string;
  uptimeSeconds: number;
  checks: Record<string, DependencyStatus>;
}

export interface HealthRegistry {
  /** Adds a readiness check for one dependency (mongo, kafka, redis, elasticsearch …). */
  addCheck(name: string, check: HealthCheck, options?: HealthCheckOptions): void;
  /**
   * Adds a liveness rule: a state the process can't leave by itself (a crashed consumer), so the
   * orchestrator should restart it. Keep it a cheap in-memory look, never a call to a dependency
   * (a database outage must not restart every replica).
   */
  addLivenessCheck(name: string, check: LivenessCheck): void;
  report(): Promise<HealthReport>;
  /** The failed liveness rules by name (empty while alive). */
  liveness(): Record<string, string>;
}

declare module 'fastify' {
  interface FastifyInstance {
    health: HealthRegistry;
  }
}

const CHECK_TIMEOUT_MS = 2000;

const DependencyStatusSchema = Type.Object({
  status: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  critical: Type.Boolean({ description: 'false: while down the service is degraded, not out of rotation' }),
  latencyMs: Type.Number(),
  error: Type.Optional(Type.String()),
  info: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export const HealthReportSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('down')], {
    description: 'ok: all dependencies up; degraded: a non-critical one down (still serving); down: a critical one down (503)',
  }),
  service: Type.String(),
  version: Type.String(),
  uptimeSeconds: Type.Number(),
  checks: Type.Record(Type.String(), DependencyStatusSchema),
});

async function runCheck(check: HealthCheck, critical: boolean): Promise<DependencyStatus> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const info = await Promise.race([
      check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    const status: DependencyStatus = { status: 'up', critical, latencyMs: Math.round(performance.now() - started) };
    if (info) status.info = info;
    return status;
  } catch (error) {
    return { status: 'down', critical, latencyMs: Math.round(performance.now() - started), error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

async function healthPlugin(app: FastifyInstance, opts: { service: string; version: string; reportRoute?: boolean }) {
  const checks = new Map<string, { check: HealthCheck; critical: boolean }>();
  const livenessChecks = new Map<string, LivenessCheck>();
  const registry: HealthRegistry = {
    addCheck(name, check, options = {}) {
      checks.set(name, { check, critical: options.critical ?? true });
    },
    addLivenessCheck(name, check) {
      livenessChecks.set(name, check);
    },
    liveness() {
      const failed: Record<string, string> = {};
      for (const [name, check] of livenessChecks) {
        let reason: string | undefined;
        try {
          reason = check();
        } catch (error) {
          reason = (error as Error).message;
        }
        if (reason) failed[name] = reason;
      }
      return failed;
    },
    async report() {
      const entries = await Promise.all(
        [...checks].map(async ([name, { check, critical }]) => [name, await runCheck(check, critical)] as const),
      );
      const results = Object.fromEntries(entries);
      const down = entries.filter(([, result]) => result.status === 'down');
      return {
        status: down.length === 0 ? 'ok' : down.some(([, result]) => result.critical) ? 'down' : 'degraded',
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
    // Degraded still answers "send traffic here": 200, with the report saying what is missing.
    if (report.status !== 'down') return reply.send({ success: true, data: report, metadata: metadataFor(request.id) });
    const down = Object.entries(report.checks)
      .filter(([, check]) => check.status === 'down' && check.critical)
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
    summary: 'Readiness: should traffic come here',
    description:
      '200 while every critical dependency answers (status ok, or degraded when a non-critical one such as Kafka is down); 503 (status down) otherwise.',
    response: {
      200: Envelope(HealthReportSchema),
      503: Type.Object({
        success: Type.Literal(false),
        data: HealthReportSchema,
        error: ErrorBodySchema,
        metadata: MetadataSchema,
      }),
    },
  };
  if (opts.reportRoute !== false) app.get('/health', { schema, config: { access: 'public' }, logLevel: 'warn' }, readiness);
  app.get('/health/ready', { schema, config: { access: 'public' }, logLevel: 'warn' }, readiness);
  app.get(
    '/health/live',
    {
      logLevel: 'warn',
      config: { access: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Liveness: the process can still do its work (restart it on 503)',
        description: 'Fails only for states the process cannot leave by itself, such as a Kafka consumer that crashed for good; never for a dependency outage.',
        response: { 200: Envelope(Type.Object({ status: Type.Literal('ok') })), 503: ErrorEnvelopeSchema },
      },
    },
    async (request, reply) => {
      const failed = registry.liveness();
      const names = Object.keys(failed);
      if (names.length === 0) return { success: true as const, data: { status: 'ok' as const }, metadata: metadataFor(request.id) };
      return reply.code(503).send(
        errorEnvelope(request.id, {
          code: ErrorCode.SERVICE_UNAVAILABLE,
          message: `Not alive: ${names.map((name) => `${name} (${failed[name]})`).join(', ')}`,
          details: failed,
        }),
      );
    },
  );
}

export default fp(healthPlugin, { name: 'foodxchange-health', fastify: '5.x' });
