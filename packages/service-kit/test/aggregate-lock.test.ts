import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Schema, type Connection, type Model } from 'mongoose';
import { AggregateLocks, ConflictError, LockLostError, connectMongo, type HeldLock } from '../src/index.js';
import { uniqueSuffix, waitFor } from '../src/testing.js';

interface Counter {
  _id: string;
  items: number[];
}
// No `lockToken` in the schema on purpose: fenced saves must stamp any aggregate.
interface Stock {
  _id: string;
  value: string;
}

const mongoUrl = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017/?directConnection=true';
const dbName = `test_locks_${uniqueSuffix()}`;
let connection: Connection;
let counters: Model<Counter>;
let stocks: Model<Stock>;
const children: ChildProcess[] = [];

beforeAll(async () => {
  connection = await connectMongo({ url: mongoUrl, dbName });
  counters = connection.model<Counter>('Counter', new Schema<Counter>({ _id: String, items: [Number] }));
  stocks = connection.model<Stock>('Stock', new Schema<Stock>({ _id: String, value: String }));
});

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

afterAll(async () => {
  await connection.dropDatabase();
  await connection.close();
});

/** A lock holder in another process (fixtures/lock-holder.ts): one we can really pause or kill. */
function startHolder(key: string, stockId: string, leaseMs: number) {
  const child = fork(fileURLToPath(new URL('./fixtures/lock-holder.ts', import.meta.url)), [], {
    // Plain node with tsx's loader (not the tsx CLI, which would be a parent process): SIGSTOP
    // must reach the process that holds the lock.
    execArgv: ['--import', 'tsx'],
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, MONGO_URL: mongoUrl, MONGO_DB: dbName, KEY: key, STOCK_ID: stockId, LEASE_MS: String(leaseMs) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  // Listened for from the start: a holder can exit before the test gets round to waiting.
  const exited = once(child, 'exit');
  const messages: Record<string, unknown>[] = [];
  child.on('message', (message) => messages.push(message as Record<string, unknown>));
  const next = (field: string) => waitFor(() => messages.find((message) => field in message), { timeoutMs: 30_000, what: `holder's ${field}` });
  return { child, next, exited };
}

const stockId = () => `stock-${uniqueSuffix()}`;

describe('aggregate locks', () => {
  it('serialises concurrent load → modify → save writers so none is lost', async () => {
    const locks = new AggregateLocks(connection, { waitMs: 30_000 });
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
    const locks = new AggregateLocks(connection, { waitMs: 500 });
    let release!: () => void;
    let started!: () => void;
    const holdingStarted = new Promise<void>((resolve) => (started = resolve));
    const holding = locks.withLock('counter:busy', () => {
      started();
      return new Promise<void>((resolve) => (release = resolve));
    });
    await holdingStarted;
    await expect(locks.withLock('counter:busy', async () => 'never')).rejects.toBeInstanceOf(ConflictError);
    release();
    await holding;
    expect(await locks.withLock('counter:busy', async () => 'free again')).toBe('free again');
  });

  it('releases the lock when the work throws', async () => {
    const locks = new AggregateLocks(connection, { waitMs: 500 });
    await expect(locks.withLock('counter:boom', async () => Promise.reject(new Error('domain error')))).rejects.toThrow('domain error');
    expect(await locks.withLock('counter:boom', async () => 'next')).toBe('next');
  });

  it("fences a normal holder's writes with a token that grows with every holder", async () => {
    const locks = new AggregateLocks(connection);
    const id = stockId();
    let first!: HeldLock;
    await locks.withLock(`stock:${id}`, async (lock) => {
      first = lock;
      await lock.save(new stocks({ _id: id, value: 'created' }));
    });
    expect((await stocks.collection.findOne({ _id: id as never }))?.lockToken).toBe(first.token);

    const second = await locks.withLock(`stock:${id}`, async (lock) => {
      const stock = await stocks.findById(id);
      stock!.value = 'saved';
      await lock.save(stock!);
      const update = await lock.fenced(() => stocks.updateOne({ _id: id, ...lock.fenceFilter }, { $set: { value: 'updated', lockToken: lock.token } }));
      expect(update.matchedCount).toBe(1);
      return lock;
    });
    expect(second.token).toBeGreaterThan(first.token);
    expect(await stocks.collection.findOne({ _id: id as never })).toMatchObject({ value: 'updated', lockToken: second.token });
    // Outside `work` the critical section is over: a late write through the lock is refused.
    await expect(second.assertHeld()).rejects.toBeInstanceOf(LockLostError);
  });

  it('renews the lease, so a holder working far past leaseMs is not robbed', async () => {
    const holder = new AggregateLocks(connection, { leaseMs: 2_000 });
    const contender = new AggregateLocks(connection, { waitMs: 500 });
    const id = stockId();
    await stocks.create({ _id: id, value: 'initial' });
    await holder.withLock(`stock:${id}`, async (lock) => {
      const stock = await stocks.findById(id);
      const startedAt = Date.now();
      let attempts = 0;
      // Three leases long; without renewal the contender takes over after the first.
      while (Date.now() - startedAt < 6_000) {
        await expect(contender.withLock(`stock:${id}`, async () => 'stolen')).rejects.toBeInstanceOf(ConflictError);
        attempts += 1;
      }
      expect(attempts).toBeGreaterThan(1);
      expect(lock.signal.aborted).toBe(false);
      stock!.value = 'long work done';
      await lock.save(stock!);
    });
    expect((await stocks.findById(id).lean())?.value).toBe('long work done');
  });

  it('a holder paused past its lease (SIGSTOP) is refused when it resumes; the writer that took over keeps its write', async () => {
    const id = stockId();
    await stocks.create({ _id: id, value: 'initial' });
    const a = startHolder(`stock:${id}`, id, 1_500);
    const { held: tokenA } = (await a.next('held')) as { held: number };
    a.child.kill('SIGSTOP');

    const b = new AggregateLocks(connection, { waitMs: 30_000 });
    const tokenB = await b.withLock(`stock:${id}`, async (lock) => {
      const stock = await stocks.findById(id);
      stock!.value = 'from-b';
      await lock.save(stock!);
      // A wakes up while B still holds the lock and tries the write it was about to make.
      a.child.kill('SIGCONT');
      a.child.send('write');
      expect(await a.next('refused')).toEqual({ refused: 'LockLostError', aborted: true });
      return lock.token;
    });
    expect(tokenB).toBeGreaterThan(tokenA);
    expect(await stocks.collection.findOne({ _id: id as never })).toMatchObject({ value: 'from-b', lockToken: tokenB });
    await a.exited;
  });

  it('a holder that died (SIGKILL) delays the next writer by its lease, never blocks it', async () => {
    const id = stockId();
    await stocks.create({ _id: id, value: 'initial' });
    const a = startHolder(`stock:${id}`, id, 1_500);
    const { held: tokenA } = (await a.next('held')) as { held: number };
    a.child.kill('SIGKILL');
    await a.exited;
    const b = new AggregateLocks(connection, { waitMs: 30_000 });
    const tokenB = await b.withLock(`stock:${id}`, async (lock) => {
      const stock = await stocks.findById(id);
      stock!.value = 'recovered';
      await lock.save(stock!);
      return lock.token;
    });
    expect(tokenB).toBeGreaterThan(tokenA);
    expect((await stocks.findById(id).lean())?.value).toBe('recovered');
  });

  it("refuses a live-looking holder's write once a replica with a fast clock has taken over", async () => {
    // A never renews during the test, so only the database check can tell it that it lost.
    const a = new AggregateLocks(connection, { leaseMs: 60_000, renewEveryMs: 600_000 });
    const fastClock = new AggregateLocks(connection, { waitMs: 10_000, now: () => Date.now() + 120_000 });
    const id = stockId();
    await stocks.create({ _id: id, value: 'initial' });
    await a.withLock(`stock:${id}`, async (lock) => {
      const stock = await stocks.findById(id);
      await fastClock.withLock(`stock:${id}`, async (successor) => {
        const fresh = await stocks.findById(id);
        fresh!.value = 'from-b';
        await successor.save(fresh!);
      });
      stock!.value = 'from-a';
      await expect(lock.save(stock!)).rejects.toBeInstanceOf(LockLostError);
      expect(lock.signal.aborted).toBe(true);
    });
    expect((await stocks.findById(id).lean())?.value).toBe('from-b');
  });

  it('a renewal that finds the lock taken over aborts the work', async () => {
    const a = new AggregateLocks(connection, { leaseMs: 60_000, renewEveryMs: 200 });
    const fastClock = new AggregateLocks(connection, { waitMs: 10_000, now: () => Date.now() + 120_000 });
    const id = stockId();
    await a.withLock(`stock:${id}`, async (lock) => {
      await fastClock.withLock(`stock:${id}`, async () => undefined);
      await waitFor(() => lock.signal.aborted, { what: 'the renewal to notice' });
      expect(lock.signal.reason).toBeInstanceOf(LockLostError);
    });
  });

  it('refuses to save over an aggregate stamped by a later holder, even while our lease looks held', async () => {
    const locks = new AggregateLocks(connection);
    const id = stockId();
    await stocks.create({ _id: id, value: 'initial' });
    await locks.withLock(`stock:${id}`, async (lock) => {
      const stock = await stocks.findById(id);
      // What a successor's save leaves behind; the write itself must check it (atomic on MongoDB).
      await stocks.collection.updateOne({ _id: id as never }, { $set: { value: 'from-later-holder', lockToken: lock.token + 1 } });
      stock!.value = 'from-a';
      await expect(lock.save(stock!)).rejects.toBeInstanceOf(LockLostError);
    });
    expect((await stocks.findById(id).lean())?.value).toBe('from-later-holder');
  });
});
