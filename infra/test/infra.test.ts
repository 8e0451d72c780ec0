import { randomUUID } from 'node:crypto';
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infraStatus, infraUp, type InfraEndpoints } from '../src/index.js';
import { ELASTICSEARCH_VERSION } from '../src/versions.js';

// Real servers, real clients: this is what every service's tests rely on.
let endpoints: InfraEndpoints;
const runId = randomUUID().slice(0, 8);

beforeAll(async () => {
  endpoints = await infraUp({ log: (line) => console.log(`[infra] ${line}`) });
});

describe('infraUp', () => {
  it('returns the standard loopback endpoints (or the env overrides)', () => {
    expect(endpoints.mongoUrl).toBe(process.env.MONGO_URL || 'mongodb://127.0.0.1:27017/?directConnection=true');
    expect(endpoints.kafkaBrokers).toBe(process.env.KAFKA_BROKERS || '127.0.0.1:9092');
    expect(endpoints.elasticsearchUrl).toBe(process.env.ELASTICSEARCH_URL || 'http://127.0.0.1:9200');
    expect(endpoints.redisUrl).toBe(process.env.REDIS_URL || 'redis://127.0.0.1:6379');
  });

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
});

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

  it('is healthy and runs the pinned version', async () => {
    const health = await client.cluster.health({ wait_for_status: 'yellow', timeout: '30s' });
    expect(['green', 'yellow']).toContain(health.status);
    const nodes = await client.nodes.info({ node_id: '_local', metric: '_none' });
    const versions = Object.values(nodes.nodes).map((node) => node.version);
    if (!process.env.ELASTICSEARCH_URL) {
      expect(versions).toEqual([ELASTICSEARCH_VERSION]);
    }
  });

  it('indexes a document and finds it with a full-text search', async () => {
    await client.index({ index, id: '1', document: { name: 'Organic olive oil', origin: 'ES' }, refresh: 'wait_for' });
    const result = await client.search<{ name: string }>({ index, query: { match: { name: 'olive' } } });
    expect(result.hits.hits.map((hit) => hit._source?.name)).toEqual(['Organic olive oil']);
  });
});

describe('infraStatus', () => {
  it('reports every server running, with its version, port and origin', async () => {
    const servers = await infraStatus();
    const byName = Object.fromEntries(servers.map((server) => [server.name, server]));
    for (const name of ['redis', 'ferretdb', 'kafka', 'elasticsearch'] as const) {
      expect(byName[name]?.state, name).toBe('running');
      expect(byName[name]?.origin, name).toMatch(/^(started|reused|external)$/);
    }
    if (!process.env.MONGO_URL) {
      expect(byName.postgres?.state).toBe('running');
      expect(byName.ferretdb?.version).toMatch(/^FerretDB 1\.24\.2/);
    }
    expect(byName.kafka?.port).toBe(9092);
  });
});
