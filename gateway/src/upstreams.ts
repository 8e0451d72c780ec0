import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type, type TProperties } from '@sinclair/typebox';
import { PLATFORM_SERVICES } from '@foodxchange/contracts';

/** One service behind the gateway: the public path prefixes it owns (DESIGN.md's area map). */
export interface Upstream {
  name: string;
  defaultPort: number;
  prefixes: readonly string[];
}

/** The platform's services (packages/contracts' catalogue of processes), as the gateway routes them. */
export const UPSTREAMS: readonly Upstream[] = PLATFORM_SERVICES.map(({ name, port, prefixes }) => ({ name, defaultPort: port, prefixes }));

/** One URL, or several separated by commas (spaces around the commas allowed). */
const REPLICA_LIST_PATTERN = '^\\s*https?://[^,\\s]+(\\s*,\\s*https?://[^,\\s]+)*\\s*$';

/** The replicas named by a `<NAME>_SERVICE_URL` value, in order, each once. */
export function replicaUrls(value: string): string[] {
  return [...new Set(value.split(',').map((url) => url.trim().replace(/\/+$/, '')).filter((url) => url !== ''))];
}

export function urlVariable(upstream: Upstream): string {
  return `${upstream.name.toUpperCase()}_SERVICE_URL`;
}

/**
 * The repository's `web/dist` (the console's `vite build`), found from this module's package:
 * the nearest directory above it with a package.json is the gateway's, whether this runs as
 * src/*.ts (tsx, tests) or dist/*.js (the built gateway), at any depth below it.
 */
function defaultWebRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  let dir = here;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return resolve(here, '../../web/dist');
    dir = parent;
  }
  return resolve(dir, '../web/dist');
}

/** Gateway settings, validated with the kit's base configuration at start-up. */
export const gatewayConfig = {
  ...Object.fromEntries(
    UPSTREAMS.map((upstream) => [
      urlVariable(upstream),
      Type.String({
        pattern: REPLICA_LIST_PATTERN,
        default: `http://127.0.0.1:${upstream.defaultPort}`,
        description: `The ${upstream.name} service: one URL (a load-balanced address), or its replicas' URLs separated by commas, which the gateway balances between with a breaker each`,
      }),
    ]),
  ),
  UPSTREAM_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000, description: 'Longest wait for an upstream answer' }),
  BREAKER_ERROR_THRESHOLD_PERCENT: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
  BREAKER_VOLUME_THRESHOLD: Type.Integer({ minimum: 1, default: 5, description: 'Calls in the window before it may open' }),
  BREAKER_RESET_MS: Type.Integer({ minimum: 100, default: 10_000, description: 'Open time before a trial call' }),
  HEALTH_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 2_000 }),
  OPENAPI_CACHE_MS: Type.Integer({ minimum: 0, default: 30_000 }),
  GATEWAY_INSTANCE: Type.String({ minLength: 1, default: `gateway-${process.pid}`, description: 'Shown in x-gateway-instance' }),
  UPLOAD_BODY_LIMIT_BYTES: Type.Integer({
    minimum: 1024,
    default: 20 * 1024 * 1024,
    description: `Largest body of an upload route (${'$'}{UPLOAD_ROUTES.join(', ')}); every other route keeps BODY_LIMIT_BYTES`,
  }),
  REQUEST_TIMEOUT_MS: Type.Integer({
    minimum: 1000,
    default: 30_000,
    description: 'Longest time a client may take to send a whole request (headers and body): slow-send clients are cut off',
  }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 100, default: 60_000, description: 'Window of every rate limit' }),
  RATE_LIMIT_GLOBAL_MAX: Type.Integer({ minimum: 1, default: 1000, description: 'Requests per window per client address' }),
  RATE_LIMIT_USER_MAX: Type.Integer({ minimum: 1, default: 100, description: 'Requests per window per signed-in user (verified sub)' }),
  RATE_LIMIT_API_KEY_MAX: Type.Integer({ minimum: 1, default: 300, description: 'Requests per window per API key (B2B integrations)' }),
  RATE_LIMIT_AUTH_MAX: Type.Integer({
    minimum: 1,
    default: 5,
    description: 'Requests per window per client address to each of POST /api/v1/auth/login and /register (password guessing, account farming)',
  }),
  RATE_LIMIT_REFRESH_MAX: Type.Integer({
    minimum: 1,
    default: 60,
    description:
      'Requests per window per client address to POST /api/v1/auth/refresh. Looser than sign-in: the web console refreshes on every page load, an office shares one address, and a 256-bit refresh token cannot be guessed',
  }),
  RATE_LIMIT_NAMESPACE: Type.String({
    pattern: '^[A-Za-z0-9:._-]+$',
    default: 'gateway:rate-limit:',
    description: 'Prefix of the counters in Redis: every replica with the same prefix shares them',
  }),
  DENYLIST_UNAVAILABLE: Type.Union([Type.Literal('allow'), Type.Literal('refuse')], {
    default: 'allow',
    description:
      'While Redis is down the token denylist cannot be read: allow (tokens stay valid until they expire, at most 15 min; services still verify them) or refuse (503)',
  }),
  WEB_ROOT: Type.String({
    minLength: 1,
    default: defaultWebRoot(),
    description:
      "Directory of the built web console (index.html and assets/), served at /; default: the repository's web/dist. Until it is built, / answers 503",
  }),
  CORS_ORIGINS: Type.String({
    default: '',
    description: 'Browser origins allowed to call the API (comma-separated, e.g. https://app.example.com); empty: no CORS',
  }),
} satisfies TProperties;

