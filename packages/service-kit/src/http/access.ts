import { createPublicKey, type JsonWebKey } from 'node:crypto';
import fp from 'fastify-plugin';
import fastifyJwt from '@fastify/jwt';
import buildGetJwks from 'get-jwks';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { isAdminRole, isPermission, isRole, type Permission, type Role } from '@foodxchange/contracts';
import { AuthenticationError, AuthorizationError, NotFoundError } from './errors.js';

/**
 * Who may call a route. Every route of every service (and of the gateway) states one in
 * `config.access`; a route without one stops the app at start-up.
 *
 * - `public`: anyone, no token needed
 * - `authenticated`: any valid access token (a user's, or one minted for an API key)
 * - `admin`: a token of an `admin` or `super_admin`
 * - `{ permission }`: a token whose `permissions` claim holds that permission
 */
export type AccessPolicy = 'public' | 'authenticated' | 'admin' | { permission: Permission };

/** The verified caller of a request (from the access token's claims). */
export interface Identity {
  userId: string;
  role: Role;
  /** The company the user acts for; platform admins have none. */
  companyId?: string;
  permissions: ReadonlySet<Permission>;
  /** The token's `jti`: what logout and suspension denylist. */
  tokenId: string;
  /** When the token expires (epoch ms). */
  expiresAt: number;
  /** When it was issued (epoch ms, whole seconds: `iat`); absent when the token carries none. */
  issuedAt?: number;
  /** Set when the token was minted for an API key (B2B integration) rather than a sign-in. */
  apiKeyId?: string;
}

/** Claims of a FoodXchange access token (what auth signs and every service verifies). */
export interface AccessTokenClaims {
  sub: string;
  role: Role;
  companyId?: string;
  permissions: Permission[];
  jti: string;
  iss: string;
  aud: string | string[];
  exp: number;
  iat?: number;
  /** API key id, for tokens minted for an API key. */
  akid?: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: AccessPolicy;
  }
  interface FastifyRequest {
    /** The verified caller; set on every non-public route before validation runs. */
    identity?: Identity;
  }
  interface FastifyInstance {
    /** Verifies the request's bearer token (401 otherwise) and returns the caller. */
    authenticate(request: FastifyRequest): Promise<Identity>;
  }
}

export interface AccessOptions {
  /** The auth service's JWKS (`GET /api/v1/auth/.well-known/jwks.json`). */
  jwksUrl: string;
  issuer: string;
  audience: string;
  /**
   * Public key (PEM) of a `kid`, for the one service that holds the keys itself (auth). Every
   * other service fetches them from `jwksUrl`.
   */
  resolveKey?: (kid: string) => Promise<string | undefined>;
  /** How long fetched keys are trusted before they are fetched again. */
  jwksCacheMs?: number;
  /** An unknown `kid` triggers at most one JWKS fetch per this interval (forged kids can't flood auth). */
  unknownKidCooldownMs?: number;
}

const SECURED: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { apiKey: [] }];

/** OpenAPI `security` of a route with this policy: none for public routes, a token otherwise. */
export function securityOf(policy: AccessPolicy | undefined): Array<Record<string, string[]>> {
  return policy === 'public' ? [] : SECURED;
}

/** Human description of a policy, for the OpenAPI document and error messages. */
export function describePolicy(policy: AccessPolicy): string {
  if (policy === 'public') return 'public';
  if (policy === 'authenticated') return 'any signed-in user or API key';
  if (policy === 'admin') return 'platform admins';
  return `permission ${policy.permission}`;
}

function isPolicy(value: unknown): value is AccessPolicy {
  if (value === 'public' || value === 'authenticated' || value === 'admin') return true;
  return typeof value === 'object' && value !== null && isPermission((value as { permission?: unknown }).permission);
}

/** Throws 403 unless the verified caller satisfies the policy. */
export function authorize(identity: Identity, policy: AccessPolicy): void {
  if (policy === 'public' || policy === 'authenticated') return;
  if (policy === 'admin') {
    if (!isAdminRole(identity.role)) throw new AuthorizationError('This route is for platform admins');
    return;
  }
  if (!identity.permissions.has(policy.permission)) {
    throw new AuthorizationError(`Your role may not do this (needs ${policy.permission})`, { permission: policy.permission });
  }
}

