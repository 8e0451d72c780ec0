import type { OrderNumberHintModel } from './model.js';

/** `ORD-2026-000123`: six digits at least (a seventh appears past a million orders a year). */
export function formatOrderNumber(year: number, sequence: number): string {
  return `ORD-${year}-${String(sequence).padStart(6, '0')}`;
}

export const ORDER_NUMBER_PATTERN = '^ORD-\\d{4}-\\d{6,}$';

/** After this many collisions in a row the hint is read again (another replica ran far ahead). */
const REREAD_HINT_EVERY = 8;

/**
 * Hands out order-number candidates. Uniqueness is the unique index on `orderNumber`: the caller
 * inserts the order with a candidate and, on a collision with that index, asks for the next one
 * (`collided`). Candidates are sequential per process (no two calls in one process get the same
 * one) and start from the year's hint, so replicas interleave with a collision now and then
 * instead of coordinating through a shared counter document, which the local server cannot update
 * concurrently without losing updates (DESIGN.md, "Persistence rules").
 */
export class OrderNumberAllocator {
  private readonly next = new Map<number, number>();
  private readonly loading = new Map<number, Promise<void>>();
  private readonly collisions = new Map<number, number>();

  constructor(private readonly hints: OrderNumberHintModel) {}

  /** The next candidate sequence of `year` (1-based). */
  async candidate(year: number): Promise<number> {
    if (!this.next.has(year)) await this.loadHint(year);
    const sequence = this.next.get(year)!;
    this.next.set(year, sequence + 1);
    return sequence;
  }

  /** The candidate was taken by someone else: the following ones are tried. */
  async collided(year: number): Promise<void> {
    const count = (this.collisions.get(year) ?? 0) + 1;
    this.collisions.set(year, count);
    if (count % REREAD_HINT_EVERY === 0) await this.loadHint(year, true);
  }

  /** The candidate was inserted: the hint moves past it (best effort: a lost update is harmless). */
  async taken(year: number, sequence: number): Promise<void> {
    this.collisions.set(year, 0);
    const id = String(year);
    try {
      const result = await this.hints.updateOne({ _id: id, next: { $lt: sequence + 1 } }, { $set: { next: sequence + 1 } });
      if (result.matchedCount === 0 && !(await this.hints.exists({ _id: id }))) {
        await this.hints.create({ _id: id, next: sequence + 1 });
      }
    } catch {
      // A concurrent first insert of the hint, or the database away: the next order moves it on.
    }
  }

  private async loadHint(year: number, force = false): Promise<void> {
    let pending = this.loading.get(year);
    if (!pending || force) {
      pending = (async () => {
        const hint = await this.hints.findById(String(year)).lean();
        const fromHint = hint?.next ?? 1;
        this.next.set(year, Math.max(this.next.get(year) ?? 1, fromHint));
      })().finally(() => this.loading.delete(year));
      this.loading.set(year, pending);
    }
    await pending;
  }
}
