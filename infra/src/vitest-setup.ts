/**
 * Vitest global setup for the packages whose tests talk to the real servers. It makes
 * `pnpm --filter <package> test` work on its own: the launcher's servers are started (or
 * reused) first and the tests are pointed at them. They stay up afterwards, as after
 * `npm test`, so the next run starts at once; `pnpm infra down` stops them.
 */
import { infraUpWithReport } from './index.js';

export default async function setup(): Promise<void> {
  // Quiet unless something had to be started: one line then, not a line per server.
  const { endpoints, servers } = await infraUpWithReport({ log: () => undefined });
  const started = servers.filter((server) => server.action === 'started');
  if (started.length > 0) console.log(`[infra] started ${started.map((server) => server.name).join(', ')} for the tests`);
  // A stuck server of ours is restarted by `up`; say so, or a suite's odd first failures are a mystery.
  for (const server of servers) {
    if (server.restartedBecause) console.log(`[infra] restarted ${server.name}: ${server.restartedBecause}`);
  }
  process.env.MONGO_URL ??= endpoints.mongoUrl;
  process.env.KAFKA_BROKERS ??= endpoints.kafkaBrokers;
  process.env.ELASTICSEARCH_URL ??= endpoints.elasticsearchUrl;
  process.env.REDIS_URL ??= endpoints.redisUrl;
}
