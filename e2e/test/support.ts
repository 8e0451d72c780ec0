/** What the end-to-end tests share: the real servers' addresses and the settled audit of a run's sagas. */
import type { InfraUrls } from '../../scripts/platform.js';
import { auditSagas, waitUntil, type Api, type Market, type SagaAudit } from '../../scripts/saga-driver.js';

/** The servers `npm test` started (its environment), or the launcher's defaults when run alone. */
export const infra: InfraUrls = {
  mongoUrl: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017/?directConnection=true',
  kafkaBrokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
  elasticsearchUrl: process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
};

/**
 * The audit once every award has a decided order (bounded: after a minute, the audit as it is, so
 * the test's expectation names what is missing).
 */
export async function settledAudit(api: Api, market: Market): Promise<SagaAudit> {
  return waitUntil(
    'every award to have a decided order',
    async () => {
      const audit = await auditSagas(api, market);
      return audit.orders >= audit.awards && audit.pending === 0 ? audit : undefined;
    },
    60_000,
    500,
  ).catch(async () => auditSagas(api, market));
}
