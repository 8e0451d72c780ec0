import fp from 'fastify-plugin';
import proxy from '@fastify/http-proxy';
import CircuitBreaker from 'opossum';
import { Counter, Gauge } from 'prom-client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, CORRELATION_ID_HEADER, ErrorCode, errorEnvelope, REQUEST_ID_HEADER } from '@foodxchange/service-kit';
import { UPSTREAMS, type GatewaySettings } from '../upstreams.js';

declare module 'fastify' {
  interface FastifyInstance {
    breakers: Map<string, CircuitBreaker>;
  }
  interface FastifyRequest {
    /** Tells the upstream's breaker how the proxied call ended. */
    settleUpstream?: (error?: Error) => void;
  }
}

class UpstreamServerError extends Error {
  constructor(service: string, status: number) {
    super(`${service} answered ${status}`);
    this.name = 'UpstreamServerError';
  }
}

function unavailable(reply: FastifyReply, service: string, reason: string): void {
  if (reply.sent) return;
  void reply
    .code(503)
    .header('content-type', 'application/json')
    .header('retry-after', '5')
    .send(
      errorEnvelope(
        reply.request.id,
        { code: ErrorCode.SERVICE_UNAVAILABLE, message: `The ${service} service is unavailable`, details: { service, reason } },
        reply.request.startedAt,
      ),
    );
}

const BREAKER_STATE = { closed: 0, halfOpen: 1, open: 2 } as const;

/**
 * One @fastify/http-proxy registration per area prefix, each upstream behind its own opossum
 * breaker. Paths are not rewritten: services mount their routes under the public path. Bodies
 * stream through unparsed, so the service's own validation (400/413/415 envelopes) answers.
 */
