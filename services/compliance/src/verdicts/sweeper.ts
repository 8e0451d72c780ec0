import type { FastifyInstance } from 'fastify';
import '../deps.js';
import { sweepPending } from './service.js';

/**
 * Every COMPLIANCE_PENDING_SWEEP_MS once the app is ready, re-checks the orders parked for a
 * missing copy: one is decided as soon as its copies are there, or failed once its wait is over.
 * Runs in every replica and survives restarts (the parked orders are in the database); one sweep
 * at a time per replica. Call at set-up, after the kit is registered (its onReady builds indexes).
 */
export function pendingSweeper(app: FastifyInstance, intervalMs: number): void {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const sweep = () => {
    if (running) return;
    running = sweepPending(app.compliance.verdicts)
      .then((decided) => {
        if (decided > 0) app.log.info({ decided }, 'parked orders decided');
      })
      .catch((error) => app.log.warn({ err: error }, 'sweep of parked orders failed; the next one retries'))
      .finally(() => {
        running = undefined;
      });
  };
  app.addHook('onReady', async () => {
    timer = setInterval(sweep, intervalMs);
    timer.unref();
  });
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await running;
  });
}
