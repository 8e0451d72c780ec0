import { randomUUID } from 'node:crypto';
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infraStatus, infraUp, type InfraEndpoints } from '../src/index.js';
import { ginCompanionName } from '../src/servers/gin-companions.js';
import { queryLauncherPostgres } from '../src/servers/psql.js';
import { DEFAULT_URLS, ELASTICSEARCH_VERSION, FERRETDB_VERSION } from '../src/versions.js';

// Real servers, real clients: this is what every service's tests rely on.
let endpoints: InfraEndpoints;
const runId = randomUUID().slice(0, 8);
// The test runner (scripts/test.ts, the Vitest setup) sets MONGO_URL etc. to the launcher's own
// URLs, so "unset or the launcher's URL" means the server is the launcher's and must be what it
// pins. Pointed at another server, the checks that only hold for the launcher's are skipped.
const launcherServes = (envVar: string, launcherUrl: string): boolean => !process.env[envVar] || process.env[envVar] === launcherUrl;
const launcherMongo = launcherServes('MONGO_URL', DEFAULT_URLS.ferretdb);
const launcherElasticsearch = launcherServes('ELASTICSEARCH_URL', DEFAULT_URLS.elasticsearch);

beforeAll(async () => {
  endpoints = await infraUp({ log: (line) => console.log(`[infra] ${line}`) });
});

