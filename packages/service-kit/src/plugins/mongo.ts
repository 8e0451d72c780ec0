import fp from 'fastify-plugin';
import mongoose, { type Connection } from 'mongoose';
import type { FastifyInstance } from 'fastify';
import { AggregateLocks } from '../persistence/aggregate-lock.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** This service's own database. Models are bound to it with `app.mongo.model(...)`. */
    mongo: Connection;
    /**
     * Per-aggregate write locks: wrap every load → modify → save of a shared aggregate, and save
     * through the lock (`lock.save(doc)`) so a holder that lost its lease cannot overwrite the
     * writer that took over.
     */
    locks: AggregateLocks;
  }
}

export interface MongoOptions {
  url: string;
  dbName: string;
}

/**
 * How many documents a read asks for in its first batch. FerretDB 1.24 holds one of its
 * PostgreSQL pool connections for every cursor that is not yet exhausted, until the client's
 * next getMore; ordinary concurrent reads of more than the default 101 documents can thereby
 * take the whole pool, and the getMores that would free it then queue behind the stalled
 * requests in our own connection pool — a deadlock between the two pools (infra/README.md,
 * "Open cursors and FerretDB's pool"). Asking for everything in the first batch (the server
 * still caps a batch at 16 MiB) lets FerretDB return the connection before it replies. On
 * MongoDB 7 it only saves round trips.
 */
export const READ_BATCH_SIZE = 100_000;

/**
 * A stalled request gives up after this long instead of waiting forever: the driver drops the
 * socket, the server cancels the request (and the cursors opened on it die with it). Generous:
 * a full scan of a 100,000-document collection on a busy local server took over a minute (the
 * reindex's read of changed products failed at 60 s while the outbox relay kept it busy).
 */
export const SOCKET_TIMEOUT_MS = 300_000;

/** Every `find` of the connection's models reads in one batch unless it says otherwise. */
function singleBatchReads(schema: mongoose.Schema): void {
  schema.pre('find', function setBatchSize(this: mongoose.Query<unknown, unknown>) {
    if (this.getOptions().batchSize === undefined) this.batchSize(READ_BATCH_SIZE);
  });
}

/**
 * One connection per service to its own database. The URL carries directConnection=true so the
 * same string works against FerretDB locally and a single MongoDB 7 node (DESIGN.md rule 5).
 */
export async function connectMongo({ url, dbName }: MongoOptions): Promise<Connection> {
  const connection = mongoose.createConnection(url, {
    dbName,
    serverSelectionTimeoutMS: 5000,
    maxPoolSize: 20,
    socketTimeoutMS: SOCKET_TIMEOUT_MS,
    // Indexes are created explicitly (ensureIndexes) so start-up fails loudly when one can't be.
    autoIndex: false,
    autoCreate: true,
  });
  connection.plugin(singleBatchReads);
  await connection.asPromise();
  return connection;
}

async function mongoPlugin(app: FastifyInstance, opts: MongoOptions) {
  const connection = await connectMongo(opts);
  app.decorate('mongo', connection);
  // No cleanup job: each acquisition clears the finished epochs of its key, and the last one of
  // each key must stay (it carries the key's fencing token).
  app.decorate('locks', new AggregateLocks(connection));
  app.health.addCheck('mongo', async () => {
    await connection.db!.command({ ping: 1 });
    return { database: opts.dbName };
  });
  // After every plugin has bound its models: unique indexes exist before any traffic or event.
  app.addHook('onReady', async () => {
    await ensureIndexes(connection);
  });
  app.addHook('onClose', async () => {
    await connection.close();
  });
}

export default fp(mongoPlugin, { name: 'foodxchange-mongo', fastify: '5.x', dependencies: ['foodxchange-health'] });

/**
 * Builds every model's indexes. Unique indexes are the platform's exactly-once guarantees
 * (DESIGN.md rule 2), so a service must not serve traffic before they exist.
 */
export async function ensureIndexes(connection: Connection): Promise<void> {
  for (const model of Object.values(connection.models)) {
    await model.createCollection().catch((error: { codeName?: string; code?: number }) => {
      if (error.codeName !== 'NamespaceExists' && error.code !== 48) throw error;
    });
    await model.createIndexes();
  }
}
