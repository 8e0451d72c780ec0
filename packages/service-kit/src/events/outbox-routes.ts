import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Envelope, ok } from '../http/envelope.js';
import { NotFoundError, ServiceUnavailableError } from '../http/errors.js';
import type { OutboxRelay } from './outbox.js';

const QuarantinedEntrySchema = Type.Object({
  id: Type.String(),
  collectionName: Type.String({ description: 'Collection of the aggregate that staged it' }),
  aggregateId: Type.String(),
  topic: Type.String(),
  key: Type.String(),
  stagedAt: Type.String({ format: 'date-time' }),
  sizeBytes: Type.Integer({ minimum: 0, description: 'Size of the CloudEvent as it would be sent' }),
  error: Type.String({ description: "The broker's refusal" }),
  errorType: Type.String(),
  attempts: Type.Integer({ minimum: 1 }),
  quarantinedAt: Type.String({ format: 'date-time' }),
  lastReplayError: Type.Optional(Type.String()),
  lastReplayAt: Type.Optional(Type.String({ format: 'date-time' })),
});

const EntryParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

/**
 * Operator routes of every service with an outbox, outside `/api` (the gateway does not route
 * them: they are for the platform's own network): the entries the relay gave up on, and a replay
 * once the cause (a broker limit, a missing topic) is fixed.
 */
export default async function outboxRoutes(app: FastifyInstance, { relay }: { relay: OutboxRelay }) {
  app.get(
    '/ops/outbox/quarantine',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['operations'],
        summary: 'Outbox entries the broker refused after every retry (newest first)',
        response: { 200: Envelope(Type.Array(QuarantinedEntrySchema)) },
      },
    },
    async () => {
      const entries = await relay.quarantined();
      return ok(
        entries.map(({ _id, stagedAt, quarantinedAt, lastReplayAt, ...rest }) => ({
          id: _id,
          ...rest,
          stagedAt: new Date(stagedAt).toISOString(),
          quarantinedAt: new Date(quarantinedAt).toISOString(),
          ...(lastReplayAt ? { lastReplayAt: new Date(lastReplayAt).toISOString() } : {}),
        })),
      );
    },
  );

  app.post(
    '/ops/outbox/quarantine/:id/replay',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['operations'],
        summary: 'Send a quarantined entry again; on success it is delivered and leaves the quarantine',
        params: EntryParamsSchema,
        response: { 200: Envelope(Type.Object({ id: Type.String(), status: Type.Literal('delivered') })) },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      let outcome: 'delivered' | undefined;
      try {
        outcome = await relay.replayQuarantined(id);
      } catch (error) {
        throw new ServiceUnavailableError('The broker refused the entry again', {
          id,
          error: String((error as Error)?.message ?? error).slice(0, 2000),
        });
      }
      if (!outcome) throw new NotFoundError(`Quarantined outbox entry ${id}`);
      return ok({ id, status: outcome });
    },
  );
}