/**
 * Routes that take files rather than API bodies (a supplier's catalogue export): their body may
 * be as large as UPLOAD_BODY_LIMIT_BYTES, which the service checks again with its own limit.
 */
export const UPLOAD_ROUTES = ['/api/v1/products/imports'] as const;

export interface GatewaySettings {
  /** Each service's replicas (at least one URL each). */
  upstreamUrls: Record<string, string[]>;
  upstreamTimeoutMs: number;
  breaker: { errorThresholdPercentage: number; volumeThreshold: number; resetTimeout: number };
  healthTimeoutMs: number;
  openApiCacheMs: number;
  instance: string;
  requestTimeoutMs: number;
  rateLimits: { windowMs: number; globalMax: number; userMax: number; authMax: number; refreshMax: number; apiKeyMax: number; namespace: string };
  denylistUnavailable: 'allow' | 'refuse';
  corsOrigins: string[];
  uploadBodyLimitBytes: number;
  /** Absolute directory of the built web console. */
  webRoot: string;
}

export function settingsFrom(config: Record<string, unknown>): GatewaySettings {
  return {
    upstreamUrls: Object.fromEntries(UPSTREAMS.map((u) => [u.name, replicaUrls(String(config[urlVariable(u)]))])),
    upstreamTimeoutMs: Number(config.UPSTREAM_TIMEOUT_MS),
    breaker: {
      errorThresholdPercentage: Number(config.BREAKER_ERROR_THRESHOLD_PERCENT),
      volumeThreshold: Number(config.BREAKER_VOLUME_THRESHOLD),
      resetTimeout: Number(config.BREAKER_RESET_MS),
    },
    healthTimeoutMs: Number(config.HEALTH_TIMEOUT_MS),
    openApiCacheMs: Number(config.OPENAPI_CACHE_MS),
    instance: String(config.GATEWAY_INSTANCE),
    requestTimeoutMs: Number(config.REQUEST_TIMEOUT_MS),
    rateLimits: {
      windowMs: Number(config.RATE_LIMIT_WINDOW_MS),
      globalMax: Number(config.RATE_LIMIT_GLOBAL_MAX),
      userMax: Number(config.RATE_LIMIT_USER_MAX),
      authMax: Number(config.RATE_LIMIT_AUTH_MAX),
      refreshMax: Number(config.RATE_LIMIT_REFRESH_MAX),
      apiKeyMax: Number(config.RATE_LIMIT_API_KEY_MAX),
      namespace: String(config.RATE_LIMIT_NAMESPACE),
    },
    denylistUnavailable: config.DENYLIST_UNAVAILABLE === 'refuse' ? 'refuse' : 'allow',
    uploadBodyLimitBytes: Number(config.UPLOAD_BODY_LIMIT_BYTES),
    webRoot: resolve(String(config.WEB_ROOT)),
    corsOrigins: String(config.CORS_ORIGINS)
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin !== ''),
  };
}
