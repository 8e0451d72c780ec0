import type { FastifyInstance } from 'fastify';
import { ok, paged } from '@foodxchange/service-kit';
import type { DeadLetterModel, ReplayClaimModel } from './model.js';
import {
  DeadLetterEnvelope,
  DeadLetterListEnvelope,
  DeadLetterParamsSchema,
  DeadLetterQuerySchema,
  TopicReplayBodySchema,
  TopicReplayEnvelope,
  type DeadLetterQuery,
  type TopicReplayBody,
} from './schemas.js';
import { getDeadLetter, listDeadLetters, replayDeadLetter, replayTopic, type ReplayInFlight } from './service.js';

export default async function deadLetterRoutes(
  app: FastifyInstance,
  { deadLetters, claims }: { deadLetters: DeadLetterModel; claims: ReplayClaimModel },
) {
  // The relay keeps its own delivery books (it never writes the dead letter), so ask it.
  const inFlight: ReplayInFlight = async (doc) => (await app.events.relay.undelivered(doc.outbox ?? [])).size > 0;

  app.get(
    '/dead-letters',
    {
      config: { access: { permission: 'admin:read' } },
      schema: {
        tags: ['dead-letters'],
        summary: 'Records consumers gave up on, newest first',
        querystring: DeadLetterQuerySchema,
        response: { 200: DeadLetterListEnvelope },
      },
    },
    async (request) => {
      const query = request.query as DeadLetterQuery;
      const { items, total } = await listDeadLetters(deadLetters, query, inFlight);
      return paged(items, { page: query.page, limit: query.limit, total });
    },
  );

  app.get(
    '/dead-letters/:id',
    {
      config: { access: { permission: 'admin:read' } },
      schema: {
        tags: ['dead-letters'],
        summary: 'One dead letter',
        params: DeadLetterParamsSchema,
        response: { 200: DeadLetterEnvelope },
      },
    },
    async (request) => ok(await getDeadLetter(deadLetters, (request.params as { id: string }).id, inFlight)),
  );

  app.post(
    '/dead-letters/:id/replay',
    {
      config: { access: { permission: 'dead-letters:replay' } },
      schema: {
        tags: ['dead-letters'],
        summary: 'Re-publish the original record to its original topic (once: pending → replayed)',
        description:
          'Staged in the dead letter’s outbox together with the status change; 202 once staged. 409 when it was already replayed or is being replayed.',
        params: DeadLetterParamsSchema,
        response: { 202: DeadLetterEnvelope },
      },
    },
    async (request, reply) => {
      const deadLetter = await replayDeadLetter({ deadLetters, claims, inFlight }, (request.params as { id: string }).id);
      app.events.published();
      return reply.code(202).send(ok(deadLetter));
    },
  );

  app.post(
    '/dead-letters/replay',
    {
      config: { access: { permission: 'dead-letters:replay' } },
      schema: {
        tags: ['dead-letters'],
        summary: 'Replay every pending dead letter of a topic (after a fix), each once',
        description:
          'Each letter is replayed as by POST /dead-letters/{id}/replay (pending → replayed, staged in its outbox, once: a letter replayed before, by either route, is not sent again). 202 with what was replayed and what was skipped; calling again replays only letters that arrived since.',
        body: TopicReplayBodySchema,
        response: { 202: TopicReplayEnvelope },
      },
    },
    async (request, reply) => {
      const { topic, limit } = request.body as TopicReplayBody;
      const result = await replayTopic({ deadLetters, claims, inFlight }, topic, limit ?? 100);
      if (result.replayed.length > 0) app.events.published();
      return reply.code(202).send(ok(result));
    },
  );
}
