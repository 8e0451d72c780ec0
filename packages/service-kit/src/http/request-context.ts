import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { metadataFor } from './envelope.js';
import { ValidationError } from './errors.js';
import { requestNulFields } from './bad-input.js';
import { answerShuttingDown, type Lifecycle } from './lifecycle.js';
import { CORRELATION_ID_HEADER, REQUEST_ID_HEADER } from './headers.js';

export { CORRELATION_ID_HEADER, IDEMPOTENCY_KEY_HEADER, REQUEST_ID_HEADER } from './headers.js';

const SAFE_ID = /^[A-Za-z0-9._:-]{8,128}$/;

declare module 'fastify' {
  interface FastifyRequest {
    /** Ties together every request and event caused by one user action, across services. */
    correlationId: string;
    /** performance.now() when the request arrived, for `metadata.processingTime`. */
    startedAt: number;
  }
}

export function correlationIdOf(headers: Record<string, string | string[] | undefined>, requestId: string): string {
  const incoming = headers[CORRELATION_ID_HEADER];
  return typeof incoming === 'string' && SAFE_ID.test(incoming) ? incoming : requestId;
}

/** Request ids come from the caller (the gateway) when well-formed, otherwise fresh. */
export function genRequestId(req: { headers: Record<string, string | string[] | undefined> }): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && SAFE_ID.test(incoming) ? incoming : randomUUID();
}

export function installRequestContext(app: FastifyInstance, lifecycle: Lifecycle): void {
  app.decorateRequest('correlationId', '');
  app.decorateRequest('startedAt', 0);

  // Synchronous hook: it runs on every request of every service and the gateway, so it is the
  // one place for what every request needs (ids, the closing answer, NUL refusal), and its
  // common path is a field read and one substring search.
  app.addHook('onRequest', (request, reply, done) => {
    request.startedAt = performance.now();
    request.correlationId = correlationIdOf(request.headers, request.id);
    void reply.header(REQUEST_ID_HEADER, request.id);
    void reply.header(CORRELATION_ID_HEADER, request.correlationId);
    if (lifecycle.closing) {
      answerShuttingDown(request, reply);
      return;
    }
    const nulFields = requestNulFields(request);
    if (nulFields) done(new ValidationError('Request must not contain the NUL character', nulFields));
    else done();
  });

  // Handlers return `ok(data)`; the envelope's metadata is completed here so no handler has to.
  app.addHook('preSerialization', async (request: FastifyRequest, _reply, payload: unknown) => {
    if (isEnvelope(payload)) payload.metadata = metadataFor(request.id, request.startedAt);
    return payload;
  });
}

function isEnvelope(payload: unknown): payload is { success: boolean; metadata: unknown } {
  return typeof payload === 'object' && payload !== null && 'success' in payload && 'metadata' in payload;
}

/** Headers a service passes on when it calls another service for the same user action. */
export function propagationHeaders(request: FastifyRequest): Record<string, string> {
  return { [CORRELATION_ID_HEADER]: request.correlationId };
}
