import { finished, Transform, type Readable } from 'node:stream';
import fp from 'fastify-plugin';
import proxy from '@fastify/http-proxy';
import CircuitBreaker from 'opossum';
import { Counter, Gauge } from 'prom-client';
import { Agent, type Dispatcher } from 'undici';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, CORRELATION_ID_HEADER, ErrorCode, errorEnvelope, REQUEST_ID_HEADER } from '@foodxchange/service-kit';
import { UPLOAD_ROUTES, UPSTREAMS, type GatewaySettings } from '../upstreams.js';

declare module 'fastify' {
  interface FastifyInstance {
    breakers: Map<string, CircuitBreaker>;
  }
  interface FastifyRequest {
    /**
     * Tells the upstream's breaker how the proxied call ended. Set by the breaker's action, so it
     * is only defined once the breaker has admitted the call.
     */
    settleUpstream?: (error?: Error) => void;
  }
}

class UpstreamServerError extends Error {
  constructor(service: string, status: number) {
    super(`${service} answered ${status}`);
    this.name = 'UpstreamServerError';
  }
}

/** What reply-from hands the retry policy: its own request options and the upstream's answer. */
interface RetryDetails {
  err?: Error & { code?: string };
  req: { method: string };
  res?: UpstreamResponse;
  attempt: number;
}

interface UpstreamResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  stream: Readable;
}

/** Replaces `settleUpstream` once the call has been settled: the upstream has answered or failed. */
const settled = () => {};

function alreadyAnswered(reply: FastifyReply): boolean {
  return reply.sent || reply.raw.headersSent;
}

function unavailable(reply: FastifyReply, service: string, reason: string): void {
  if (alreadyAnswered(reply)) return;
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

/**
 * Retry policy (replaces reply-from's default, which retries a GET answered 503 up to ten times).
 * At most ONE retry, only for GET/HEAD/OPTIONS (never POST/PUT/PATCH/DELETE: the first attempt may
 * have run), and only when the upstream could not have answered on purpose:
 * - the connection failed before any response (refused, reset, closed by the other side): the
 *   replica is gone or restarting;
 * - the replica answered 503 with `Connection: close`: it is draining for a restart (Fastify sets
 *   that header on every answer while closing). The retry goes out on a new connection, which
 *   the service's address balances to another replica.
 * Any other 503 is the service's own verdict (a dependency of it is down): retrying would double
 * its load. Timeouts are not retried either: a slow service would make every client wait twice.
 * The breaker sees one call per client request, settled with the final outcome.
 */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const CONNECTION_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET']);
const RETRY_DELAY_MS = 25;

/** A 503 with `Connection: close` is a replica shutting down, not a failing service. */
function isDraining(res: UpstreamResponse): boolean {
  if (res.statusCode !== 503) return false;
  const connection = res.headers.connection;
  return typeof connection === 'string' && connection.toLowerCase() === 'close';
}

function retryDelay({ err, req, res, attempt }: RetryDetails): number | null {
  if (attempt >= 1 || !IDEMPOTENT_METHODS.has(req.method)) return null;
  if (res) {
    if (!isDraining(res)) return null;
    res.stream.resume(); // the draining answer is dropped: its connection closes after it
    return RETRY_DELAY_MS;
  }
  return err?.code !== undefined && CONNECTION_FAILURES.has(err.code) ? RETRY_DELAY_MS : null;
}

/**
 * The connection pool of one service. Long-lived streams (server-sent events) may stay quiet for
 * longer than the upstream timeout between two events; undici's bodyTimeout (the longest silence
 * inside a body) would cut them. Only the request says in advance that it wants a stream:
 * EventSource always sends `Accept: text/event-stream`. Those calls keep the headers timeout (a
 * hung service still fails fast) and have no body timeout; every other call keeps both. A
 * subclass rather than an interceptor: no proxy object nor handler wrapper per call.
 */
class UpstreamAgent extends Agent {
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const accept = (options.headers as Record<string, unknown> | undefined)?.accept;
    if (typeof accept === 'string' && accept.includes('text/event-stream')) return super.dispatch({ ...options, bodyTimeout: 0 }, handler);
    return super.dispatch(options, handler);
  }
}

/** A proxied stream, ended from outside: the client's response is ended and the upstream call dropped. */
function endsWithUpstream(reply: FastifyReply, res: UpstreamResponse) {
  return {
    end() {
      res.stream.unpipe(reply.raw);
      res.stream.destroy();
      reply.raw.end();
    },
    once(event: 'close', listener: () => void) {
      reply.raw.once(event, listener);
    },
  };
}

const BREAKER_STATE = { closed: 0, halfOpen: 1, open: 2 } as const;

