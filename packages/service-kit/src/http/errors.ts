import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, errorEnvelope, type ErrorBody } from './envelope.js';

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
  constructor(message = 'Authentication required') {
    super(401, ErrorCode.AUTHENTICATION_ERROR, message);
  }
}
export class AuthorizationError extends AppError {
  constructor(message = 'You are not allowed to do this') {
    super(403, ErrorCode.AUTHORIZATION_ERROR, message);
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
  constructor(message = 'Too many requests') {
    super(429, ErrorCode.RATE_LIMITED, message);
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
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

/**
 * Turns schema violations into `fields`: one entry per offending path, e.g.
 * `body.items.0.quantity: ["must be >= 1"]`, `body.colour: ["is not allowed"]`.
 */
export function fieldErrors(part: string, errors: readonly AjvLikeError[]): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  for (const error of errors) {
    const segments = (error.instancePath ?? '')
      .split('/')
      .filter(Boolean)
      .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
    let message = error.message ?? 'is invalid';
    if (error.keyword === 'required' && typeof error.params?.missingProperty === 'string') {
      segments.push(error.params.missingProperty);
      message = 'is required';
    } else if (error.keyword === 'additionalProperties' && typeof error.params?.additionalProperty === 'string') {
      segments.push(error.params.additionalProperty);
      message = 'is not allowed';
    }
    const path = [part, ...segments].join('.');
    (fields[path] ??= []).includes(message) || fields[path]!.push(message);
  }
  return fields;
}

function isMongoDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
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
  if (isMongoDuplicateKey(error)) {
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

/** Every error and every unknown route leaves in the standard envelope. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body, expected } = describeError(error);
    if (expected) request.log.info({ err: error, statusCode: status }, body.message);
    else request.log.error({ err: error }, 'request failed');
    const retryAfter = (error as { retryAfterSeconds?: number })?.retryAfterSeconds;
    if (retryAfter) void reply.header('retry-after', String(retryAfter));
    return reply.code(status).type('application/json').send(errorEnvelope(request.id, body, request.startedAt));
  });

  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type('application/json')
      .send(
        errorEnvelope(
          request.id,
          { code: ErrorCode.NOT_FOUND, message: `Route ${request.method} ${request.url.split('?')[0]} not found` },
          request.startedAt,
        ),
      ),
  );
}
