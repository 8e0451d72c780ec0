/**
 * @foodxchange/infra: starts the platform's backing servers for real on loopback (no Docker)
 * and tells callers where they are. Used by `pnpm infra`, scripts/start.ts and scripts/test.ts.
 */
import { down, resolveEndpoints, status, up, type DownReport, type UpResult } from './launcher.js';
import type { InfraEndpoints, InfraUpOptions, ServerStatus } from './types.js';

export type {
  InfraEndpoints,
  InfraUpOptions,
  PrometheusOptions,
  ScrapeJob,
  ServerName,
  ServerOrigin,
  ServerSelector,
  ServerStatus,
  ServerUpReport,
} from './types.js';
export type { DownReport, UpResult } from './launcher.js';
export { InfraError } from './errors.js';
export { cacheRoot } from './cache.js';
export { resolveEndpoints };

/**
 * Makes sure every selected server answers (starting, or reusing what already runs) and returns
 * the URLs to use. Servers named by MONGO_URL / KAFKA_BROKERS / ELASTICSEARCH_URL / REDIS_URL
 * are only checked. Throws InfraError with one actionable sentence when something is missing.
 */
export async function infraUp(opts?: InfraUpOptions): Promise<InfraEndpoints> {
  return (await up(opts)).endpoints;
}

/** Same as infraUp, with per-server timings and origins (what the CLI prints). */
export function infraUpWithReport(opts?: InfraUpOptions): Promise<UpResult> {
  return up(opts);
}

/** Stops the servers this launcher started (never a reused or external one). */
export function infraDown(opts?: { log?: (line: string) => void }): Promise<DownReport[]> {
  return down(opts);
}

/** State, version, port, origin, pid and log of every server; starts nothing. */
export function infraStatus(): Promise<ServerStatus[]> {
  return status();
}
export { ensureChromium } from './browser.js';
