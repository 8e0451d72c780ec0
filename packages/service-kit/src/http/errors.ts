import { randomUUID } from 'node:crypto';
import { isDuplicateKeyError } from '../persistence/duplicate-key.js';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { ErrorCode, errorEnvelope, type ErrorBody } from './envelope.js';
import { REQUEST_ID_HEADER } from './headers.js';

/** An error the client can act on. Domain code throws these; the kit turns them into envelopes. */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly fields?: Record<string, string[]>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, fields?: Record<string, string[]>, details?: unknown) {
    super(400, ErrorCode.VALIDATION_ERROR, message, details, fields);
  }
}
export class AuthenticationError extends AppError {
  constructor(message = 'Authentication required', details?: unknown) {
    super(401, ErrorCode.AUTHENTICATION_ERROR, message, details);
  }
}
export class AuthorizationError extends AppError {
  constructor(message = 'You are not allowed to do this', details?: unknown) {
    super(403, ErrorCode.AUTHORIZATION_ERROR, message, details);
  }
}
export class NotFoundError extends AppError {
  constructor(what: string) {
    super(404, ErrorCode.NOT_FOUND, `${what} not found`);
  }
}
export class ConflictError extends AppError {
  constructor(message: string, details?: unknown) {
    super(409, ErrorCode.CONFLICT, message, details);
  }
}
export class RateLimitError extends AppError {
  /** Seconds until the caller may try again: sent as `Retry-After`. */
  readonly retryAfterSeconds?: number;
  constructor(message = 'Too many requests', retryAfterSeconds?: number, details?: unknown) {
    super(429, ErrorCode.RATE_LIMITED, message, details ?? (retryAfterSeconds === undefined ? undefined : { retryAfterSeconds }));
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = retryAfterSeconds;
  }
}
export class ServiceUnavailableError extends AppError {
  constructor(message: string, details?: unknown) {
    super(503, ErrorCode.SERVICE_UNAVAILABLE, message, details);
  }
}

const CODE_BY_STATUS: Record<number, string> = {
  400: ErrorCode.VALIDATION_ERROR,
  401: ErrorCode.AUTHENTICATION_ERROR,
  403: ErrorCode.AUTHORIZATION_ERROR,
  404: ErrorCode.NOT_FOUND,
  405: ErrorCode.METHOD_NOT_ALLOWED,
  409: ErrorCode.CONFLICT,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  429: ErrorCode.RATE_LIMITED,
  503: ErrorCode.SERVICE_UNAVAILABLE,
};

export function codeForStatus(status: number): string {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? ErrorCode.INTERNAL_ERROR : ErrorCode.VALIDATION_ERROR);
}

interface AjvLikeError {
  instancePath?: string;
  schemaPath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

/**
 * An `anyOf` that failed is reported by ajv as each branch's errors plus an umbrella "must match
 * a schema in anyOf" that adds nothing: the umbrella is dropped. Where every branch only asked for
 * a field (`anyOf` of `required`: "give market or deliveryCountry"), each missing field says what
 * else would do.
 */
function explainAnyOf(errors: readonly AjvLikeError[]): (AjvLikeError & { note?: string })[] {
  const umbrellas = errors.filter((error) => error.keyword === 'anyOf' && typeof error.schemaPath === 'string');
  if (umbrellas.length === 0) return [...errors];
  const dropped = new Set<AjvLikeError>();
  const notes = new Map<AjvLikeError, string>();
  for (const umbrella of umbrellas) {
    const branches = errors.filter((error) => error !== umbrella && error.schemaPath?.startsWith(`${umbrella.schemaPath}/`));
    if (branches.length === 0) continue;
    dropped.add(umbrella);
    const missing = branches.map((error) => (error.keyword === 'required' ? error.params?.missingProperty : undefined));
    if (missing.some((name) => typeof name !== 'string')) continue;
    branches.forEach((branch, index) => {
      const others = missing.filter((_, other) => other !== index);
      if (others.length > 0) notes.set(branch, `is required unless ${others.join(' or ')} is given`);
    });
  }
  return errors.filter((error) => !dropped.has(error)).map((error) => ({ ...error, note: notes.get(error) }));
}

/** At most this many paths are named in one answer, so an answer stays small whatever was sent. */
export const MAX_FIELD_ERRORS = 50;

/**
 * Turns schema violations into `fields`: one entry per offending path, e.g.
 * `body.items.0.quantity: ["must be >= 1"]`, `body.colour: ["is not allowed"]`; the first
 * MAX_FIELD_ERRORS paths only.
 */
export function fieldErrors(part: string, errors: readonly AjvLikeError[]): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  let paths = 0;
  for (const error of explainAnyOf(errors)) {
    const segments = (error.instancePath ?? '')
      .split('/')
      .filter(Boolean)
      .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
    let message = error.message ?? 'is invalid';
    if (error.keyword === 'required' && typeof error.params?.missingProperty === 'string') {
      segments.push(error.params.missingProperty);
      message = error.note ?? 'is required';
    } else if (error.keyword === 'additionalProperties' && typeof error.params?.additionalProperty === 'string') {
      segments.push(error.params.additionalProperty);
      message = 'is not allowed';
    }
    const path = [part, ...segments].join('.');
    if (fields[path] === undefined) {
      if (paths === MAX_FIELD_ERRORS) break;
      paths += 1;
      fields[path] = [];
    }
    fields[path]!.includes(message) || fields[path]!.push(message);
  }
  return fields;
}