describe('infraUp', () => {
  it('is idempotent: a second call reuses everything and is fast', async () => {
    const started = Date.now();
    const again = await infraUp({ log: () => undefined });
    expect(again).toEqual(endpoints);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('Redis', () => {
  it('answers PING and stores a key', async () => {
    const redis = new Redis(endpoints.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      expect(await redis.ping()).toBe('PONG');
      const key = `infra-test:${runId}`;
      await redis.set(key, 'ok', 'EX', 60);
      expect(await redis.get(key)).toBe('ok');
      await redis.del(key);
    } finally {
      redis.disconnect();
    }
  });
});

describe('MongoDB-compatible server', () => {
  const client = new MongoClient(process.env.MONGO_URL || 'mongodb://127.0.0.1:27017/?directConnection=true', { serverSelectionTimeoutMS: 10_000 });
  const database = `infra_test_${runId}`;
  afterAll(async () => {
    await client.db(database).dropDatabase().catch(() => undefined);
    await client.close();
  });

  it('inserts and finds a document, and enforces a unique index', async () => {
    const collection = client.db(database).collection<{ _id?: unknown; sku: string; qty: number }>('items');
    await collection.createIndex({ sku: 1 }, { unique: true });
    await collection.insertOne({ sku: 'APPLE-1', qty: 3 });
    const found = await collection.findOne({ sku: 'APPLE-1' });
    expect(found?.qty).toBe(3);
    await expect(collection.insertOne({ sku: 'APPLE-1', qty: 4 })).rejects.toMatchObject({ code: 11000 });
  });

  it.runIf(launcherMongo)('is the pinned FerretDB', async () => {
    const info = (await client.db('admin').command({ buildInfo: 1 })) as { ferretdbVersion?: string };
    expect(info.ferretdbVersion).toBe(`v${FERRETDB_VERSION}`);
  });
});

// infra/README.md, "Indexes under FerretDB": GIN companions beside FerretDB's btree indexes, and
// plan_cache_mode = force_custom_plan, so a lookup does not scan the whole collection.
describe.runIf(launcherMongo)('indexes under FerretDB', () => {
  const client = new MongoClient(DEFAULT_URLS.ferretdb, { serverSelectionTimeoutMS: 10_000 });
  const database = `infra_gin_${runId}`;
  const serviceDatabases = Array.from({ length: 8 }, (_, index) => `infra_gin_${runId}_svc${index}`);
  afterAll(async () => {
    for (const name of [database, ...serviceDatabases]) {
      await client.db(name).dropDatabase().catch(() => undefined);
    }
    await client.close();
  });

  /** FerretDB's schema for a MongoDB database is the database name. */
  const indexesOf = async (schema: string): Promise<{ name: string; table: string; definition: string }[]> =>
    (await queryLauncherPostgres(`SELECT indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = '${schema}' AND tablename NOT LIKE '\\_ferretdb\\_%' ORDER BY indexname`)).map(
      ([name = '', table = '', definition = '']) => ({ name, table, definition }),
    );

  it('gives a collection and indexes created after infra up their GIN companions, and drops one with its index', async () => {
    const orders = client.db(database).collection('Orders');
    await orders.createIndex({ code: 1 }, { unique: true });
    await orders.createIndex({ buyer: 1, 'delivery.country': 1 });

    const indexes = await indexesOf(database);
    const btrees = indexes.filter((index) => index.definition.includes('USING btree'));
    const gins = indexes.filter((index) => index.definition.includes('USING gin'));
    // _id, code, and the compound one: each with exactly its own companion, by name.
    expect(btrees).toHaveLength(3);
    expect(gins.map((index) => index.name).sort()).toEqual(btrees.map((index) => ginCompanionName(index.name)).sort());
    const companionOf = (field: string): { name: string; definition: string } | undefined => {
      const parent = btrees.find((btree) => btree.definition.includes(`'${field}'`));
      return gins.find((gin) => parent !== undefined && gin.name === ginCompanionName(parent.name));
    };
    expect(companionOf('_id')?.definition).toContain("USING gin (((_jsonb -> '_id'::text))) WITH (fastupdate=off)");
    expect(companionOf('code')?.definition).toContain("USING gin (((_jsonb -> 'code'::text)))");
    // A dotted path is looked up with #> and a text[] path, so that is what the companion indexes.
    expect(companionOf('buyer')?.definition).toContain("USING gin (((_jsonb -> 'buyer'::text)), ((_jsonb #> '{delivery,country}'::text[])))");

    const compoundCompanion = companionOf('buyer')?.name;
    await orders.dropIndex('buyer_1_delivery.country_1');
    const afterDrop = (await indexesOf(database)).map((index) => index.name);
    expect(afterDrop).toHaveLength(4);
    expect(afterDrop).not.toContain(compoundCompanion);
  });

  it('keeps writes, unique violations (11000) and lookups working beside the companions', async () => {
    const products = client.db(database).collection<{ _id?: unknown; sku: string; qty: number }>('products');
    await products.createIndex({ sku: 1 }, { unique: true });
    await products.insertMany(Array.from({ length: 50 }, (_, index) => ({ sku: `SKU-${index}`, qty: index })));
    await expect(products.insertOne({ sku: 'SKU-7', qty: 0 })).rejects.toMatchObject({ code: 11000 });
    // (An update onto a taken key is refused too, but FerretDB 1.24 reports it as code 1, with
    // or without companions: see infra/README.md.)
    await expect(products.updateOne({ sku: 'SKU-8' }, { $set: { sku: 'SKU-9' } })).rejects.toThrow(/duplicate key/);
    const seven = await products.findOne({ sku: 'SKU-7' });
    expect(seven?.qty).toBe(7);
    await products.updateOne({ _id: seven?._id }, { $inc: { qty: 100 } });
    expect((await products.findOne({ _id: seven?._id }))?.qty).toBe(107);
    expect(await products.countDocuments({ qty: { $gte: 0 } })).toBe(50);
  });

  it('plans each execution (plan_cache_mode = force_custom_plan), so prepared lookups keep the index', async () => {
    expect(await queryLauncherPostgres('SHOW plan_cache_mode', 'postgres')).toEqual([['force_custom_plan']]);
  });

  it("answers FerretDB's lookups by _id and by an indexed field from the GIN companions, not a scan", async () => {
    const db = client.db(database);
    const stock = db.collection<{ _id?: unknown; lot: string }>('stock');
    await stock.createIndex({ lot: 1 });
    const inserted = await stock.insertMany(Array.from({ length: 200 }, (_, index) => ({ lot: `LOT-${index}` })));
    const indexNamesOf = (plan: PgPlan | undefined): string[] => (plan ? [plan['Index Name'] ?? '', ...(plan.Plans ?? []).flatMap(indexNamesOf)].filter(Boolean) : []);
    const explain = async (filter: Record<string, unknown>): Promise<string[]> =>
      indexNamesOf(((await db.command({ explain: { find: 'stock', filter } })) as { queryPlanner?: { Plan?: PgPlan } }).queryPlanner?.Plan);
    const companions = (await indexesOf(database)).filter((index) => index.definition.includes('USING gin') && index.definition.includes('stock'));
    expect(await explain({ _id: inserted.insertedIds[17] })).toEqual([companions.find((index) => index.definition.includes("'_id'"))?.name]);
    expect(await explain({ lot: 'LOT-17' })).toEqual([companions.find((index) => index.definition.includes("'lot'"))?.name]);
  });

  it('lets 8 services create their collections and indexes at once without errors, each getting its companions', async () => {
    const clients = serviceDatabases.map(() => new MongoClient(DEFAULT_URLS.ferretdb, { serverSelectionTimeoutMS: 10_000 }));
    try {
      // As at platform start: every service declares its indexes at the same moment.
      await Promise.all(
        clients.map(async (service, index) => {
          const db = service.db(serviceDatabases[index]);
          await Promise.all([
            db.collection('entities').createIndexes([{ key: { code: 1 }, unique: true }, { key: { ownerId: 1, createdAt: -1 } }]),
            db.collection('outbox').createIndex({ stagedAt: 1 }),
            db.collection('processed_events').createIndex({ eventId: 1 }, { unique: true }),
          ]);
          await db.collection('entities').insertOne({ code: `C-${index}`, ownerId: 'o', createdAt: new Date() });
        }),
      );
    } finally {
      await Promise.all(clients.map((service) => service.close()));
    }
    for (const name of serviceDatabases) {
      const indexes = await indexesOf(name);
      const btrees = indexes.filter((index) => index.definition.includes('USING btree'));
      const gins = indexes.filter((index) => index.definition.includes('USING gin'));
      // 3 _id indexes + code + ownerId/createdAt + stagedAt + eventId.
      expect(btrees, name).toHaveLength(7);
      expect(gins.map((index) => index.name).sort(), name).toEqual(btrees.map((index) => ginCompanionName(index.name)).sort());
    }
  });
});

interface PgPlan {
  'Index Name'?: string;
  Plans?: PgPlan[];
}

describe('Kafka', () => {
  it('creates and lists a throwaway topic through the admin client', async () => {
    const kafka = new Kafka({ clientId: 'infra-test', brokers: endpoints.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const topic = `infra-test.${runId}`;
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })).toBe(true);
      expect(await admin.listTopics()).toContain(topic);
      await admin.deleteTopics({ topics: [topic] });
    } finally {
      await admin.disconnect();
    }
  });

  it('delivers a message to a new consumer group within seconds', async () => {
    const kafka = new Kafka({ clientId: 'infra-test', brokers: endpoints.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: `infra-test-${runId}` });
    const topic = `infra-test.group.${runId}`;
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await Promise.all([producer.connect(), consumer.connect()]);
      const started = Date.now();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = new Promise<string>((resolve) => {
        void consumer.run({ eachMessage: async ({ message }) => resolve(message.value?.toString() ?? '') });
      });
      await producer.send({ topic, messages: [{ key: 'k', value: `hello ${runId}` }] });
      expect(await received).toBe(`hello ${runId}`);
      // group.initial.rebalance.delay.ms=0 and a warm coordinator: no 3 s wait per group.
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});

describe('Elasticsearch', () => {
  const client = new ElasticsearchClient({ node: process.env.ELASTICSEARCH_URL || 'http://127.0.0.1:9200' });
  const index = `infra-test-${runId}`;
  afterAll(async () => {
    await client.indices.delete({ index, ignore_unavailable: true }).catch(() => undefined);
    await client.close();
  });

  it('is healthy', async () => {
    const health = await client.cluster.health({ wait_for_status: 'yellow', timeout: '30s' });
    expect(['green', 'yellow']).toContain(health.status);
  });

  it.runIf(launcherElasticsearch)('is the pinned version', async () => {
    const nodes = await client.nodes.info({ node_id: '_local', metric: '_none' });
    expect(Object.values(nodes.nodes).map((node) => node.version)).toEqual([ELASTICSEARCH_VERSION]);
  });

  it('indexes a document and finds it with a full-text search', async () => {
    await client.index({ index, id: '1', document: { name: 'Organic olive oil', origin: 'ES' }, refresh: 'wait_for' });
    const result = await client.search<{ name: string }>({ index, query: { match: { name: 'olive' } } });
    expect(result.hits.hits.map((hit) => hit._source?.name)).toEqual(['Organic olive oil']);
  });
});

describe('infraStatus', () => {
  it('reports every server running, each with the version its server answers', async () => {
    const servers = await infraStatus();
    const byName = Object.fromEntries(servers.map((server) => [server.name, server]));
    for (const name of ['redis', 'ferretdb', 'kafka', 'elasticsearch'] as const) {
      expect(byName[name]?.state, name).toBe('running');
    }
    // Versions come from the servers' own answers (Kafka's protocol does not tell its version).
    expect(byName.redis?.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(byName.ferretdb?.version).toMatch(/^(FerretDB \d|MongoDB \d)/);
  });

  it.runIf(launcherMongo)("reports the launcher's PostgreSQL under FerretDB and FerretDB's pinned version", async () => {
    const byName = Object.fromEntries((await infraStatus()).map((server) => [server.name, server]));
    expect(byName.postgres?.state).toBe('running');
    expect(byName.postgres?.version).toMatch(/^\d+\.\d+/);
    expect(byName.ferretdb?.version).toMatch(new RegExp(`^FerretDB ${FERRETDB_VERSION.replaceAll('.', '\\.')} `));
  });
});