/**
 * One @fastify/http-proxy registration per area prefix, each upstream behind its own opossum
 * breaker. Paths are not rewritten: services mount their routes under the public path. Bodies
 * stream through unparsed, so the service's own validation (400/413/415 envelopes) answers.
 */
async function proxyPlugin(app: FastifyInstance, settings: GatewaySettings) {
  const breakers = new Map<string, CircuitBreaker>();
  const dispatchers: UpstreamAgent[] = [];
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
  const uploadRoutes = new Set<string>(UPLOAD_ROUTES);
  /** The largest body this request may carry: upload routes take files, everything else API bodies. */
  const limitOf = (request: FastifyRequest) =>
    request.method === 'POST' && uploadRoutes.has(request.url.split('?', 1)[0]!) ? settings.uploadBodyLimitBytes : bodyLimit;
  const tooLarge = (limit: number) => new AppError(413, ErrorCode.PAYLOAD_TOO_LARGE, `Request body is larger than ${limit} bytes`);
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-gateway-instance', settings.instance);
    const length = request.headers['content-length'];
    if (length !== undefined && request.url.startsWith('/api/')) {
      const limit = limitOf(request);
      if (Number(length) > limit) return done(tooLarge(limit));
    }
    done();
  });

  /**
   * A body sent without Content-Length (chunked) can only be measured as it streams: it is
   * counted on its way to the service, and the moment it passes the limit the client gets the
   * same 413 envelope and the upstream request is aborted (its body errors), so the service never
   * receives a complete body. The rest of the client's upload is read off and discarded, as
   * Node does after any early answer, so the connection stays usable.
   */
  function limitStreamedBody(request: FastifyRequest, reply: FastifyReply, source: Readable): Readable {
    let received = 0;
    const bodyLimit = limitOf(request);
    const tooLargeMessage = `Request body is larger than ${bodyLimit} bytes`;
    const limited = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        if (received <= bodyLimit) return callback(null, chunk);
        source.unpipe(limited);
        source.resume();
        if (request.settleUpstream !== settled && !alreadyAnswered(reply)) {
          request.settleUpstream?.(); // the client's mistake, not the service's
          request.settleUpstream = settled;
          void reply.code(413).send(new AppError(413, ErrorCode.PAYLOAD_TOO_LARGE, tooLargeMessage));
        }
        callback(new AppError(413, ErrorCode.PAYLOAD_TOO_LARGE, tooLargeMessage));
      },
    });
    // The upstream request reports the error; this keeps an early failure from being unhandled.
    limited.on('error', () => {});
    // A client that gives up mid-upload ends the upstream request too (pipe would leave it waiting).
    finished(source, (error) => {
      if (error && !limited.destroyed) limited.destroy(error);
    });
    return source.pipe(limited);
  }

  // Proxied routes are documented by their services' own OpenAPI, merged at /openapi.json.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/v1/')) route.schema = { ...(route.schema ?? {}), hide: true };
  });

  for (const upstream of UPSTREAMS) {
    const counted = {
      ok: proxied.labels({ service: upstream.name, outcome: 'ok' }),
      draining: proxied.labels({ service: upstream.name, outcome: 'draining' }),
      failed: proxied.labels({ service: upstream.name, outcome: 'failed' }),
      rejected: proxied.labels({ service: upstream.name, outcome: 'rejected-open' }),
    };
    // How a proxied call ended reaches the breaker through these handlers, built once per
    // registration: the hot path allocates only the promise the breaker waits on.
    const handlers = {
      onResponse: (request: FastifyRequest, upstreamReply: FastifyReply, res: UpstreamResponse) => {
        if (res.statusCode < 500) {
          request.settleUpstream?.();
          counted.ok.inc();
        } else if (isDraining(res)) {
          // A replica leaving during a rolling restart answered fast and on purpose: the service
          // is healthy, so this must not count towards opening its breaker. The client (a
          // non-idempotent call, or the retry met a draining replica too) gets its 503.
          request.settleUpstream?.();
          counted.draining.inc();
        } else request.settleUpstream?.(new UpstreamServerError(upstream.name, res.statusCode));
        request.settleUpstream = settled;
        // Hop-by-hop headers describe the gateway → service connection, not the client's: a
        // draining replica's `Connection: close` would otherwise close nginx's kept-alive
        // connection to the gateway.
        if (res.headers.connection !== undefined) upstreamReply.removeHeader('connection');
        if (res.headers['keep-alive'] !== undefined) upstreamReply.removeHeader('keep-alive');
        // An event stream stays open until its client leaves: the kit ends it when the gateway
        // closes, so a rolling restart of the gateway does not wait for the kill timeout.
        const type = res.headers['content-type'];
        if (typeof type === 'string' && type.startsWith('text/event-stream')) app.streams.track(endsWithUpstream(upstreamReply, res));
        void upstreamReply.send(res.stream);
      },
      onError: (upstreamReply: FastifyReply, { error }: { error: Error }) => {
        upstreamReply.request.settleUpstream?.(error);
        upstreamReply.request.settleUpstream = settled;
        unavailable(upstreamReply, upstream.name, error.message);
      },
      retryDelay,
    };
    // The breaker's action is the proxied call's outcome: it settles when the upstream answers.
    // It runs synchronously inside `fire` when (and only when) the breaker admits the call.
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
    // Called instead of a rejection, so no call needs a catch of its own. A call the breaker
    // refused (open, or half-open with its one trial call already out) never reached the
    // upstream: answer now. Other failures were answered by onError (or were a 5xx the client
    // already has).
    breaker.fallback((request: FastifyRequest, reply: FastifyReply, error: Error) => {
      if (request.settleUpstream === undefined) {
        counted.rejected.inc();
        unavailable(reply, upstream.name, error.message);
      } else counted.failed.inc();
    });
    breaker.on('open', () => app.log.warn({ service: upstream.name }, 'circuit opened'));
    breaker.on('close', () => app.log.info({ service: upstream.name }, 'circuit closed'));
    breakers.set(upstream.name, breaker);

    // One connection pool per service, shared by its prefixes.
    const dispatcher = new UpstreamAgent({
      connections: 128,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: settings.upstreamTimeoutMs,
      bodyTimeout: settings.upstreamTimeoutMs,
      connect: { timeout: Math.min(settings.upstreamTimeoutMs, 3000) },
    });
    dispatchers.push(dispatcher);

    for (const prefix of upstream.prefixes) {
      // http-proxy hands one options object to every call of a registration (its own location
      // rewriting is in it): merged with the handlers once, on the first call.
      let withHandlers: object | undefined;
      const forward = (request: FastifyRequest, reply: FastifyReply, dest: string, options: object) => {
        if (breaker.isShutdown) {
          unavailable(reply, upstream.name, 'the gateway is shutting down');
          return reply;
        }
        void breaker.fire(request, reply);
        // Refused by the breaker: its fallback has answered 503. Forwarding anyway would run the
        // request (a POST, say) while its client was told it failed.
        if (request.settleUpstream === undefined) return reply;
        if (request.body !== undefined && request.headers['content-length'] === undefined) {
          request.body = limitStreamedBody(request, reply, request.body as Readable);
        }
        withHandlers ??= { ...options, ...handlers };
        reply.from(dest, withHandlers);
        return reply;
      };
      await app.register(proxy, {
        upstream: settings.upstreamUrls[upstream.name]!,
        prefix,
        rewritePrefix: prefix,
        handler: forward,
        // The services verify every token themselves; the gateway's edge check is its own hook
        // (plugins/edge.ts), which applies to the routes naming their upstream.
        config: { access: 'public', upstream: upstream.name },
        // The gateway's access log is its metrics and the services' own logs; two info lines per
        // proxied call would only be filtered out by level.
        disableRequestLogging: true,
        undici: dispatcher,
        replyOptions: {
          // reply-from hands over its own copy of the client's headers: extended in place.
          rewriteRequestHeaders: (request: FastifyRequest, headers: Record<string, unknown>) => {
            headers[REQUEST_ID_HEADER] = request.id;
            headers[CORRELATION_ID_HEADER] = request.correlationId;
            // Appended, as every proxy in the chain does: the services (and their audit and
            // rate limits) see the whole path, client first. The hop is the peer's address, not
            // request.ip, which names the client once the nginx hop is trusted.
            const forwardedFor = headers['x-forwarded-for'];
            const peer = request.raw.socket.remoteAddress ?? '';
            headers['x-forwarded-for'] = typeof forwardedFor === 'string' && forwardedFor !== '' ? `${forwardedFor}, ${peer}` : peer;
            headers['x-forwarded-proto'] = request.protocol;
            headers['x-forwarded-host'] = request.headers.host ?? '';
            // Who the edge verified, for the services' logs only: they trust the token they
            // verify themselves, never these. A client's own copies are dropped.
            delete headers['x-user-id'];
            delete headers['x-user-role'];
            delete headers['x-company-id'];
            const identity = request.identity;
            if (identity) {
              headers['x-user-id'] = identity.userId;
              headers['x-user-role'] = identity.role;
              if (identity.companyId !== undefined) headers['x-company-id'] = identity.companyId;
            }
            return headers;
          },
        },
      } as never);
    }
  }

  app.addHook('onClose', async () => {
    for (const breaker of breakers.values()) breaker.shutdown();
    await Promise.all(dispatchers.map((dispatcher) => dispatcher.destroy()));
  });
}

export default fp(proxyPlugin, { name: 'gateway-proxy', fastify: '5.x', dependencies: ['foodxchange-metrics'] });
