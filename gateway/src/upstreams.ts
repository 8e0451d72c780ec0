import { Type, type TProperties } from '@sinclair/typebox';

/** One service behind the gateway: the public path prefixes it owns (DESIGN.md's area map). */
export interface Upstream {
  name: string;
  defaultPort: number;
  prefixes: string[];
}

export const UPSTREAMS: Upstream[] = [
  { name: 'auth', defaultPort: 3001, prefixes: ['/api/v1/auth'] },
  { name: 'user', defaultPort: 3002, prefixes: ['/api/v1/users', '/api/v1/companies'] },
  { name: 'catalog', defaultPort: 3003, prefixes: ['/api/v1/products', '/api/v1/categories', '/api/v1/suppliers'] },
  { name: 'rfq', defaultPort: 3004, prefixes: ['/api/v1/rfqs'] },
  { name: 'compliance', defaultPort: 3005, prefixes: ['/api/v1/compliance'] },
  { name: 'order', defaultPort: 3006, prefixes: ['/api/v1/orders'] },
  { name: 'notification', defaultPort: 3007, prefixes: ['/api/v1/notifications'] },
  { name: 'admin', defaultPort: 3008, prefixes: ['/api/v1/admin'] },
];

export function urlVariable(upstream: Upstream): string {
  return `${upstream.name.toUpperCase()}_SERVICE_URL`;
}

/** Gateway settings, validated with the kit's base configuration at start-up. */
export const gatewayConfig = {
  ...Object.fromEntries(
    UPSTREAMS.map((upstream) => [
      urlVariable(upstream),
      Type.String({ pattern: '^https?://', default: `http://127.0.0.1:${upstream.defaultPort}` }),
    ]),
  ),
  UPSTREAM_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000, description: 'Longest wait for an upstream answer' }),
  BREAKER_ERROR_THRESHOLD_PERCENT: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
  BREAKER_VOLUME_THRESHOLD: Type.Integer({ minimum: 1, default: 5, description: 'Calls in the window before it may open' }),
  BREAKER_RESET_MS: Type.Integer({ minimum: 100, default: 10_000, description: 'Open time before a trial call' }),
  HEALTH_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 2_000 }),
  OPENAPI_CACHE_MS: Type.Integer({ minimum: 0, default: 30_000 }),
  GATEWAY_INSTANCE: Type.String({ minLength: 1, default: `gateway-${process.pid}`, description: 'Shown in x-gateway-instance' }),
} satisfies TProperties;

export interface GatewaySettings {
  upstreamUrls: Record<string, string>;
  upstreamTimeoutMs: number;
  breaker: { errorThresholdPercentage: number; volumeThreshold: number; resetTimeout: number };
  healthTimeoutMs: number;
  openApiCacheMs: number;
  instance: string;
}

export function settingsFrom(config: Record<string, unknown>): GatewaySettings {
  return {
    upstreamUrls: Object.fromEntries(UPSTREAMS.map((u) => [u.name, String(config[urlVariable(u)])])),
    upstreamTimeoutMs: Number(config.UPSTREAM_TIMEOUT_MS),
    breaker: {
      errorThresholdPercentage: Number(config.BREAKER_ERROR_THRESHOLD_PERCENT),
      volumeThreshold: Number(config.BREAKER_VOLUME_THRESHOLD),
      resetTimeout: Number(config.BREAKER_RESET_MS),
    },
    healthTimeoutMs: Number(config.HEALTH_TIMEOUT_MS),
    openApiCacheMs: Number(config.OPENAPI_CACHE_MS),
    instance: String(config.GATEWAY_INSTANCE),
  };
}
