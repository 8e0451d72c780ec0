import { LRUCache } from 'lru-cache';
import type { Redis } from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';

/**
 * What the cache holds for a key: the value at `version`, or a tombstone (`value: null`) for a
 * deleted aggregate at `version`, so reads of a deleted product are answered without the database.
 */
export interface CacheEntry<T> {
  version: number;
  value: T | null;
}

export interface VersionedCacheOptions {
  redis: Redis;
  /** Redis key prefix, e.g. `catalog:product:`. */
  prefix: string;
  /** Entries kept in process. */
  l1Max: number;
  /** Safety net for an invalidation this replica missed (its broadcast consumer was away). */
  l1TtlMs: number;
  /** How long Redis keeps an entry; every write replaces it. */
  redisTtlSeconds: number;
  log: FastifyBaseLogger;
}

/**
 * A two-level read-through cache of versioned aggregates: an in-process LRU (L1), then Redis
 * (L2, shared by the replicas), then the loader (the database).
 *
 * Why versions: a reader that loaded version 1 from the database just before a writer saved
 * version 2 must not put version 1 back into the cache after the writer's invalidation. So:
 * - the writer *sets* both levels to what it wrote (a tombstone for a delete) rather than
 *   deleting, and readers fill Redis only with SET NX, which never replaces the writer's entry;
 * - each replica remembers, per key, the newest version it has been told about (its own writes
 *   and the broadcast events of the others'), and refuses to keep anything older in L1; an older
 *   entry found in Redis (the writer's SET not done yet, or failed) is read again from the loader.
 * Redis being away degrades to L1 plus the loader; it never fails a read.
 */
export class VersionedCache<T> {
  private readonly l1: LRUCache<string, CacheEntry<T>>;
  /** Newest version this replica knows of per key: nothing older is cached here. */
  private readonly floors: LRUCache<string, number>;
  private redisWarned = 0;

  constructor(private readonly options: VersionedCacheOptions) {
    this.l1 = new LRUCache({ max: options.l1Max, ttl: options.l1TtlMs });
    this.floors = new LRUCache({ max: options.l1Max * 2, ttl: Math.max(options.l1TtlMs, options.redisTtlSeconds * 1000) });
  }

  private redisKey(key: string): string {
    return `${this.options.prefix}${key}`;
  }

  private warn(error: unknown): void {
    // Once a minute at most: a Redis outage is reported by the health check, not per request.
    const now = Date.now();
    if (now - this.redisWarned < 60_000) return;
    this.redisWarned = now;
    this.options.log.warn({ err: error }, 'product cache: Redis unavailable, reading through');
  }

  private floor(key: string): number {
    return this.floors.get(key) ?? 0;
  }

  private keepInL1(key: string, entry: CacheEntry<T>): void {
    const current = this.l1.get(key);
    if (entry.version < this.floor(key) || (current && current.version > entry.version)) return;
    this.l1.set(key, entry);
  }

  /** Which level answered the last `get` of each kind: for tests and metrics. */
  readonly stats = { l1: 0, l2: 0, loads: 0 };

  /**
   * The entry of `key`: L1, else Redis, else `load()` (null when it does not exist: not cached,
   * so unknown ids cannot fill the cache).
   */
  async get(key: string, load: () => Promise<CacheEntry<T> | null>): Promise<CacheEntry<T> | null> {
    const local = this.l1.get(key);
    if (local && local.version >= this.floor(key)) {
      this.stats.l1 += 1;
      return local;
    }
    let shared: CacheEntry<T> | undefined;
    try {
      const text = await this.options.redis.get(this.redisKey(key));
      if (text) shared = JSON.parse(text) as CacheEntry<T>;
    } catch (error) {
      this.warn(error);
    }
    if (shared && shared.version >= this.floor(key)) {
      this.stats.l2 += 1;
      this.keepInL1(key, shared);
      return shared;
    }
    this.stats.loads += 1;
    const loaded = await load();
    if (!loaded) return null;
    this.keepInL1(key, loaded);
    try {
      if (shared) {
        // Redis holds an older version than we know exists: replace it (the writer's SET failed).
        if (shared.version < loaded.version) await this.options.redis.set(this.redisKey(key), JSON.stringify(loaded), 'EX', this.options.redisTtlSeconds);
      } else {
        await this.options.redis.set(this.redisKey(key), JSON.stringify(loaded), 'EX', this.options.redisTtlSeconds, 'NX');
      }
    } catch (error) {
      this.warn(error);
    }
    return loaded;
  }

  /** The writer's path: both levels now hold what was written (a tombstone for a delete). */
  async written(key: string, entry: CacheEntry<T>): Promise<void> {
    await this.writtenMany([[key, entry]]);
  }

  async writtenMany(entries: ReadonlyArray<readonly [string, CacheEntry<T>]>): Promise<void> {
    if (entries.length === 0) return;
    for (const [key, entry] of entries) {
      this.raiseFloor(key, entry.version);
      this.keepInL1(key, entry);
    }
    try {
      const pipeline = this.options.redis.pipeline();
      for (const [key, entry] of entries) pipeline.set(this.redisKey(key), JSON.stringify(entry), 'EX', this.options.redisTtlSeconds);
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([error]) => error);
      if (failed) throw failed[0];
    } catch (error) {
      this.warn(error);
    }
  }

  /**
   * Another replica wrote `version` of `key` (its event reached this replica's broadcast
   * consumer): drop anything older from L1 and refuse it from now on.
   */
  invalidate(key: string, version: number): void {
    this.raiseFloor(key, version);
    const local = this.l1.get(key);
    if (local && local.version < version) this.l1.delete(key);
  }

  private raiseFloor(key: string, version: number): void {
    if (version > this.floor(key)) this.floors.set(key, version);
  }

  /** Drops one key from this replica's L1 (an invalidation that names no version). */
  dropLocal(key: string): void {
    this.l1.delete(key);
  }

  /** Forgets this replica's L1 (tests, and an operator's escape hatch). */
  clearLocal(): void {
    this.l1.clear();
  }
}
