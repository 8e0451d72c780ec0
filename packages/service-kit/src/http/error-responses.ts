import type { FastifyInstance, RouteOptions } from 'fastify';
import { ErrorEnvelopeSchema } from './envelope.js';

type ResponseSchemas = Record<string, unknown>;

const envelope = (description: string) => ({ ...ErrorEnvelopeSchema, description });

/** Error statuses the kit itself can answer on any route, whatever the route does. */
const EVERY_ROUTE: ReadonlyArray<[string, string]> = [
  ['400', 'Invalid request: `error.fields` names each offending field (schema, NUL character, malformed JSON)'],
  ['404', 'Not found'],
  ['405', 'Method not allowed on this path: the `Allow` header lists the methods it has'],
  ['414', 'A path parameter is too long'],
  ['500', 'Unexpected server error'],
  ['503', 'Unavailable: a dependency is down, or this instance is shutting down (`error.details.reason: "shutting-down"`)'],
];

/** ... and those of a route that takes a body. */
const BODY_ROUTE: ReadonlyArray<[string, string]> = [
  ['413', 'Request body too large'],
  ['415', 'Unsupported Content-Type: send application/json'],
];

/** ... and those of a route that needs a token. */
const PROTECTED_ROUTE: ReadonlyArray<[string, string]> = [
  ['401', 'No valid access token: missing, expired, revoked or not signed by FoodXchange auth'],
  ['403', 'The token is valid but its role or permissions do not allow this'],
];

const BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The error responses the OpenAPI document declares for a route: every status the kit can
 * answer with, in the standard envelope, unless the route declared its own for that status.
 * Added to the document only (not to the route's runtime schemas, where each status would cost
 * one more compiled serializer at start-up; the `4XX`/`5XX` ones below serialize them all).
 */
export function withDocumentedErrors(method: string | string[], response: ResponseSchemas | undefined, access?: unknown): ResponseSchemas {
  const documented: ResponseSchemas = { ...(response ?? {}) };
  const takesBody = [method].flat().some((name) => !BODYLESS.has(name.toUpperCase()));
  const statuses = [...EVERY_ROUTE, ...(takesBody ? BODY_ROUTE : []), ...(access !== undefined && access !== 'public' ? PROTECTED_ROUTE : [])];
  for (const [status, description] of statuses.sort(([a], [b]) => a.localeCompare(b))) {
    documented[status] ??= envelope(description);
  }
  return documented;
}

/**
 * Every route of every service and of the gateway answers its errors with the envelope schema:
 * it serializes them (nothing undeclared leaves) and documents them. Installed by
 * `createFastify`, before any plugin, so the kit's own routes (health) have it too.
 */
export function installErrorResponses(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = (route.schema ??= {}) as { response?: ResponseSchemas };
    schema.response ??= {};
    schema.response['4XX'] ??= envelope('Client error in the standard envelope');
    schema.response['5XX'] ??= envelope('Server error in the standard envelope');
  });
}
