import { isDuplicateKeyError } from '@foodxchange/service-kit';
import type { RfqModel } from './model.js';

/** `RFQ-2026-000123`: the UTC year and a sequence per year, at least six digits. */
export function formatRfqNumber(year: number, seq: number): string {
  return `RFQ-${year}-${String(seq).padStart(6, '0')}`;
}

const MAX_ATTEMPTS = 20;

/**
 * Hands out RFQ numbers without a shared counter document (concurrent updates of one document
 * lose writes on the local server, DESIGN.md). The unique index on `number` is the guarantee:
 * the allocator proposes the next number, the RFQ's insert claims it, and an insert refused with
 * 11000 on the number (another replica took it) re-reads the year's highest number and tries the
 * next one. Within one process numbers are handed out synchronously, so concurrent creates in a
 * replica never collide with each other; replicas collide only when they create in the same
 * moment, and then converge on the stored highest number.
 */
export class RfqNumbers {
  private readonly next = new Map<number, number>();
  private readonly seeding = new Map<number, Promise<void>>();

  constructor(private readonly rfqs: RfqModel) {}

  /**
   * Runs `insert` with a fresh number of `year`, retrying with the next number while another RFQ
   * holds it. Other errors are thrown as they are.
   */
  async insertWithNumber<T>(year: number, insert: (number: string, seq: number) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      const seq = await this.allocate(year);
      try {
        return await insert(formatRfqNumber(year, seq), seq);
      } catch (error) {
        // The `_id` is a fresh random UUID: a duplicate can only be the number (the local server
        // reports it without naming the index).
        if (!isDuplicateKeyError(error) || attempt >= MAX_ATTEMPTS) throw error;
        await this.reseed(year, seq);
      }
    }
  }

  private async allocate(year: number): Promise<number> {
    if (!this.next.has(year)) await this.reseed(year, 0);
    const seq = this.next.get(year)!;
    this.next.set(year, seq + 1);
    return seq;
  }

  /** The next number is above both the year's highest stored one and `atLeast` (one seed at a time). */
  private async reseed(year: number, atLeast: number): Promise<void> {
    let pending = this.seeding.get(year);
    if (!pending) {
      pending = (async () => {
        const highest = await this.rfqs.findOne({ numberYear: year }, { numberSeq: 1 }).sort({ numberSeq: -1 }).lean();
        const stored = (highest?.numberSeq ?? 0) + 1;
        this.next.set(year, Math.max(this.next.get(year) ?? 1, stored));
      })().finally(() => this.seeding.delete(year));
      this.seeding.set(year, pending);
    }
    await pending;
    this.next.set(year, Math.max(this.next.get(year) ?? 1, atLeast + 1));
  }
}
