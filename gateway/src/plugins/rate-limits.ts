import fp from 'fastify-plugin';
import rateLimit, { normalizeIP, type FastifyRateLimitStore } from '@fastify/rate-limit';
import RedisStore from '@fastify/rate-limit/store/RedisStore.js';
import LocalStore from '@fastify/rate-limit/store/LocalStore.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RateLimitError } from '@foodxchange/service-kit';
import type { GatewaySettings } from '../upstreams.js';
import { pathOf } from '../edge-policy.js';

type Redis = FastifyInstance['redis'];

/** One limiter's count for a request, as the library computed it. */
export interface LimitVerdict {
  limit: number;
  remaining: number;
  /** Seconds until the window restarts. */
  resetSeconds: number;
  windowSeconds: number;
  exceeded: boolean;
  /** Which limit, for the 429 message. */
  scope: 'address' | 'user' | 'sign-in' | 'api-key';
}

export interface EdgeLimits {
  /** Every request, per client address (request.ip: the real client behind trusted hops). */
  byAddress(request: FastifyRequest): Promise<LimitVerdict | undefined>;
  /** POST /auth/login|register (authMax) and /refresh (refreshMax), per client address and route. */
  onSignIn(request: FastifyRequest): Promise<LimitVerdict | undefined>;
  /** Every signed-in request, per verified user (`request.identity`). */
  byUser(request: FastifyRequest): Promise<LimitVerdict | undefined>;
  /** Every request made with an API key, per key (`request.identity.apiKeyId`): its own budget. */
  byApiKey(request: FastifyRequest): Promise<LimitVerdict | undefined>;
}

declare module 'fastify' {
  interface FastifyInstance {
    limits: EdgeLimits;
  }
}

interface StoreParams {
  continueExceeding?: boolean;
  exponentialBackoff?: boolean;
  cache?: number;
  /** Prefix of this limiter's counters in Redis. */
  nameSpace?: string;
  /** Count in this replica's memory while Redis is unavailable (instead of not counting at all). */
  localFallback?: boolean;
}

/**
 * A store that counts in Redis (shared by every replica) and, for the limiters that ask for it,
 * falls back to the library's in-memory store while Redis is unavailable. Both are the library's
 * own stores; this only chooses between them. A client that is not connected is not asked at all:
 * its commands would wait for reconnection attempts on every request.
 */
function redisFirstStore(redis: Redis, onUnavailable: (error: Error) => void) {
  return class RedisFirstStore implements FastifyRateLimitStore {
    private readonly remote: FastifyRateLimitStore;
    private readonly local: FastifyRateLimitStore | undefined;

    constructor(params: StoreParams) {
      this.remote = new RedisStore(params.continueExceeding ?? false, params.exponentialBackoff ?? false, redis, params.nameSpace);
      this.local = params.localFallback ? new LocalStore(params.continueExceeding ?? false, params.exponentialBackoff ?? false, params.cache) : undefined;
    }

    incr(key: string, callback: Parameters<FastifyRateLimitStore['incr']>[1], timeWindow: number, max: number): void {
      if (redis.status !== 'ready') return this.fallBack(new Error(`Redis is ${redis.status}`), key, callback, timeWindow, max);
      this.remote.incr(key, (error, result) => (error ? this.fallBack(error, key, callback, timeWindow, max) : callback(null, result)), timeWindow, max);
    }

    private fallBack(error: Error, key: string, callback: Parameters<FastifyRateLimitStore['incr']>[1], timeWindow: number, max: number): void {
      onUnavailable(error);
      // Without a fallback the error reaches the library, which lets the request through (skipOnError).
      if (this.local) this.local.incr(key, callback, timeWindow, max);
      else callback(error);
    }

    child(params: object): FastifyRateLimitStore {
      return new RedisFirstStore(params as StoreParams);
    }
  };
}

/** How often an unavailable Redis is logged (every request would flood the log). */
const WARN_EVERY_MS = 10_000;
/** A failed count within this span keeps the health check degraded. */
const DEGRADED_FOR_MS = 10_000;

/**
 * Rate limits at the edge with @fastify/rate-limit, counted in Redis so every replica shares them.
 * The gateway's edge hook calls the limiters in its own order (address first, then the sign-in
 * routes, then the verified user); their verdicts become the RateLimit-* headers and the 429.
 * While Redis is unavailable: the address and user limits let requests through (fail open), the
 * sign-in limits count in memory per replica, and /health shows the limiter degraded.
 */
