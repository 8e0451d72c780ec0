import type { FastifyBaseLogger } from 'fastify';
import type { AuditEventModel } from './model.js';

/**
 * The audit log's retention (the local server has no TTL indexes: DESIGN.md rule 4, "expiry is a
 * field plus a cleanup job"). Removes the entries recorded more than `maxAgeMs` ago. Every
 * replica runs it: the same deletion twice removes nothing more, so no coordination is needed.
 */
export async function removeExpiredAuditEvents(model: AuditEventModel, maxAgeMs: number, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - maxAgeMs);
  const { deletedCount } = await model.deleteMany({ recordedAt: { $lt: cutoff } });
  return deletedCount;
}

/** Runs the retention now and then every `everyMs`; returns the function that stops it. */
export function scheduleAuditRetention(
  model: AuditEventModel,
  { maxAgeMs, everyMs, log }: { maxAgeMs: number; everyMs: number; log: FastifyBaseLogger },
): () => void {
  let running = false;
  const run = () => {
    if (running) return;
    running = true;
    removeExpiredAuditEvents(model, maxAgeMs)
      .then((removed) => {
        if (removed > 0) log.info({ removed }, 'audit retention: removed expired entries');
      })
      .catch((error: unknown) => log.warn({ err: error }, 'audit retention failed; will retry'))
      .finally(() => {
        running = false;
      });
  };
  const timer = setInterval(run, everyMs);
  timer.unref();
  run();
  return () => clearInterval(timer);
}
