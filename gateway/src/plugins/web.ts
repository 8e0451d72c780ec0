import { stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import fp from 'fastify-plugin';
import fastifyStatic from '@fastify/static';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, errorEnvelope, ServiceUnavailableError } from '@foodxchange/service-kit';
import { pathOf } from '../edge-policy.js';
import type { GatewaySettings } from '../upstreams.js';

/**
 * The console's pages: a React app of its own files (no inline script). Its scripts and styles
 * come from this origin; chart libraries set inline styles; the API it calls is this origin too.
 * Replaces the API's allow-nothing policy on the console's answers only (as /docs does).
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

/** Vite names every file under assets/ after its content: a changed file is a new URL. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html names the current assets, and unhashed files may change: revalidated every time (ETag). */
const REVALIDATE = 'no-cache';

const BUILD_COMMAND = 'pnpm --filter @foodxchange/web build';

/** A client route longer than this is no route of the console: left to the 404. */
const MAX_CLIENT_PATH = 2048;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Not counted against the per-address limit at the edge (plugins/edge.ts). */
    unlimited?: boolean;
  }
}

export interface WebOptions {
  webRoot: GatewaySettings['webRoot'];
  /**
   * First path segments of the gateway's other routes (`api`, `health`, `docs` …): a path under
   * one of them that no route matches keeps its 404, it is never a page of the console.
   */
  reservedSegments: ReadonlySet<string>;
}

/**
 * The first path segments of every route registered from now on, filled as they are added: call
 * it before anything registers routes (the kit's /health, /metrics …), then hand the set to the
 * plugin. `api` is always in it: an unknown area is no route, yet it is the API's 404.
 */
export function routeSegments(app: FastifyInstance): Set<string> {
  const segments = new Set(['api', 'assets']);
  app.addHook('onRoute', (route) => {
    const first = route.url.split('/')[1];
    if (first) segments.add(first);
  });
  return segments;
}

/**
 * The file under `root` that a decoded URL path names, or undefined when it names none safely:
 * a NUL or control character, an empty, dot or dot-dot segment (no hidden files, no way out of
 * the root), or a backslash (a separator on Windows).
 */
function fileUnder(root: string, path: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(path)) return undefined;
  const segments = path.split('/');
  if (segments.some((segment) => segment === '' || segment.startsWith('.'))) return undefined;
  const file = resolve(root, ...segments);
  return file.startsWith(root + sep) ? file : undefined;
}

async function isFile(file: string | undefined): Promise<boolean> {
  if (file === undefined) return false;
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * The web console (web/, built by Vite into WEB_ROOT) at /, on the API's origin: index.html, the
 * hashed files under /assets/ (cached for a year), the build's other files, and index.html again
 * for any other GET of a path that is not the gateway's (the console's client-side routes, e.g.
 * /rfqs/123), so a reload or a shared link opens the page. The directory is read on every request:
 * a rebuild is served without a restart, and until the console is built / answers 503 while the
 * API carries on. The files are public and not counted against the per-address limit: a page load
 * fetches a score of them, none reaches a service.
 */
async function webPlugin(app: FastifyInstance, options: WebOptions) {
  const root = resolve(options.webRoot);
  const index = resolve(root, 'index.html');
  // sendFile only: the routes below decide which file answers, and what a missing one answers.
  // Precompressed siblings (.br, .gz) are sent to clients that accept them when the build has them.
  await app.register(fastifyStatic, { root, serve: false, preCompressed: true, cacheControl: false, dotfiles: 'deny', index: false });

  if (!(await isFile(index))) {
    app.log.warn({ webRoot: root }, `web console not built (no index.html in WEB_ROOT): / answers 503 until \`${BUILD_COMMAND}\` has run`);
  }

  const send = (reply: FastifyReply, file: string, cacheControl: string) =>
    reply.header('cache-control', cacheControl).header('content-security-policy', CONSOLE_CSP).sendFile(file.slice(root.length + 1), root);

  async function page(request: FastifyRequest, reply: FastifyReply) {
    if (!(await isFile(index))) {
      request.log.warn({ webRoot: root }, 'web console not built');
      throw new ServiceUnavailableError(`The web console is not built: run \`${BUILD_COMMAND}\` (the API under /api/v1 is unaffected)`, {
        build: BUILD_COMMAND,
      });
    }
    return send(reply, index, REVALIDATE);
  }

  const config = { access: 'public', unlimited: true } as const;
  app.get('/', { schema: { hide: true }, config, logLevel: 'warn' }, page);
  app.get(
    '/assets/*',
    {
      schema: { hide: true, params: Type.Object({ '*': Type.String({ maxLength: 255 }) }) },
      config,
      logLevel: 'warn',
    },
    async (request, reply) => {
      const name = (request.params as { '*': string })['*'];
      const file = fileUnder(resolve(root, 'assets'), name);
      if (!(await isFile(file))) {
        // Not index.html: a script URL answered with a page would fail with a confusing MIME error.
        return reply
          .code(404)
          .type('application/json')
          .send(errorEnvelope(request.id, { code: ErrorCode.NOT_FOUND, message: `No console asset /assets/${name}` }, request.startedAt));
      }
      return send(reply, file!, IMMUTABLE);
    },
  );

  // Every other GET no route matched: a file of the build, or a client route of the console. Runs
  // in the 404 handler's lifecycle (no route, so no route of ours could answer it), after the
  // security headers and before the edge's limits (app.ts registers this plugin between them).
  // Other methods, and paths of the gateway's own (an unknown /api/..., /health/x), go on to the
  // kit's 404/405 envelope as before.
  app.addHook('onRequest', async (request, reply) => {
    if (!request.is404 || (request.method !== 'GET' && request.method !== 'HEAD')) return;
    const raw = pathOf(request.url);
    if (raw.length > MAX_CLIENT_PATH) return;
    let path: string;
    try {
      path = decodeURIComponent(raw);
    } catch {
      return; // not validly percent-encoded: the kit's 404
    }
    const first = path.split('/')[1] ?? '';
    if (options.reservedSegments.has(first)) return;
    // `/rfqs/` is the page `/rfqs`; `//x`, `/a/../b`, `/.env`, a NUL name no file and no page.
    const file = fileUnder(root, path.slice(1).replace(/\/$/, ''));
    if (file === undefined) return;
    if (file !== index && (await isFile(file))) return send(reply, file, REVALIDATE);
    return page(request, reply);
  });
}

export default fp(webPlugin, { name: 'gateway-web', fastify: '5.x', dependencies: ['foodxchange-access'] });
