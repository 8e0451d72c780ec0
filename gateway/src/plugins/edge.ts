import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AuthenticationError, ServiceUnavailableError, revocationKeys, revocationOf, type Identity } from '@foodxchange/service-kit';
import { API_KEY_HEADER, type ApiKeyExchange } from '../api-keys.js';
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
 * What a caller presented to prove who it is: a bearer access token (a sign-in), or an API key
 * (a B2B integration), which the edge exchanges at auth for a short-lived access token of the
 * key's permissions. A bearer token wins when both are sent.
 */
type Credentials = { kind: 'bearer' } | { kind: 'api-key'; key: string } | { kind: 'none' };

function credentialsOf(request: FastifyRequest): Credentials {
  if (request.headers.authorization !== undefined) return { kind: 'bearer' };
  const key = request.headers[API_KEY_HEADER];
  if (typeof key === 'string' && key !== '') return { kind: 'api-key', key };
  return { kind: 'none' };
}

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
async function edgePlugin(app: FastifyInstance, settings: GatewaySettings & { apiKeys: ApiKeyExchange }) {
  const { limits, redis } = app;
  const { apiKeys } = settings;
  const refuseWithoutDenylist = settings.denylistUnavailable === 'refuse';

  async function verify(request: FastifyRequest, credentials: Credentials): Promise<Identity> {
    switch (credentials.kind) {
      case 'bearer':
        return app.authenticate(request);
      case 'api-key': {
        // From here on the call carries the key's token, as a signed-in call carries its own: the
        // services verify it like any other (and never see the key's secret).
        const token = await apiKeys.tokenFor(credentials.key, request.correlationId);
        request.raw.headers.authorization = `Bearer ${token}`;
        delete request.raw.headers[API_KEY_HEADER];
        return app.authenticate(request);
      }
      case 'none':
        throw new AuthenticationError('Sign in first: send Authorization: Bearer <access token>');
    }
  }

  /** Why the token may no longer be used, or undefined while it may: one MGET (the kit's keys and rule). */
  async function revokedBecause(request: FastifyRequest, identity: Identity): Promise<string | undefined> {
    if (redis.status !== 'ready') return denylistUnavailable(request, new Error(`Redis is ${redis.status}`));
    try {
      return revocationOf(identity, await redis.mget(...revocationKeys(identity)));
    } catch (error) {
      return denylistUnavailable(request, error as Error);
    }
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
    // The console's files (plugins/web.ts) are served from disk and reach no service: a page
    // load fetches a score of them, and an office behind one address loads many pages.
    if (UNLIMITED_PATHS.has(path) || request.routeOptions.config?.unlimited === true) return;
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
      identity && revokedBecause(request, identity),
      identity && (identity.apiKeyId ? limits.byApiKey(request) : limits.byUser(request)),
    ]);
    // A limit refuses before credentials are judged: a flood of bad tokens gets 429s, not 401s.
    const verdicts = [addressVerdict, signInVerdict];
    if (addressVerdict?.exceeded || signInVerdict?.exceeded) return applyVerdicts(reply, verdicts);
    if (!identity) {
      if (!isPublic) throw failure;
    } else if (revoked !== undefined) {
      if (credentials.kind === 'api-key') apiKeys.forget(credentials.key);
      if (!isPublic) throw new AuthenticationError(revoked);
      request.identity = undefined; // a public call: served as anonymous
    } else verdicts.push(userVerdict);
    applyVerdicts(reply, verdicts);
  });
}

export default fp(edgePlugin, { name: 'gateway-edge', fastify: '5.x', dependencies: ['gateway-rate-limits', 'foodxchange-access'] });
