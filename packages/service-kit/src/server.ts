import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import closeWithGrace from 'close-with-grace';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { loadServiceConfig, trustProxySetting, type ServiceConfig, type ServiceDefinition } from './config.js';
import { answerClientError, answerFrameworkError, installErrorHandling } from './http/errors.js';
import { installErrorResponses } from './http/error-responses.js';
import { installJsonParser } from './http/bad-input.js';
import { installLifecycle } from './http/lifecycle.js';
import { correlationIdOf, genRequestId, installRequestContext, REQUEST_ID_HEADER } from './http/request-context.js';
import { createValidatorCompiler } from './http/validation.js';

/** Fastify's default; a longer path parameter is answered 414 (in the envelope). */
const MAX_PARAM_LENGTH = 100;

export interface AppOptions {
  config: ServiceConfig;
}

export type ServiceApp = FastifyPluginAsync<AppOptions>;

/**
 * The Fastify instance every service (and the gateway) runs on: pino with request and
 * correlation ids, strict validation, the standard envelope on every path (Fastify's and
 * Node's own refusals too), bad input (NUL characters, invalid UTF-8, deep nesting, prototype
 * keys) refused with 400s, 405 with `Allow`, and an envelope 503 while it shuts down. Tests
 * call this and `inject`; `runService` calls it and listens.
 */
export function createFastify(options: {
  service: string;
  version: string;
  logLevel: string;
  bodyLimit: number;
  /** Whose X-Forwarded-For to believe for `request.ip` (see TRUST_PROXY); none by default. */
  trustProxy?: boolean | string;
}) {
  const app = Fastify({
    logger: {
      level: options.logLevel,
      base: { service: options.service, version: options.version },
      // Secrets never reach a log line, whoever logs a request, a body or an object holding them.
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["x-api-key"]',
          'res.headers["set-cookie"]',
          '*.password',
          '*.newPassword',
          '*.currentPassword',
          '*.refreshToken',
          '*.accessToken',
          '*.secret',
          '*.apiKey',
          'body.code',
          'req.body.code',
        ],
        censor: '[redacted]',
      },
    },
    requestIdHeader: REQUEST_ID_HEADER,
    genReqId: genRequestId,
    bodyLimit: options.bodyLimit,
    // The client's address behind nginx and the gateway: rate limits and the audit see the real one.
    trustProxy: options.trustProxy ?? false,
    // The request's logger carries the correlation id from the start: one child per request,
    // made by Fastify anyway, rather than a second one in a hook.
    childLoggerFactory: (logger, bindings, childOptions, rawRequest) =>
      logger.child(
        { ...bindings, correlationId: correlationIdOf(rawRequest.headers, String(bindings.reqId ?? '')) },
        childOptions,
      ),
    // Fastify's own 503 while closing is not an envelope: the kit's onRequest hook answers instead.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: answerFrameworkError(MAX_PARAM_LENGTH),
    clientErrorHandler: answerClientError,
    // Fastify's defaults, stated because the JSON parser relies on them.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  }).withTypeProvider<TypeBoxTypeProvider>();
  const base = app as unknown as FastifyInstance;
  app.setValidatorCompiler(createValidatorCompiler());
  installErrorResponses(base);
  installJsonParser(base);
  installRequestContext(base, installLifecycle(base));
  installErrorHandling(base);
  return app;
}

export async function buildService(
  service: ServiceDefinition<any>,
  appPlugin: ServiceApp,
  overrides: Record<string, unknown> = {},
): Promise<FastifyInstance> {
  const config = loadServiceConfig(service, overrides);
  const app = createFastify({
    service: service.name,
    version: service.version,
    logLevel: config.LOG_LEVEL,
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: trustProxySetting(config.TRUST_PROXY),
  }) as unknown as FastifyInstance;
  // Not encapsulated: the decorations the app makes (mongo, events, health …) are reachable
  // on the instance tests and the entry point hold.
  await app.register(fp(appPlugin, { name: `${service.name}-app` }), { config });
  await app.ready();
  return app;
}

/**
 * Entry point of `src/server.ts`: build, listen, and on SIGINT/SIGTERM drain HTTP, stop the
 * consumer and relay, and close every pool before exiting.
 */
export async function runService(service: ServiceDefinition<any>, appPlugin: ServiceApp): Promise<FastifyInstance> {
  let app: FastifyInstance;
  try {
    app = await buildService(service, appPlugin);
  } catch (error) {
    // One readable line for the operator, then a non-zero exit for the supervisor.
    console.error(`${service.name} failed to start: ${(error as Error).message}`);
    process.exit(1);
  }
  closeWithGrace({ delay: app.config.SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an unexpected error');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
  });
  await app.listen({ host: app.config.HOST, port: app.config.PORT });
  return app;
}