/** The caller of a route that is not public (set by the access hook before the handler runs). */
export function callerOf(request: FastifyRequest): Identity {
  if (!request.identity) throw new AuthenticationError('Sign in first');
  return request.identity;
}

/**
 * Ownership: the caller acts for `companyId` (platform admins act for every company). A caller
 * of another company gets a 404 (`what`), not a 403, so ids of other companies' data are not
 * confirmed to exist.
 */
export function assertSameCompany(identity: Identity, companyId: string | undefined, what = 'Resource'): void {
  if (isAdminRole(identity.role)) return;
  if (!companyId || identity.companyId !== companyId) throw new NotFoundError(what);
}

/** Whether the caller acts for `companyId` (or is a platform admin). */
export function actsFor(identity: Identity, companyId: string | undefined): boolean {
  return isAdminRole(identity.role) || (companyId !== undefined && identity.companyId === companyId);
}

/**
 * Ownership for suppliers: the caller's company is one of those matched to a resource (an RFQ's
 * matches). Admins pass; anyone else gets the 404 of `what`.
 */
export function assertMatchedSupplier(identity: Identity, matchedCompanyIds: Iterable<string>, what = 'Resource'): void {
  if (isAdminRole(identity.role)) return;
  const companyId = identity.companyId;
  if (companyId) for (const matched of matchedCompanyIds) if (matched === companyId) return;
  throw new NotFoundError(what);
}

/** The identity carried by verified claims; throws 401 when they are not a FoodXchange access token's. */
export function identityFromClaims(claims: Partial<AccessTokenClaims>): Identity {
  const { sub, role, companyId, permissions, jti, exp, iat, akid } = claims;
  if (typeof sub !== 'string' || sub.length === 0 || !isRole(role) || typeof jti !== 'string' || typeof exp !== 'number') {
    throw new AuthenticationError('The access token is not a FoodXchange access token');
  }
  if (!Array.isArray(permissions)) throw new AuthenticationError('The access token carries no permissions');
  return {
    userId: sub,
    role,
    ...(typeof companyId === 'string' ? { companyId } : {}),
    permissions: new Set(permissions.filter(isPermission)),
    tokenId: jti,
    expiresAt: exp * 1000,
    ...(typeof iat === 'number' ? { issuedAt: iat * 1000 } : {}),
    ...(typeof akid === 'string' ? { apiKeyId: akid } : {}),
  };
}

const TOKEN_ERROR_MESSAGES: Record<string, string> = {
  FST_JWT_NO_AUTHORIZATION_IN_HEADER: 'Sign in first: send Authorization: Bearer <access token>',
  FST_JWT_AUTHORIZATION_TOKEN_EXPIRED: 'The access token has expired: refresh it',
  FST_JWT_BAD_REQUEST: 'The Authorization header must be "Bearer <access token>"',
  FAST_JWT_MISSING_SIGNATURE: 'The access token is not signed',
};

/** A verification failure as the 401 envelope (never a 500, never the library's wording alone). */
function asAuthenticationError(error: unknown): AuthenticationError {
  if (error instanceof AuthenticationError) return error;
  const code = (error as { code?: string }).code ?? '';
  return new AuthenticationError(TOKEN_ERROR_MESSAGES[code] ?? 'The access token is invalid', code ? { reason: code } : undefined);
}

/**
 * Fetches public keys from the JWKS and caches them by `kid`; an unknown `kid` refetches (key
 * rotation), at most once per cooldown so a flood of forged kids costs auth one request.
 */
export function jwksKeyResolver(jwksUrl: string, { cacheMs = 10 * 60_000, unknownKidCooldownMs = 5_000 } = {}) {
  const url = new URL(jwksUrl);
  const domain = `${url.protocol}//${url.host}/`;
  const jwks = buildGetJwks({ jwksPath: url.pathname + url.search, ttl: cacheMs, max: 50 });
  const missingUntil = new Map<string, number>();
  // get-jwks caches the JWK but converts it to PEM on every call (big-number arithmetic, the
  // largest cost of a verified request): the PEM is kept with the cached JWK object it came
  // from, so it is made again only when the JWKS is fetched again.
  const pemOfJwk = new WeakMap<object, string>();
  return async (kid: string): Promise<string | undefined> => {
    const now = Date.now();
    if ((missingUntil.get(kid) ?? 0) > now) return undefined;
    try {
      const jwk = (await jwks.getJwk({ domain, kid, alg: 'RS256' })) as unknown as JsonWebKey & object;
      let pem = pemOfJwk.get(jwk);
      if (pem === undefined) {
        pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
        pemOfJwk.set(jwk, pem);
      }
      return pem;
    } catch {
      if (missingUntil.size > 1000) missingUntil.clear();
      missingUntil.set(kid, now + unknownKidCooldownMs);
      return undefined;
    }
  };
}

