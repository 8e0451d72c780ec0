import { finished, PassThrough, Transform, type Readable } from 'node:stream';
import fp from 'fastify-plugin';
import proxy from '@fastify/http-proxy';
import CircuitBreaker from 'opossum';
import { Counter, Gauge } from 'prom-client';
import { Agent, type Dispatcher } from 'undici';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, CORRELATION_ID_HEADER, ErrorCode, errorEnvelope, REQUEST_ID_HEADER } from '@foodxchange/service-kit';
import { UPLOAD_ROUTES, UPSTREAMS, type GatewaySettings } from '../upstreams.js';
import { addressOf, ReplicaBalancer, type Replica } from '../replicas.js';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The proxy's breakers: one per replica, named after the service (`order`) when it has one
     * replica, `order@127.0.0.1:3006` for each when it has several.
     */
    breakers: Map<string, CircuitBreaker>;
  }
  interface FastifyRequest {
    /**
     * Tells the upstream's breaker how the proxied call ended. Set by the breaker's action, so it
     * is only defined once the breaker has admitted the call.
     */
    settleUpstream?: (error?: Error) => void;
    /** The proxied call in flight, kept so that a failed idempotent call can move to another replica once. */
    upstreamCall?: UpstreamCall;
  }
}

interface ProxyReplica extends Replica {
  index: number;
}

interface UpstreamCall {
  replica: ProxyReplica;
  dest: string;
  /** http-proxy's options of the prefix the call came in on. */
  options: object;
  failedOver: boolean;
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
const CONNECTION_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);
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

/** With several replicas the gateway itself moves a failed call to another one (see `failover`). */
const noRetry = () => null;
const noFixedUpstream = () => '';

