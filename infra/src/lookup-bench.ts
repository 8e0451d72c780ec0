/**
 * The measurements behind `npm run bench:lookups` (scripts/bench-lookups.ts prints them): how
 * long a point lookup takes on the Mongo-compatible server as a collection grows. It lives in
 * this package because it measures what the launcher sets up (the GIN companions and
 * plan_cache_mode of infra/README.md, "Indexes under FerretDB"), and the MongoDB driver is a
 * dependency here. It asserts nothing: a loaded machine changes the figures, not the verdict.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { MongoClient, type Collection, type ObjectId } from 'mongodb';

export type LookupOperation = 'findOne by _id' | 'findOne by indexed field' | 'updateOne by _id';
export const LOOKUP_OPERATIONS: readonly LookupOperation[] = ['findOne by _id', 'findOne by indexed field', 'updateOne by _id'];

export interface LookupBenchOptions {
  mongoUrl: string;
  /** Collection sizes, in documents. */
  sizes: number[];
  /** Timed calls per operation and size, spread over `rounds`. */
  lookups: number;
  /** The sizes take turns this many times, so a slow spell of the machine hits all of them. */
  rounds: number;
  log?: (line: string) => void;
}

export interface LookupFigures {
  size: number;
  operation: LookupOperation;
  p50Ms: number;
  p99Ms: number;
  calls: number;
}

export interface LookupBenchResult {
  database: string;
  figures: LookupFigures[];
  /** insertMany time to build each collection (batches of 1,000), ms. */
  buildMs: Record<number, number>;
  /** What the server's planner does for a lookup by _id on the largest collection. */
  plan: string;
}

interface BenchDocument {
  _id?: ObjectId;
  code: string;
  name: string;
  qty: number;
  origin: string;
}

const BATCH = 1_000;

export async function runLookupBench(options: LookupBenchOptions): Promise<LookupBenchResult> {
  const log = options.log ?? (() => undefined);
  const database = `bench_lookups_${randomUUID().slice(0, 8)}`;
  const client = new MongoClient(options.mongoUrl, { serverSelectionTimeoutMS: 10_000 });
  await client.connect();
  try {
    const db = client.db(database);
    const collections = new Map<number, { collection: Collection<BenchDocument>; ids: ObjectId[] }>();
    const buildMs: Record<number, number> = {};
    for (const size of options.sizes) {
      const collection = db.collection<BenchDocument>(`docs_${size}`);
      // A declared unique index, as services declare them (FerretDB adds the _id index itself).
      await collection.createIndex({ code: 1 }, { unique: true });
      const ids: ObjectId[] = [];
      const started = performance.now();
      for (let offset = 0; offset < size; offset += BATCH) {
        const batch = Array.from({ length: Math.min(BATCH, size - offset) }, (_, index) => documentNumber(offset + index));
        const inserted = await collection.insertMany(batch, { ordered: false });
        ids.push(...Object.values(inserted.insertedIds));
      }
      buildMs[size] = performance.now() - started;
      log(`built ${collection.collectionName}: ${size} documents in ${(buildMs[size] / 1000).toFixed(1)} s`);
      collections.set(size, { collection, ids });
    }

    const samples = new Map<string, number[]>();
    const record = (size: number, operation: LookupOperation, ms: number): void => {
      const key = `${size}\u0000${operation}`;
      const list = samples.get(key) ?? [];
      list.push(ms);
      samples.set(key, list);
    };
    const perRound = Math.max(1, Math.ceil(options.lookups / options.rounds));
    for (let round = 0; round < options.rounds; round += 1) {
      for (const [size, { collection, ids }] of collections) {
        // A few untimed calls: connection, statement preparation and cache warm-up per round.
        for (let warm = 0; warm < 5; warm += 1) {
          await collection.findOne({ _id: pick(ids) });
        }
        for (let call = 0; call < perRound; call += 1) {
          const id = pick(ids);
          let started = performance.now();
          const byId = await collection.findOne({ _id: id });
          record(size, 'findOne by _id', performance.now() - started);
          const code = byId?.code ?? 'missing';

          const other = documentNumber(Math.floor(Math.random() * size)).code;
          started = performance.now();
          await collection.findOne({ code: other });
          record(size, 'findOne by indexed field', performance.now() - started);

          started = performance.now();
          await collection.updateOne({ _id: id }, { $inc: { qty: 1 } });
          record(size, 'updateOne by _id', performance.now() - started);
          if (code === 'missing') {
            throw new Error(`findOne by _id found nothing in ${collection.collectionName}: the benchmark data is not what it built.`);
          }
        }
      }
      log(`round ${round + 1}/${options.rounds} done`);
    }

    const figures: LookupFigures[] = [];
    for (const size of options.sizes) {
      for (const operation of LOOKUP_OPERATIONS) {
        const list = (samples.get(`${size}\u0000${operation}`) ?? []).sort((a, b) => a - b);
        figures.push({ size, operation, p50Ms: percentile(list, 0.5), p99Ms: percentile(list, 0.99), calls: list.length });
      }
    }
    const largest = collections.get(Math.max(...options.sizes));
    const plan = largest ? await describePlan(client, database, largest.collection.collectionName, pick(largest.ids)) : 'n/a';
    return { database, figures, buildMs, plan };
  } finally {
    await client
      .db(database)
      .dropDatabase()
      .catch(() => undefined);
    await client.close();
  }
}

function documentNumber(index: number): BenchDocument {
  return { code: `SKU-${String(index).padStart(7, '0')}`, name: `Product ${index}`, qty: index % 100, origin: ['ES', 'IT', 'GR', 'PT'][index % 4] ?? 'ES' };
}

function pick<T>(items: T[]): T {
  const item = items[Math.floor(Math.random() * items.length)];
  if (item === undefined) {
    throw new Error('nothing to pick from');
  }
  return item;
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) {
    return Number.NaN;
  }
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

/**
 * FerretDB's `explain` answers with PostgreSQL's own plan; MongoDB with its winning plan.
 * Either way one line: which node serves a lookup by _id.
 */
async function describePlan(client: MongoClient, database: string, collection: string, id: ObjectId): Promise<string> {
  try {
    const explained = (await client.db(database).command({ explain: { find: collection, filter: { _id: id } } })) as {
      queryPlanner?: { Plan?: PgPlan; winningPlan?: { stage?: string; inputStage?: { stage?: string; indexName?: string } } };
    };
    const pgPlan = explained.queryPlanner?.Plan;
    if (pgPlan) {
      return describePgPlan(pgPlan);
    }
    const winning = explained.queryPlanner?.winningPlan;
    return [winning?.stage, winning?.inputStage?.stage, winning?.inputStage?.indexName].filter(Boolean).join(' / ') || 'unknown';
  } catch (error) {
    return `explain failed: ${(error as Error).message}`;
  }
}

interface PgPlan {
  'Node Type'?: string;
  'Index Name'?: string;
  Plans?: PgPlan[];
}

function describePgPlan(plan: PgPlan): string {
  const nodes: string[] = [];
  const walk = (node: PgPlan): void => {
    nodes.push(node['Index Name'] ? `${node['Node Type']} on ${node['Index Name']}` : (node['Node Type'] ?? '?'));
    node.Plans?.forEach(walk);
  };
  walk(plan);
  return nodes.join(' → ');
}
