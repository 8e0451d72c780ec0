import { ALL_TOPICS, isTopic } from '@foodxchange/contracts';
import type { FastifyBaseLogger } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DeadLetterModel } from './model.js';

/** New dead letters recorded, by original topic: each is recorded by exactly one admin replica. */
export const DEAD_LETTERS_RECORDED = 'admin_dead_letters_recorded_total';
/** Dead letters waiting for a replay, by original topic, counted in the database at each scrape. */
export const DEAD_LETTERS_PENDING = 'admin_dead_letters_pending';

/**
 * The `topic` label: the original contract topic. A DLQ holds whatever failed, so a name that is
 * not a platform topic (garbage headers) is counted as `other` and the label stays bounded.
 */
export function topicLabel(originalTopic: string): string {
  return isTopic(originalTopic) ? originalTopic : 'other';
}

/**
 * Registers both on the service's registry (the kit's `app.metrics`, served on /metrics). Every
 * topic starts at 0: Prometheus' increase() cannot see a counter's first step when the series is
 * born with it, so the first dead letter of a topic would not count as growth.
 */
export function registerDeadLetterMetrics(registry: Registry, deadLetters: DeadLetterModel, log: FastifyBaseLogger): void {
  const recorded = new Counter({
    name: DEAD_LETTERS_RECORDED,
    help: 'Dead letters recorded from <topic>.dlq, by original topic',
    labelNames: ['topic'] as const,
    registers: [registry],
  });
  for (const topic of ALL_TOPICS) recorded.inc({ topic }, 0);

  new Gauge({
    name: DEAD_LETTERS_PENDING,
    help: 'Dead letters not replayed yet, by original topic (from the database, at each scrape)',
    labelNames: ['topic'] as const,
    registers: [registry],
    // Asked only when scraped, so an idle admin does no work for it. On a failure the last
    // counts stay: /metrics must keep answering while the database is away.
    async collect() {
      try {
        const counts = await deadLetters
          .aggregate<{ _id: string; count: number }>([{ $match: { status: 'pending' } }, { $group: { _id: '$originalTopic', count: { $sum: 1 } } }])
          .option({ maxTimeMS: 2_000 });
        const byTopic = new Map<string, number>(ALL_TOPICS.map((topic) => [topic, 0]));
        for (const { _id, count } of counts) {
          const label = topicLabel(_id);
          byTopic.set(label, (byTopic.get(label) ?? 0) + count);
        }
        for (const [topic, count] of byTopic) this.set({ topic }, count);
      } catch (error) {
        log.warn({ err: error }, 'could not count pending dead letters for /metrics');
      }
    },
  });
}

/** Counts one newly recorded dead letter (a no-op where the metrics were not registered). */
export function countRecordedDeadLetter(registry: Registry, originalTopic: string): void {
  const recorded = registry.getSingleMetric(DEAD_LETTERS_RECORDED) as Counter<'topic'> | undefined;
  recorded?.inc({ topic: topicLabel(originalTopic) });
}