/** Whether reply-from's error (which wraps undici's) says no answer came: the connection failed. */
function isConnectionFailure(error: Error): boolean {
  const code = (error as { code?: string }).code;
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  return (code !== undefined && CONNECTION_FAILURES.has(code)) || (cause !== undefined && CONNECTION_FAILURES.has(cause));
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
  /** Every replica of every service, for the breaker gauge. */
  const gauged: { service: string; replica: string; breaker: CircuitBreaker }[] = [];
  const dispatchers: UpstreamAgent[] = [];
  app.decorate('breakers', breakers);
  app.decorateRequest('settleUpstream', undefined);
  app.decorateRequest('upstreamCall', undefined);

  const proxied = new Counter({
    name: 'gateway_proxied_requests_total',
    help: 'Requests proxied to a service, by service and outcome',
    labelNames: ['service', 'outcome'] as const,
    registers: [app.metrics],
  });
  new Gauge({
    name: 'gateway_breaker_state',
    help: 'Circuit breaker per replica of each upstream service: 0 closed, 1 half-open, 2 open',
    labelNames: ['service', 'replica'] as const,
    registers: [app.metrics],
    collect() {
      for (const { service, replica, breaker } of gauged) {
        const state = breaker.opened ? 'open' : breaker.halfOpen ? 'halfOpen' : 'closed';
        this.set({ service, replica }, BREAKER_STATE[state]);
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

  // A service may answer before it has read the whole body (no such route, its own limit, an early
  // error). The upstream call then destroys the stream it was sending; were that the client's
  // request itself, Node would stop reading the connection for good (a destroyed request never
  // asks for more), and the client, still sending, would hang until the request timeout answered
  // its next request on that connection with a 408. So the upstream call always gets a stream of
  // its own (see `forward`), and what the client still sends is read off here and discarded, as
  // Node does after its own early answers.
  app.addHook('onResponse', (request, _reply, done) => {
    const raw = request.raw;
    if (!raw.complete && !raw.destroyed) {
      raw.unpipe();
      raw.resume();
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
      failedOver: proxied.labels({ service: upstream.name, outcome: 'failed-over' }),
    };
    const urls = settings.upstreamUrls[upstream.name]!;
    const several = urls.length > 1;
    const replicas: ProxyReplica[] = urls.map((url, index) => ({ url, address: addressOf(url), index, breaker: breakerFor(url) }));
    const balancer = new ReplicaBalancer(replicas);

    /**
     * With several replicas, a call that got no answer from one (its connection failed, or it
     * answered as a draining replica) moves to another replica once, if it is idempotent (GET,
     * HEAD, OPTIONS: the first attempt cannot have done anything) and another replica's breaker
     * admits it. The failed replica's breaker has counted the failure (a draining answer counts
     * as none), so a dead replica soon stops being picked at all.
     */
    const failoverTarget = (request: FastifyRequest, reply: FastifyReply): ProxyReplica | undefined => {
      const call = request.upstreamCall;
      if (!several || !call || call.failedOver || !IDEMPOTENT_METHODS.has(request.method) || alreadyAnswered(reply)) return undefined;
      return balancer.alternativeTo(call.replica);
    };
    const failover = (request: FastifyRequest, reply: FastifyReply, next: ProxyReplica): void => {
      const call = request.upstreamCall!;
      call.failedOver = true;
      counted.failedOver.inc();
      send(next, request, reply, call.dest, call.options);
    };

    // How a proxied call ended reaches the replica's breaker through these handlers, built once
    // per service: the hot path allocates only the promise the breaker waits on and its call record.
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
          request.settleUpstream = settled;
          const next = failoverTarget(request, upstreamReply);
          if (next) {
            // reply-from has copied the draining answer's headers onto the reply: dropped before
            // another replica's answer is copied in (a stale Content-Length would corrupt it).
            for (const name of Object.keys(res.headers)) upstreamReply.removeHeader(name);
            res.stream.resume();
            return failover(request, upstreamReply, next);
          }
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
        const request = upstreamReply.request;
        request.settleUpstream?.(error);
        request.settleUpstream = settled;
        const next = isConnectionFailure(error) ? failoverTarget(request, upstreamReply) : undefined;
        if (next) return failover(request, upstreamReply, next);
        unavailable(upstreamReply, upstream.name, error.message);
      },
      // One replica (a load-balanced address): reply-from retries on a new connection, which the
      // address balances. Several: the gateway fails over to another replica itself.
      retryDelay: several ? noRetry : retryDelay,
    };

    function breakerFor(url: string): CircuitBreaker {
      const name = several ? `${upstream.name}@${addressOf(url)}` : upstream.name;
      // The breaker's action is the proxied call's outcome: it settles when the upstream answers.
      // It runs synchronously inside `fire` when (and only when) the breaker admits the call.
      const breaker = new CircuitBreaker(
        (request: FastifyRequest, _reply: FastifyReply) =>
          new Promise<void>((resolve, reject) => {
            request.settleUpstream = (error) => (error ? reject(error) : resolve());
          }),
        {
          name,
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
      // already has, or moved to another replica).
      breaker.fallback((request: FastifyRequest, reply: FastifyReply, error: Error) => {
        if (request.settleUpstream === undefined) {
          counted.rejected.inc();
          unavailable(reply, upstream.name, error.message);
        } else counted.failed.inc();
      });
      const replica = addressOf(url);
      breaker.on('open', () => app.log.warn({ service: upstream.name, replica }, 'circuit opened'));
      breaker.on('close', () => app.log.info({ service: upstream.name, replica }, 'circuit closed'));
      breakers.set(name, breaker);
      gauged.push({ service: upstream.name, replica, breaker });
      return breaker;
    }

    /** Sends the call to one replica, through that replica's breaker. */
    function send(replica: ProxyReplica, request: FastifyRequest, reply: FastifyReply, dest: string, options: object): void {
      request.settleUpstream = undefined;
      void replica.breaker.fire(request, reply);
      // Refused by the breaker: its fallback has answered 503. Forwarding anyway would run the
      // request (a POST, say) while its client was told it failed.
      if (request.settleUpstream === undefined) return;
      if (request.upstreamCall) request.upstreamCall.replica = replica;
      else request.upstreamCall = { replica, dest, options, failedOver: false };
      reply.from(dest, (options as { byReplica: object[] }).byReplica[replica.index]);
    }

    // One connection pool per service, shared by its prefixes and replicas (an undici Agent
    // keeps a pool per origin).
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
      // rewriting is in it): merged with the handlers and each replica's address once, on the
      // first call.
      let perPrefix: { byReplica: object[] } | undefined;
      const forward = (request: FastifyRequest, reply: FastifyReply, dest: string, options: object) => {
        if (replicas[0]!.breaker.isShutdown) {
          unavailable(reply, upstream.name, 'the gateway is shutting down');
          return reply;
        }
        perPrefix ??= { byReplica: replicas.map((replica) => ({ ...options, ...handlers, getUpstream: () => replica.url })) };
        if (request.body !== undefined) {
          // Never the client's request stream itself: see the onResponse hook above.
          request.body = request.headers['content-length'] === undefined ? limitStreamedBody(request, reply, request.body as Readable) : (request.body as Readable).pipe(new PassThrough());
        }
        send(balancer.pick(), request, reply, dest, perPrefix);
        return reply;
      };
      await app.register(proxy, {
        // Each call names its replica (getUpstream above): no fixed base, so undici dispatches to
        // the chosen replica's origin.
        upstream: '',
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
          // Required by http-proxy without a fixed upstream; each call's own options (built per
          // replica in `forward`) name the replica it goes to.
          getUpstream: noFixedUpstream,
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
