import fp from 'fastify-plugin';
import { Client } from '@elastic/elasticsearch';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    elastic: Client;
  }
}

async function elasticsearchPlugin(app: FastifyInstance, opts: { url: string }) {
  const client = new Client({ node: opts.url, requestTimeout: 10_000, maxRetries: 2 });
  // The Maven Central distribution answers 405 to `GET /`, so ping()/info() can't be used:
  // cluster health is the portable liveness probe.
  await client.cluster.health({ wait_for_status: 'yellow', timeout: '10s' });
  app.decorate('elastic', client);
  app.health.addCheck('elasticsearch', async () => {
    const health = await client.cluster.health();
    if (health.status === 'red') throw new Error('cluster status red');
    return { cluster: health.cluster_name, status: health.status };
  });
  app.addHook('onClose', async () => {
    await client.close();
  });
}

export default fp(elasticsearchPlugin, {
  name: 'foodxchange-elasticsearch',
  fastify: '5.x',
  dependencies: ['foodxchange-health'],
});
