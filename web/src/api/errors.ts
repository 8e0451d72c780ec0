/**
 * Every API answer is an envelope; a failed one carries `error: { code, message, fields? }` where
 * `fields` maps a request path such as `body.items.0.quantity` to messages. The console shows
 * those messages next to the form controls they belong to.
 */
export interface ErrorBody {
  code: string;
  message: string;
  details?: unknown;
  fields?: Record<string, string[]>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string[]> = {},
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static network(cause: unknown): ApiError {
    const error = new ApiError(0, 'NETWORK_ERROR', 'FoodXchange cannot be reached. Check your connection and try again.');
    (error as { cause?: unknown }).cause = cause;
    return error;
  }

  /** From a failed answer's body (an envelope when the platform answered, anything otherwise). */
  static fromAnswer(status: number, body: unknown, retryAfter?: string | null): ApiError {
    const error = (body as { error?: Partial<ErrorBody> } | undefined)?.error;
    const seconds = retryAfter ? Number.parseInt(retryAfter, 10) : undefined;
    if (error && typeof error.message === 'string') {
      return new ApiError(status, error.code ?? 'ERROR', error.message, error.fields ?? {}, Number.isFinite(seconds) ? seconds : undefined);
    }
    return new ApiError(status, 'ERROR', fallbackMessage(status), {}, Number.isFinite(seconds) ? seconds : undefined);
  }
}

function fallbackMessage(status: number): string {
  if (status === 401) return 'Please sign in again.';
  if (status === 403) return 'You are not allowed to do this.';
  if (status === 404) return 'This was not found.';
  if (status === 429) return 'Too many requests. Wait a moment and try again.';
  if (status >= 500) return 'FoodXchange could not answer just now. Try again in a moment.';
  return `The request failed (${status}).`;
}

/** Turns `must be >= 1` into `Must be at least 1` and the like: words a buyer reads. */
export function humanize(message: string): string {
  const text = message
    .replace(/^must be >= (\S+)$/, 'must be at least $1')
    .replace(/^must be <= (\S+)$/, 'must be at most $1')
    .replace(/^must be > (\S+)$/, 'must be more than $1')
    .replace(/^must be < (\S+)$/, 'must be less than $1')
    .replace(/^must NOT have fewer than (\d+) characters$/, (_m, n: string) => (n === '1' ? 'is required' : `must have at least ${n} characters`))
    .replace(/^must NOT have more than (\d+) characters$/, 'must have at most $1 characters')
    .replace(/^must NOT have fewer than (\d+) items$/, 'needs at least $1')
    .replace(/^must NOT have more than (\d+) items$/, 'allows at most $1')
    .replace(/^must match format "email"$/, 'must be an e-mail address')
    .replace(/^must match format "date-time"$/, 'must be a date and time')
    .replace(/^must match format "date"$/, 'must be a date');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The field errors of one part of the request (`body` by default), keyed by the path inside it
 * (`items.0.quantity`), messages in words. Paths of other parts are left out.
 */
export function fieldErrors(error: unknown, part = 'body'): Record<string, string[]> {
  if (!(error instanceof ApiError)) return {};
  const mapped: Record<string, string[]> = {};
  for (const [path, messages] of Object.entries(error.fields)) {
    if (path !== part && !path.startsWith(`${part}.`)) continue;
    const key = path === part ? '' : path.slice(part.length + 1);
    (mapped[key] ??= []).push(...messages.map(humanize));
  }
  return mapped;
}

/** The message to show for any failure: the API's own words, or a plain fallback. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 429 && error.retryAfterSeconds) return `${error.message} Try again in ${error.retryAfterSeconds} s.`;
    return error.message;
  }
  if (error instanceof Error && error.message) return error.message;
  return 'Something went wrong.';
}