async function rateLimitsPlugin(app: FastifyInstance, settings: GatewaySettings) {
  const { windowMs, globalMax, userMax, authMax, refreshMax, apiKeyMax, namespace } = settings.rateLimits;
  let lastFailureAt = 0;
  let lastWarnAt = 0;
  const onUnavailable = (error: Error) => {
    const now = Date.now();
    lastFailureAt = now;
    if (now - lastWarnAt < WARN_EVERY_MS) return;
    lastWarnAt = now;
    app.log.warn({ err: error }, 'rate limits: Redis unavailable, address and user limits open, sign-in limits per replica');
  };

  await app.register(rateLimit, {
    global: false,
    store: redisFirstStore(app.redis, onUnavailable),
    timeWindow: windowMs,
    // A store failure lets the request through (the store itself falls back where it must).
    skipOnError: true,
  });

  const limiter = (scope: LimitVerdict['scope'], options: { max: number; nameSpace: string; localFallback: boolean; keyGenerator: (request: FastifyRequest) => string }) => {
    const count = app.createRateLimit({ timeWindow: windowMs, skipOnError: true, ...options } as Parameters<FastifyInstance['createRateLimit']>[0]);
    return async (request: FastifyRequest): Promise<LimitVerdict | undefined> => {
      const result = await count(request);
      // Not counted (Redis down and no fallback): no headers, no verdict.
      if (result.isAllowed || result.ttl <= 0) return undefined;
      return {
        limit: result.max,
        remaining: result.remaining,
        resetSeconds: result.ttlInSeconds,
        windowSeconds: Math.ceil(windowMs / 1000),
        exceeded: result.isExceeded,
        scope,
      };
    };
  };

  // login, register or refresh: each route its own bucket.
  const signInRoute = (request: FastifyRequest) => {
    const path = pathOf(request.url);
    return path.slice(path.lastIndexOf('/') + 1);
  };
  const signInLimit = limiter('sign-in', {
    max: authMax,
    nameSpace: `${namespace}sign-in:`,
    localFallback: true,
    keyGenerator: (request) => `${signInRoute(request)}:${normalizeIP(request.ip)}`,
  });
  const refreshLimit = limiter('sign-in', {
    max: refreshMax,
    nameSpace: `${namespace}sign-in:`,
    localFallback: true,
    keyGenerator: (request) => `refresh:${normalizeIP(request.ip)}`,
  });
  const limits: EdgeLimits = {
    byAddress: limiter('address', { max: globalMax, nameSpace: `${namespace}address:`, localFallback: false, keyGenerator: (request) => normalizeIP(request.ip) }),
    onSignIn: (request) => (signInRoute(request) === 'refresh' ? refreshLimit(request) : signInLimit(request)),
    byUser: limiter('user', { max: userMax, nameSpace: `${namespace}user:`, localFallback: false, keyGenerator: (request) => request.identity!.userId }),
    byApiKey: limiter('api-key', { max: apiKeyMax, nameSpace: `${namespace}api-key:`, localFallback: false, keyGenerator: (request) => request.identity!.apiKeyId! }),
  };
  app.decorate('limits', limits);

  app.health.addCheck(
    'rate-limit',
    async () => {
      if (app.redis.status !== 'ready' || Date.now() - lastFailureAt < DEGRADED_FOR_MS) {
        throw new Error(
          'Redis unavailable: address and user limits are not enforced, sign-in limits are counted per replica, the token denylist is not read',
        );
      }
      return { store: 'redis', windowMs, globalMax, userMax, authMax, refreshMax, apiKeyMax };
    },
    { critical: false },
  );
}

const SCOPE_MESSAGES: Record<LimitVerdict['scope'], string> = {
  address: 'Too many requests from this address',
  user: 'Too many requests for this account',
  'sign-in': 'Too many sign-in attempts from this address',
  'api-key': 'Too many requests with this API key',
};

/**
 * The RateLimit-* headers (IETF draft: limit, remaining, seconds to reset, and the policy) of the
 * tightest limit that applied; a 429 envelope with Retry-After when one was exceeded.
 */
export function applyVerdicts(reply: FastifyReply, verdicts: (LimitVerdict | undefined)[]): void {
  let tightest: LimitVerdict | undefined;
  for (const verdict of verdicts) {
    if (!verdict) continue;
    if (!tightest || (verdict.exceeded && !tightest.exceeded) || (verdict.exceeded === tightest.exceeded && verdict.remaining < tightest.remaining)) {
      tightest = verdict;
    }
  }
  if (!tightest) return;
  void reply
    .header('ratelimit-limit', tightest.limit)
    .header('ratelimit-remaining', tightest.remaining)
    .header('ratelimit-reset', tightest.resetSeconds)
    .header('ratelimit-policy', `${tightest.limit};w=${tightest.windowSeconds}`);
  if (tightest.exceeded) {
    throw new RateLimitError(`${SCOPE_MESSAGES[tightest.scope]}: retry in ${tightest.resetSeconds} s`, Math.max(tightest.resetSeconds, 1), {
      scope: tightest.scope,
      limit: tightest.limit,
      windowSeconds: tightest.windowSeconds,
      retryAfterSeconds: Math.max(tightest.resetSeconds, 1),
    });
  }
}

export default fp(rateLimitsPlugin, { name: 'gateway-rate-limits', fastify: '5.x', dependencies: ['foodxchange-redis', 'foodxchange-health'] });
