import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AuthenticationError, ServiceUnavailableError, type Identity } from '@foodxchange/service-kit';
import { AUTH_LIMITED, isPublicCall, pathOf } from '../edge-policy.js';
import type { GatewaySettings } from '../upstreams.js';
import { applyVerdicts } from './rate-limits.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on the proxied routes: the service they go to. The edge checks apply to these. */
    upstream?: string;
  }
}

/**
 * What a caller presented to prove who it is. Bearer access tokens today; API keys (X-API-Key)
 * become a kind of their own here, verified by their own branch of `verify`. Until then an
 * X-API-Key is not a credential: a call with only that is anonymous.
 */
type Credentials = { kind: 'bearer' } | { kind: 'none' };

function credentialsOf(request: FastifyRequest): Credentials {
  return request.headers.authorization !== undefined ? { kind: 'bearer' } : { kind: 'none' };
}

/** Redis keys auth writes (identity-contract.md): a revoked token, and a user's suspension mark. */
export const denylistKeys = (identity: Identity) => [`auth:denylist:jti:${identity.tokenId}`, `auth:denylist:user:${identity.userId}`] as const;

/** Probes and scrapers are never throttled: a busy client must not take a replica out of rotation. */
const UNLIMITED_PATHS = new Set(['/health', '/health/live', '/health/ready', '/metrics']);

/**
 * The edge, in one onRequest hook (before any body is read): the per-address limit on every
 * request; on proxied routes the strict sign-in limit, then the caller's credentials (401 unless
 * the call is public by the gateway's table), the denylist (one MGET) and the per-user limit. A
 * token on a public call is used when it is valid (per-user limit, identity for the logs) and
 * ignored otherwise, so a client holding a stale token can still sign in or refresh. The
 * Authorization header goes on unchanged: each service verifies the token again itself.
 */
async function edgePlugin(app: FastifyInstance, settings: GatewaySettings) {
  const { limits, redis } = app;
  const refuseWithoutDenylist = settings.denylistUnavailable === 'refuse';

  async function verify(request: FastifyRequest, credentials: Credentials): Promise<Identity> {
    switch (credentials.kind) {
      case 'bearer':
        return app.authenticate(request);
      case 'none':
        throw new AuthenticationError('Sign in first: send Authorization: Bearer <access token>');
    }
  }

  /** Why the token may no longer be used, or undefined while it may. One round trip for both keys. */
  async function revocationOf(request: FastifyRequest, identity: Identity): Promise<string | undefined> {
    if (redis.status !== 'ready') return denylistUnavailable(request, new Error(`Redis is ${redis.status}`));
    let revokedToken: string | null;
    let suspendedAt: string | null;
    try {
      [revokedToken, suspendedAt] = (await redis.mget(...denylistKeys(identity))) as [string | null, string | null];
    } catch (error) {
      return denylistUnavailable(request, error as Error);
    }
    if (revokedToken !== null) return 'The access token has been revoked: sign in again';
    if (suspendedAt !== null) {
      const issuedAt = (request.user as { iat?: unknown } | undefined)?.iat;
      // A token issued at or before the suspension is dead; one without iat cannot be placed after it.
      if (typeof issuedAt !== 'number' || issuedAt * 1000 <= Number(suspendedAt)) return 'The account has been suspended: sign in again';
    }
    return undefined;
  }

  let lastWarnAt = 0;
  function denylistUnavailable(request: FastifyRequest, error: Error): undefined {
    // Once per interval, not once per request while Redis is away.
    if (Date.now() - lastWarnAt > 10_000) {
      lastWarnAt = Date.now();
      request.log.warn({ err: error }, `token denylist unavailable: tokens are ${refuseWithoutDenylist ? 'refused (503)' : 'accepted until they expire'}`);
    }
    if (refuseWithoutDenylist) throw new ServiceUnavailableError('Sign-in state cannot be checked right now', { dependency: 'redis' });
    return undefined;
  }

  app.addHook('onRequest', async (request, reply) => {
    const path = pathOf(request.url);
    if (UNLIMITED_PATHS.has(path)) return;
    // The gateway's own routes (docs, OpenAPI, metrics …) follow their kit policies.
    if (request.routeOptions.config?.upstream === undefined) return applyVerdicts(reply, [await limits.byAddress(request)]);
    // Counted while the token is verified (a cached verification takes no I/O): with the denylist
    // read and the user's count, every Redis command of the request waits in the same round trip.
    const addressCount = limits.byAddress(request);
    const signInCount = request.method === 'POST' && AUTH_LIMITED.test(path) ? limits.onSignIn(request) : undefined;

    const credentials = credentialsOf(request);
    const isPublic = isPublicCall(request.method, path);
    let identity: Identity | undefined;
    let failure: unknown;
    if (credentials.kind !== 'none' || !isPublic) {
      identity = await verify(request, credentials).catch((error: unknown) => {
        failure = error;
        return undefined;
      });
    }
    const [addressVerdict, signInVerdict, revoked, userVerdict] = await Promise.all([
      addressCount,
      signInCount,
      identity && revocationOf(request, identity),
      identity && limits.byUser(request),
    ]);
    // A limit refuses before credentials are judged: a flood of bad tokens gets 429s, not 401s.
    const verdicts = [addressVerdict, signInVerdict];
    if (addressVerdict?.exceeded || signInVerdict?.exceeded) return applyVerdicts(reply, verdicts);
    if (!identity) {
      if (!isPublic) throw failure;
    } else if (revoked !== undefined) {
      if (!isPublic) throw new AuthenticationError(revoked);
      request.identity = undefined; // a public call: served as anonymous
    } else verdicts.push(userVerdict);
    applyVerdicts(reply, verdicts);
  });
}

export default fp(edgePlugin, { name: 'gateway-edge', fastify: '5.x', dependencies: ['gateway-rate-limits', 'foodxchange-access'] });
