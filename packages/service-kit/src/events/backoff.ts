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

export function isRetryable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return true;
  if ((error as { retryable?: unknown }).retryable === false) return false;
  return (error as { name?: string }).name !== 'ContractViolationError';
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