async function proxyPlugin(app: FastifyInstance, settings: GatewaySettings) {
  const breakers = new Map<string, CircuitBreaker>();
  app.decorate('breakers', breakers);
  app.decorateRequest('settleUpstream', undefined);

  const proxied = new Counter({
    name: 'gateway_proxied_requests_total',
    help: 'Requests proxied to a service, by service and outcome',
    labelNames: ['service', 'outcome'] as const,
    registers: [app.metrics],
  });
  new Gauge({
    name: 'gateway_breaker_state',
    help: 'Circuit breaker per upstream: 0 closed, 1 half-open, 2 open',
    labelNames: ['service'] as const,
    registers: [app.metrics],
    collect() {
      for (const [service, breaker] of breakers) {
        const state = breaker.opened ? 'open' : breaker.halfOpen ? 'halfOpen' : 'closed';
        this.set({ service }, BREAKER_STATE[state]);
      }
    },
  });

  // Bodies stream through unparsed, so Fastify's own limit never sees them. Refuse what every
  // service would refuse anyway before streaming it: a service answering 413 mid-upload closes
  // the connection under the proxy, which would surface as a 503 instead of the client's error.
  // Which replica answered (nginx balances two) is set in the same hook, early, so every reply
  // carries it, errors too. One synchronous hook: it runs on every request the gateway takes.
  const bodyLimit = app.config.BODY_LIMIT_BYTES;
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-gateway-instance', settings.instance);
    const length = request.headers['content-length'];
    if (length !== undefined && Number(length) > bodyLimit && request.url.startsWith('/api/')) {
      done(new AppError(413, ErrorCode.PAYLOAD_TOO_LARGE, `Request body is larger than ${bodyLimit} bytes`));
    } else done();
  });

  // Proxied routes are documented by their services' own OpenAPI, merged at /openapi.json.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/v1/')) route.schema = { ...(route.schema ?? {}), hide: true };
  });

  for (const upstream of UPSTREAMS) {
    const counted = {
      ok: proxied.labels({ service: upstream.name, outcome: 'ok' }),
      failed: proxied.labels({ service: upstream.name, outcome: 'failed' }),
      rejected: proxied.labels({ service: upstream.name, outcome: 'rejected-open' }),
    };
    // How a proxied call ended reaches the breaker through these handlers, built once per
    // registration: the hot path allocates only the promise the breaker waits on.
    const handlers = {
      onResponse: (request: FastifyRequest, upstreamReply: FastifyReply, res: { statusCode: number; stream: unknown }) => {
        if (res.statusCode >= 500) request.settleUpstream?.(new UpstreamServerError(upstream.name, res.statusCode));
        else {
          request.settleUpstream?.();
          counted.ok.inc();
        }
        void upstreamReply.send(res.stream);
      },
      onError: (upstreamReply: FastifyReply, { error }: { error: Error }) => {
        upstreamReply.request.settleUpstream?.(error);
        unavailable(upstreamReply, upstream.name, error.message);
      },
    };
    // The breaker's action is the proxied call's outcome: it settles when the upstream answers.
    const breaker = new CircuitBreaker(
      (request: FastifyRequest, _reply: FastifyReply) =>
        new Promise<void>((resolve, reject) => {
          request.settleUpstream = (error) => (error ? reject(error) : resolve());
        }),
      {
        name: upstream.name,
        // The proxy's own undici timeouts end a hanging call and report it through onError, so
        // the breaker needs no timer per request of its own.
        timeout: false,
        ...settings.breaker,
        // Latency percentiles and periodic snapshots cost CPU on every call (arrays of every
        // latency, re-summed each second); the breaker only needs counts. Metrics come from prom-client.
        rollingPercentilesEnabled: false,
        enableSnapshots: false,
      },
    );
    // Called instead of a rejection, so no call needs a catch of its own. An open circuit never
    // reached the upstream: answer now. Other failures were answered by onError (or were a 5xx
    // the client already has).
    breaker.fallback((_request: FastifyRequest, reply: FastifyReply, error: Error & { code?: string }) => {
      if (error.code === 'EOPENBREAKER') {
        counted.rejected.inc();
        unavailable(reply, upstream.name, error.message);
      } else counted.failed.inc();
    });
    breaker.on('open', () => app.log.warn({ service: upstream.name }, 'circuit opened'));
    breaker.on('close', () => app.log.info({ service: upstream.name }, 'circuit closed'));
    breakers.set(upstream.name, breaker);

    for (const prefix of upstream.prefixes) {
      // http-proxy hands one options object to every call of a registration (its own location
      // rewriting is in it): merged with the handlers once, on the first call.
      let withHandlers: object | undefined;
      const forward = (request: FastifyRequest, reply: FastifyReply, dest: string, options: object) => {
        void breaker.fire(request, reply);
        if (breaker.opened) return reply;
        withHandlers ??= { ...options, ...handlers };
        reply.from(dest, withHandlers);
        return reply;
      };
      await app.register(proxy, {
        upstream: settings.upstreamUrls[upstream.name]!,
        prefix,
        rewritePrefix: prefix,
        handler: forward,
        // The gateway's access log is its metrics and the services' own logs; two info lines per
        // proxied call would only be filtered out by level.
        disableRequestLogging: true,
        undici: {
          connections: 128,
          pipelining: 1,
          keepAliveTimeout: 30_000,
          headersTimeout: settings.upstreamTimeoutMs,
          bodyTimeout: settings.upstreamTimeoutMs,
          connect: { timeout: Math.min(settings.upstreamTimeoutMs, 3000) },
        },
        replyOptions: {
          // reply-from hands over its own copy of the client's headers: extended in place.
          rewriteRequestHeaders: (request: FastifyRequest, headers: Record<string, unknown>) => {
            headers[REQUEST_ID_HEADER] = request.id;
            headers[CORRELATION_ID_HEADER] = request.correlationId;
            headers['x-forwarded-for'] = request.ip;
            headers['x-forwarded-proto'] = request.protocol;
            headers['x-forwarded-host'] = request.headers.host ?? '';
            return headers;
          },
        },
      } as never);
    }
  }

  app.addHook('onClose', async () => {
    for (const breaker of breakers.values()) breaker.shutdown();
  });
}

export default fp(proxyPlugin, { name: 'gateway-proxy', fastify: '5.x', dependencies: ['foodxchange-metrics'] });