/** Maps anything thrown in a request to the status and error body the client sees. */
export function describeError(error: unknown): { status: number; body: ErrorBody; expected: boolean } {
  if (error instanceof AppError) {
    const body: ErrorBody = { code: error.code, message: error.message };
    if (error.details !== undefined) body.details = error.details;
    if (error.fields !== undefined) body.fields = error.fields;
    return { status: error.statusCode, body, expected: error.statusCode < 500 };
  }
  const fastifyError = error as FastifyError & { validationContext?: string };
  if (fastifyError && Array.isArray(fastifyError.validation)) {
    const part = fastifyError.validationContext ?? 'body';
    return {
      status: 400,
      body: {
        code: ErrorCode.VALIDATION_ERROR,
        message: `Request ${part} is invalid`,
        fields: fieldErrors(part, fastifyError.validation as AjvLikeError[]),
      },
      expected: true,
    };
  }
  if (isDuplicateKeyError(error)) {
    // Unique indexes are how the platform enforces exactly-once; a duplicate that reaches here
    // is still the client's conflict, not a server fault.
    return { status: 409, body: { code: ErrorCode.CONFLICT, message: 'Resource already exists' }, expected: true };
  }
  const status = typeof fastifyError?.statusCode === 'number' ? fastifyError.statusCode : 500;
  if (status >= 400 && status < 500) {
    const message =
      fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'Unsupported Content-Type: send application/json'
        : fastifyError.message || 'Bad request';
    return { status, body: { code: codeForStatus(status), message }, expected: true };
  }
  if (status === 503) {
    return {
      status,
      body: { code: ErrorCode.SERVICE_UNAVAILABLE, message: fastifyError.message || 'Service unavailable' },
      expected: false,
    };
  }
  return {
    status: 500,
    body: { code: ErrorCode.INTERNAL_ERROR, message: 'An unexpected error occurred' },
    expected: false,
  };
}

/**
 * Every error and every unknown route leaves in the standard envelope; a known path asked with a
 * method it does not have is a 405 naming the methods it has.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body, expected } = describeError(error);
    if (expected) request.log.info({ err: error, statusCode: status }, body.message);
    else request.log.error({ err: error }, 'request failed');
    const retryAfter = (error as { retryAfterSeconds?: number })?.retryAfterSeconds;
    if (retryAfter) void reply.header('retry-after', String(retryAfter));
    return reply.code(status).type('application/json').send(errorEnvelope(request.id, body, request.startedAt));
  });

  // Every method some route has; a path's methods are found by asking the router for each.
  const methods = new Set<string>();
  app.addHook('onRoute', (route: RouteOptions) => {
    for (const method of [route.method].flat()) methods.add(method.toUpperCase());
  });
  const allowedMethods = (url: string): string[] => {
    const allowed: string[] = [];
    for (const method of methods) if (app.findRoute({ method: method as 'GET', url }) !== null) allowed.push(method);
    return allowed;
  };

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const allowed = allowedMethods(request.url);
    if (allowed.length > 0) {
      // OPTIONS is answered here for every known path: it asks what the path allows.
      if (!allowed.includes('OPTIONS')) allowed.push('OPTIONS');
      void reply.header('allow', allowed.join(', '));
      if (request.method === 'OPTIONS') return reply.code(204).send();
      return reply
        .code(405)
        .type('application/json')
        .send(
          errorEnvelope(
            request.id,
            {
              code: ErrorCode.METHOD_NOT_ALLOWED,
              message: `${request.method} is not allowed on ${path}; use ${allowed.join(', ')}`,
              details: { allowed },
            },
            request.startedAt,
          ),
        );
    }
    return reply
      .code(404)
      .type('application/json')
      .send(errorEnvelope(request.id, { code: ErrorCode.NOT_FOUND, message: `Route ${request.method} ${path} not found` }, request.startedAt));
  });
}

/**
 * Fastify's `frameworkErrors`: errors it finds before any route runs (a path parameter over
 * `maxParamLength`, a URL that is not validly percent-encoded), in the envelope like the rest.
 */
export function answerFrameworkError(maxParamLength: number) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    let status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 400;
    let message = error.message;
    if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
      status = 414;
      message = `A path parameter is longer than ${maxParamLength} characters`;
    } else if (error.code === 'FST_ERR_BAD_URL') {
      status = 400;
      message = 'The URL is not validly percent-encoded';
    }
    request.log.info({ err: error, statusCode: status }, message);
    void reply
      .header(REQUEST_ID_HEADER, request.id)
      .code(status)
      .type('application/json')
      .send(errorEnvelope(request.id, { code: status >= 500 ? ErrorCode.INTERNAL_ERROR : ErrorCode.VALIDATION_ERROR, message }));
  };
}

/**
 * Node's `clientError`: a request the HTTP parser refuses (a NUL or other control character in a
 * header, a malformed request line, headers too large, too slow to arrive) never reaches Fastify.
 * It is still answered in the envelope, then the connection is closed: its framing is unknown.
 */
export function answerClientError(this: FastifyInstance, error: Error & { code?: string; reason?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  let status = 400;
  let message = 'The request is not valid HTTP';
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    message = 'The request did not arrive in time';
  } else if (error.code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    message = 'The request headers are too large';
  }
  const requestId = randomUUID();
  const body: ErrorBody = { code: ErrorCode.VALIDATION_ERROR, message };
  if (error.code || error.reason) body.details = { parser: error.code, reason: error.reason };
  this.log.debug({ err: error, requestId }, 'client error');
  if (socket.writable) {
    const payload = JSON.stringify(errorEnvelope(requestId, body));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n` +
        `${REQUEST_ID_HEADER}: ${requestId}\r\nConnection: close\r\n\r\n${payload}`,
    );
  }
  socket.destroy();
}
