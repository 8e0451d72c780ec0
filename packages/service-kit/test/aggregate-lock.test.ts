import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Schema, type Connection, type Model } from 'mongoose';
import { AggregateLocks, ConflictError, connectMongo } from '../src/index.js';
import { uniqueSuffix } from '../src/testing.js';

interface Counter {
  _id: string;
  items: number[];
}

let connection: Connection;
let counters: Model<Counter>;

beforeAll(async () => {
  connection = await connectMongo({
    url: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017/?directConnection=true',
    dbName: `test_locks_${uniqueSuffix()}`,
  });
  counters = connection.model<Counter>('Counter', new Schema<Counter>({ _id: String, items: [Number] }));
});

afterAll(async () => {
  await connection.dropDatabase();
  await connection.close();
});

describe('aggregate locks', () => {
  it('serialises concurrent load → modify → save writers so none is lost', async () => {
    const locks = new AggregateLocks(connection, { waitMs: 20_000 });
    await counters.create({ _id: 'c1', items: [] });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        locks.withLock('counter:c1', async () => {
          const doc = await counters.findById('c1');
          doc!.items = [...doc!.items, i];
          await doc!.save();
        }),
      ),
    );
    const saved = await counters.findById('c1').lean();
    expect([...saved!.items].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('gives up with 409 when the lock stays taken', async () => {
    const locks = new AggregateLocks(connection, { waitMs: 200 });
    let release!: () => void;
    const holding = locks.withLock('counter:busy', () => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(locks.withLock('counter:busy', async () => 'never')).rejects.toBeInstanceOf(ConflictError);
    release();
    await holding;
    expect(await locks.withLock('counter:busy', async () => 'free again')).toBe('free again');
  });

  it('takes over a lease whose holder died', async () => {
    await connection.collection('aggregate_locks').insertOne({
      _id: 'counter:orphan' as never,
      owner: 'crashed-process',
      acquiredAt: new Date(Date.now() - 60_000),
      expiresAt: new Date(Date.now() - 30_000),
    });
    const locks = new AggregateLocks(connection, { waitMs: 1000 });
    expect(await locks.withLock('counter:orphan', async () => 'recovered')).toBe('recovered');
    expect(await connection.collection('aggregate_locks').findOne({ _id: 'counter:orphan' as never })).toBeNull();
  });

  it('releases the lock when the work throws', async () => {
    const locks = new AggregateLocks(connection, { waitMs: 200 });
    await expect(locks.withLock('counter:boom', async () => Promise.reject(new Error('domain error')))).rejects.toThrow('domain error');
    expect(await locks.withLock('counter:boom', async () => 'next')).toBe('next');
  });
});
