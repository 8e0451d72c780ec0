import { LRUCache } from 'lru-cache';
import type { FastifyBaseLogger } from 'fastify';
import type { CompanyCopy } from '../companies/service.js';

/**
 * The company read copies matching reads, kept in process for a few seconds. Every match needs
 * the copies of the few hundred suppliers its searches found, and on the local Mongo-compatible
 * server one `$in` read of 300 copies takes ~100 ms (measured; the whole match without it ~40 ms),
 * more than the match's budget. Copies change rarely (a certificate, a verification, a profile).
 *
 * Stale-while-revalidate: an entry older than `ttlMs` is still used while one background read
 * refreshes the stale ones, so a busy replica never waits for Mongo after its first match; the
 * replica that applies a change to a copy drops its entry at once (`invalidate`), the others see
 * it at the first match after `ttlMs`. `ttlMs` 0 reads every copy on every match.
 */
export class CompanyCopyCache {
  private readonly entries: LRUCache<string, { copy: CompanyCopy | null; fetchedAt: number }>;
  private refreshing = false;

  constructor(
    private readonly load: (ids: Iterable<string>) => Promise<Map<string, CompanyCopy>>,
    private readonly options: { ttlMs: number; max: number; log?: FastifyBaseLogger; now?: () => number },
  ) {
    this.entries = new LRUCache({ max: Math.max(1, options.max) });
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private store(ids: readonly string[], loaded: Map<string, CompanyCopy>, fetchedAt: number): void {
    // A company without a copy yet is remembered as absent too (it is looked up again after ttlMs).
    for (const id of ids) this.entries.set(id, { copy: loaded.get(id) ?? null, fetchedAt });
  }

  /** The copies of `ids` that exist (absent ids have none). */
  async get(ids: Iterable<string>): Promise<Map<string, CompanyCopy>> {
    const wanted = [...new Set(ids)];
    if (this.options.ttlMs <= 0) return this.load(wanted);
    const now = this.now();
    const found = new Map<string, CompanyCopy>();
    const missing: string[] = [];
    const stale: string[] = [];
    for (const id of wanted) {
      const entry = this.entries.get(id);
      if (!entry) {
        missing.push(id);
        continue;
      }
      if (entry.copy) found.set(id, entry.copy);
      if (now - entry.fetchedAt >= this.options.ttlMs) stale.push(id);
    }
    if (missing.length > 0) {
      const loaded = await this.load(missing);
      this.store(missing, loaded, this.now());
      for (const [id, copy] of loaded) found.set(id, copy);
    }
    if (stale.length > 0) this.refresh(stale);
    return found;
  }

  /** One background read at a time; a failure leaves the entries stale (the next match retries). */
  private refresh(ids: string[]): void {
    if (this.refreshing) return;
    this.refreshing = true;
    const startedAt = this.now();
    this.load(ids)
      .then((loaded) => this.store(ids, loaded, startedAt))
      .catch((error: unknown) => this.options.log?.warn({ err: error }, 'company copies for matching not refreshed'))
      .finally(() => {
        this.refreshing = false;
      });
  }

  /** Whether a background refresh is running (tests wait for it). */
  get busy(): boolean {
    return this.refreshing;
  }

  invalidate(companyId: string): void {
    this.entries.delete(companyId);
  }
}
