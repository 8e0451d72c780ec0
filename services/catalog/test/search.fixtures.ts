import type { FastifyInstance } from 'fastify';

/** Shared helpers of the search tests (not a test file itself). */

/** Deletes every concrete index behind (or named after) a test alias. */
export async function dropTestIndexes(server: FastifyInstance, alias: string): Promise<void> {
  // Wildcard deletes are refused (action.destructive_requires_name): resolve the names first.
  const found = await server.elastic.indices.get({ index: `${alias}-*`, allow_no_indices: true, ignore_unavailable: true }).catch(() => ({}));
  const names = Object.keys(found);
  if (names.length > 0) await server.elastic.indices.delete({ index: names, ignore_unavailable: true }).catch(() => undefined);
}

/** GET /api/v1/products with a query (arrays become repeated parameters). */
export function searchUrl(query: Record<string, string | number | boolean | Array<string | number>>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
  }
  return `/api/v1/products?${params.toString()}`;
}