/**
 * The access plugin: checks at start-up that every route declared a policy, publishes each
 * policy as the route's OpenAPI `security`, and enforces it in `onRequest`, i.e. before the body
 * is parsed or validated (an anonymous caller gets a 401, never a 400 about its body).
 */
async function accessPlugin(app: FastifyInstance, opts: AccessOptions) {
  const resolveKey = opts.resolveKey ?? jwksKeyResolver(opts.jwksUrl, { cacheMs: opts.jwksCacheMs, unknownKidCooldownMs: opts.unknownKidCooldownMs });

  await app.register(fastifyJwt, {
    decode: { complete: true },
    secret: async (_request: FastifyRequest, token: unknown) => {
      const header = (token as { header?: { kid?: unknown; alg?: unknown } }).header ?? {};
      if (header.alg !== 'RS256') throw new AuthenticationError('The access token must be signed with RS256');
      if (typeof header.kid !== 'string' || header.kid.length === 0 || header.kid.length > 200) {
        throw new AuthenticationError('The access token names no signing key (kid)');
      }
      const key = await resolveKey(header.kid);
      if (!key) throw new AuthenticationError('The access token was signed with an unknown key');
      return key;
    },
    verify: {
      algorithms: ['RS256'],
      allowedIss: opts.issuer,
      allowedAud: opts.audience,
      requiredClaims: ['sub', 'jti', 'exp', 'iss', 'aud'],
      cache: 10_000,
    },
  } as never);

  // Verified tokens, by their Authorization header: a client sends the same token for up to 15
  // minutes, and a hit skips decoding and the library's verification pipeline (about a third of
  // what a signed-in call costs the gateway). Only successful verifications are kept, each until
  // its token's own `exp`; the oldest goes first past the bound.
  const verified = new Map<string, { identity: Identity; claims: Partial<AccessTokenClaims> }>();
  const MAX_VERIFIED = 10_000;

  async function authenticate(request: FastifyRequest): Promise<Identity> {
    if (request.identity) return request.identity;
    const header = request.headers.authorization;
    const hit = typeof header === 'string' ? verified.get(header) : undefined;
    if (hit) {
      if (hit.identity.expiresAt > Date.now()) {
        request.user = hit.claims as never;
        request.identity = hit.identity;
        return hit.identity;
      }
      verified.delete(header!);
    }
    let claims: Partial<AccessTokenClaims>;
    try {
      claims = await request.jwtVerify<Partial<AccessTokenClaims>>();
    } catch (error) {
      throw asAuthenticationError(error);
    }
    const identity = Object.freeze(identityFromClaims(claims));
    if (typeof header === 'string') {
      if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!);
      verified.set(header, { identity, claims });
    }
    request.identity = identity;
    return identity;
  }
  app.decorate('authenticate', authenticate);

  // Checked once every plugin had its say: a plugin's own onRoute hook may set the policy of the
  // routes it registers (the gateway's docs), after this hook has seen them.
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    routes.push(route);
  });
  app.addHook('onReady', async () => {
    const missing = routes
      .filter((route) => !isPolicy(route.config?.access))
      .map((route) => `${[route.method].flat().join(',')} ${route.url}`);
    routes.length = 0;
    if (missing.length > 0) {
      throw new Error(`Every route must declare config.access (public | authenticated | admin | { permission }); missing on: ${missing.join('; ')}`);
    }
  });

  app.addHook('onRequest', async (request) => {
    const policy = request.routeOptions.config?.access;
    // No route (404/405 handlers) or a public one: nothing to check.
    if (policy === undefined || policy === 'public') return;
    authorize(await authenticate(request), policy);
  });
}

export default fp(accessPlugin, { name: 'foodxchange-access', fastify: '5.x' });
