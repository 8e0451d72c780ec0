import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AppError, buildService, Envelope, ok, serviceKit, type ServiceApp } from '@foodxchange/service-kit';
import { afterAll } from 'vitest';
import { bearer, publicByDefault, startTestIssuer, uniqueSuffix, type TestIssuer, type TestTokenOptions } from '@foodxchange/service-kit/testing';
import app, { service } from '../src/app.js';
import { UPSTREAMS, urlVariable } from '../src/upstreams.js';

export const quiet = { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', NODE_ENV: 'test', PORT: 0 };

/**
 * The token issuer every test gateway (and stand-in service) of a test file trusts: a real RSA key
 * and JWKS over HTTP, started on first use and closed with the file.
 */
let issuer: Promise<TestIssuer> | undefined;
export function testIssuer(): Promise<TestIssuer> {
  issuer ??= startTestIssuer();
  return issuer;
}
afterAll(async () => {
  await (await issuer)?.close();
});

/** A valid access token of a (by default new) buyer. */
export async function tokenFor(options: TestTokenOptions = {}): Promise<string> {
  return (await testIssuer()).token(options);
}

/** `init` with a valid buyer's Authorization header added (kept when it already has one). */
export async function signedIn(init: RequestInit = {}, options: TestTokenOptions = {}): Promise<RequestInit> {
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) headers.set('authorization', bearer(await tokenFor(options)).authorization!);
  return { ...init, headers };
}

export function urlOf(server: FastifyInstance): string {
  const address = server.server.address();
  if (!address || typeof address === 'string') throw new Error('not listening');
  return `http://127.0.0.1:${address.port}`;
}

export interface Upstream {
  server: FastifyInstance;
  url: string;
  failing: boolean;
  /** Calls that reached `<prefix>/flaky`. */
  readonly flakyCalls: number;
}

/**
 * A real service process stand-in: the kit's app on a real port with a few routes under the
 * service's public prefix, so the gateway proxies to it over real HTTP.
 */
export async function startUpstream(name: string): Promise<Upstream> {
  const prefix = UPSTREAMS.find((u) => u.name === name)!.prefixes[0]!;
  const state = { failing: false, flakyCalls: 0 };
  const definition = { name, version: '9.9.9', description: `${name} stand-in`, defaultPort: 0 };
  const upstreamApp: ServiceApp = async (fastify, { config }) => {
    await fastify.register(serviceKit, { service: definition, config, mongo: false });
    // Verifies the token the gateway forwarded, as every real service does (zero trust).
    fastify.get(`${prefix}/whoami`, { config: { access: 'authenticated' }, schema: { hide: true } }, async (request) =>
      ok({
        userId: request.identity!.userId,
        authorization: request.headers.authorization ?? null,
        forwardedIdentity: { userId: request.headers['x-user-id'] ?? null, role: request.headers['x-user-role'] ?? null, companyId: request.headers['x-company-id'] ?? null },
      }),
    );
    publicByDefault(fastify);
    fastify.get(
      `${prefix}/echo`,
      { schema: { summary: `Echo from ${name}`, response: { 200: Envelope(Type.Record(Type.String(), Type.Unknown())) } } },
      async (request) =>
        ok({
          service: name,
          requestId: request.headers['x-request-id'] ?? null,
          correlationId: request.headers['x-correlation-id'] ?? null,
          forwardedFor: request.headers['x-forwarded-for'] ?? null,
          // Who the service believes the client is (TRUST_PROXY: the local hops are believed).
          clientIp: request.ip,
          query: request.query,
        }),
    );
    fastify.post(
      `${prefix}/items`,
      {
        schema: {
          body: Type.Object({ name: Type.String({ minLength: 1 }), quantity: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
          response: { 201: Envelope(Type.Object({ name: Type.String(), quantity: Type.Integer() })) },
        },
      },
      async (request, reply) => reply.code(201).send(ok(request.body as { name: string; quantity: number })),
    );
    fastify.get(`${prefix}/flaky`, { schema: { hide: true } }, async () => {
      state.flakyCalls += 1;
      if (state.failing) throw new AppError(500, 'INTERNAL_ERROR', 'boom');
      return ok({ fine: true });
    });
    fastify.get(`${prefix}/slow`, { schema: { hide: true } }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 3000));
      return ok({ late: true });
    });
  };
  const server = await buildService(definition, upstreamApp, { ...quiet, ...(await testIssuer()).env, BODY_LIMIT_BYTES: 4096 });
  await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    server,
    url: urlOf(server),
    get failing() {
      return state.failing;
    },
    set failing(value: boolean) {
      state.failing = value;
    },
    get flakyCalls() {
      return state.flakyCalls;
    },
  };
}

export interface ScriptedUpstream {
  server: Server;
  url: string;
  /** Requests received, by `METHOD path` (without the query). */
  hits: Map<string, number>;
  hitsOf(method: string, path: string): number;
  close(): Promise<void>;
}

/**
 * A plain HTTP server on a real port whose answers a test scripts exactly (drop the connection,
 * answer like a draining replica, stream events, hold a reply): the faults a real service shows
 * only at the wrong moment.
 */
export async function startScripted(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<ScriptedUpstream> {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const key = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    hits.set(key, (hits.get(key) ?? 0) + 1);
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    hitsOf: (method, path) => hits.get(`${method} ${path}`) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The kit's envelope, as a scripted upstream answers it. */
export function envelope(body: { data?: unknown; error?: { code: string; message: string; details?: unknown } }): string {
  const metadata = { timestamp: new Date().toISOString(), requestId: 'scripted', version: 'v1' };
  return JSON.stringify(body.error ? { success: false, ...body, metadata } : { success: true, ...body, metadata });
}

export function answerJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/**
 * A gateway on a real port trusting the test issuer. Its rate-limit counters are its own (a
 * fresh Redis namespace) and its limits out of reach unless `extra` sets them: tests of anything
 * else make many calls from one address and one user.
 */
export async function startGateway(urls: Record<string, string>, extra: Record<string, unknown> = {}): Promise<FastifyInstance> {
  const env: Record<string, unknown> = {
    ...quiet,
    ...(await testIssuer()).env,
    RATE_LIMIT_NAMESPACE: `test:gateway:${uniqueSuffix()}:`,
    RATE_LIMIT_GLOBAL_MAX: 1_000_000,
    RATE_LIMIT_USER_MAX: 1_000_000,
    RATE_LIMIT_AUTH_MAX: 1_000_000,
    RATE_LIMIT_API_KEY_MAX: 1_000_000,
    ...extra,
  };
  for (const upstream of UPSTREAMS) env[urlVariable(upstream)] = urls[upstream.name] ?? 'http://127.0.0.1:1';
  const gateway = await buildService(service, app, env);
  await gateway.listen({ host: '127.0.0.1', port: 0 });
  return gateway;
}

/** Fetches `url` and reads the answer as JSON when it is JSON (HTML or text stays a string). */
export async function fetchBody(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body };
}
