import { describe, expect, it } from 'vitest';
import { waitFor } from '@foodxchange/service-kit/testing';
import { CompanyCopyCache } from '../src/matching/company-cache.js';
import type { CompanyCopy } from '../src/companies/service.js';

const copy = (id: string, verified: boolean) => ({ _id: id, name: id, verified }) as unknown as CompanyCopy;

function store() {
  const copies = new Map<string, CompanyCopy>([
    ['a', copy('a', false)],
    ['b', copy('b', false)],
  ]);
  const reads: string[][] = [];
  const load = async (ids: Iterable<string>) => {
    const wanted = [...ids];
    reads.push(wanted);
    return new Map(wanted.flatMap((id) => (copies.has(id) ? [[id, copies.get(id)!] as const] : [])));
  };
  return { copies, reads, load };
}

describe('the company copies matching keeps in process', () => {
  it('reads each copy once, then serves it from memory until it is stale', async () => {
    const { reads, load } = store();
    let now = 0;
    const cache = new CompanyCopyCache(load, { ttlMs: 1000, max: 100, now: () => now });
    expect([...(await cache.get(['a', 'b', 'x'])).keys()]).toEqual(['a', 'b']);
    expect(await cache.get(['a', 'b', 'x'])).toHaveProperty('size', 2);
    expect(reads).toEqual([['a', 'b', 'x']]);
    // only what it never saw is read before answering
    await cache.get(['a', 'c']);
    expect(reads).toEqual([['a', 'b', 'x'], ['c']]);
  });

  it('answers a stale copy at once and refreshes it in the background', async () => {
    const { copies, reads, load } = store();
    let now = 0;
    const cache = new CompanyCopyCache(load, { ttlMs: 1000, max: 100, now: () => now });
    await cache.get(['a']);
    copies.set('a', copy('a', true));
    now = 1500;
    expect((await cache.get(['a'])).get('a')!.verified).toBe(false);
    await waitFor(() => !cache.busy, { what: 'the refresh' });
    expect((await cache.get(['a'])).get('a')!.verified).toBe(true);
    expect(reads).toEqual([['a'], ['a']]);
  });

  it('reads a copy again right after this replica changed it, and every time with a ttl of 0', async () => {
    const { copies, reads, load } = store();
    const cache = new CompanyCopyCache(load, { ttlMs: 60_000, max: 100 });
    await cache.get(['a']);
    copies.set('a', copy('a', true));
    cache.invalidate('a');
    expect((await cache.get(['a'])).get('a')!.verified).toBe(true);
    const uncached = new CompanyCopyCache(load, { ttlMs: 0, max: 100 });
    await uncached.get(['b']);
    await uncached.get(['b']);
    expect(reads.slice(-2)).toEqual([['b'], ['b']]);
  });
});
