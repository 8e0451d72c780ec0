/**
 * The console's API types come from the gateway's merged OpenAPI document (every service's
 * routes under /api/v1), never written by hand: `pnpm --filter @foodxchange/web api:generate`
 * rewrites src/api/schema.d.ts from a running gateway, and the browser end-to-end test
 * (e2e/test/web-console.test.ts) fails when the committed file and the live document drift.
 */
import openapiTS, { astToString } from 'openapi-typescript';

export const SCHEMA_FILE = new URL('../src/api/schema.d.ts', import.meta.url);

const HEADER = `/**
 * Generated from the gateway's merged OpenAPI document by web/scripts/generate-api.ts.
 * Do not edit: run \`pnpm --filter @foodxchange/web api:generate\` against a running gateway.
 */

`;

/** Only the public API is the console's business: health probes and gateway internals stay out. */
function apiOnly(document: Record<string, unknown>): Record<string, unknown> {
  const paths = document.paths as Record<string, unknown>;
  const kept = Object.fromEntries(Object.entries(paths).filter(([path]) => path.startsWith('/api/v1/')));
  return { ...document, paths: kept };
}

export async function typesFor(document: Record<string, unknown>): Promise<string> {
  const ast = await openapiTS(apiOnly(document) as never, { alphabetize: true });
  return HEADER + astToString(ast);
}

export async function fetchDocument(gatewayUrl: string): Promise<Record<string, unknown>> {
  const res = await fetch(new URL('/openapi.json', gatewayUrl));
  if (!res.ok) throw new Error(`GET ${gatewayUrl}/openapi.json answered ${res.status}`);
  return (await res.json()) as Record<string, unknown>;
}
