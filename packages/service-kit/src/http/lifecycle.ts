import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, errorEnvelope } from './envelope.js';

/** Something that answers for a long time (an SSE response) and can be ended from outside. */
export interface LongLivedStream {
  end(): unknown;
  once(event: 'close', listener: () => void): unknown;
}

/**
 * Long-lived responses (server-sent events) the kit ends when the app closes: `app.close()`
 * waits for every open response, so an SSE stream left open would hold a rolling restart until
 * the supervisor's kill timeout. A route calls `app.streams.track(reply.raw)` once it streams.
 */
export class StreamRegistry {
  private readonly open = new Set<LongLivedStream>();

  /** Ended when the app closes; forgotten by itself when it closes first. Returns an untrack function. */
  track(stream: LongLivedStream): () => void {
    this.open.add(stream);
    const untrack = () => {
      this.open.delete(stream);
    };
    stream.once('close', untrack);
    return untrack;
  }

  get size(): number {
    return this.open.size;
  }

  endAll(): void {
    for (const stream of this.open) stream.end();
    this.open.clear();
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Long-lived responses (SSE) to end on shutdown, so closing never waits for them. */
    streams: StreamRegistry;
  }
}

/** Whether the app is shutting down; read on every request, so a plain field. */
export interface Lifecycle {
  closing: boolean;
}

/** `details.reason` of the 503 a closing instance answers: the gateway tells it from a broken one. */
export const SHUTTING_DOWN = 'shutting-down';

/**
 * From `app.close()` on, requests still arriving (nginx keeps sending until the listener is gone,
 * kept-alive and pipelined connections too) are answered with a 503 envelope and
 * `connection: close`, instead of Fastify's own non-envelope 503, and open streams are ended.
 */
export function installLifecycle(app: FastifyInstance): Lifecycle {
  const lifecycle: Lifecycle = { closing: false };
  const streams = new StreamRegistry();
  app.decorate('streams', streams);
  app.addHook('preClose', (done) => {
    lifecycle.closing = true;
    streams.endAll();
    done();
  });
  return lifecycle;
}

export function answerShuttingDown(request: FastifyRequest, reply: FastifyReply): void {
  void reply
    .code(503)
    .header('connection', 'close')
    .type('application/json')
    .send(
      errorEnvelope(
        request.id,
        { code: ErrorCode.SERVICE_UNAVAILABLE, message: 'This instance is shutting down', details: { reason: SHUTTING_DOWN } },
        request.startedAt,
      ),
    );
}
