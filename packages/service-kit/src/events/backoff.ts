import { isDuplicateKeyError } from '../persistence/duplicate-key.js';

/**
 * Exponential backoff with jitter: attempt n waits between half and all of base×2^(n-1),
 * capped. Jitter spreads retries of many consumers so a recovering dependency isn't stampeded.
 */
export function backoffDelay(attempt: number, baseMs: number, capMs = 30_000, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Marks failures that no retry can fix (bad payload, broken invariant): straight to the DLQ. */
export class PermanentError extends Error {
  readonly retryable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/** 4xx answers that do say "try again later": a retry can succeed. */
const TRANSIENT_CLIENT_STATUSES: ReadonlySet<number> = new Set([408, 425, 429]);

/**
 * Whether another attempt of a failed handler can succeed. Not retried, straight to the DLQ:
 * errors marked `retryable: false` (PermanentError), contract violations, 4xx-class errors (an
 * AppError or anything carrying a 400–499 `statusCode`: the request itself is wrong, asking again
 * gets the same answer) and duplicate-key errors (code 11000: the write already happened or
 * collides for good). An error marked `retryable: true` is always retried, and so are 408, 425
 * and 429, which mean "later".
 */
export function isRetryable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return true;
  const err = error as { retryable?: unknown; name?: unknown; statusCode?: unknown; code?: unknown };
  if (err.retryable === true) return true;
  if (err.retryable === false) return false;
  if (err.name === 'ContractViolationError') return false;
  if (isDuplicateKeyError(error)) return false;
  const status = typeof err.statusCode === 'number' ? err.statusCode : undefined;
  if (status !== undefined && status >= 400 && status < 500 && !TRANSIENT_CLIENT_STATUSES.has(status)) return false;
  return true;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
