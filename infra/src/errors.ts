/**
 * An error whose message is one sentence a person can act on (what is missing and what to do).
 * The CLI prints only the message of these, never a stack trace.
 */
export class InfraError extends Error {
  override name = 'InfraError';
}

/** The message of anything thrown, without a stack: for sentences that quote a cause. */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map(describeError).join('; ');
  }
  if (error instanceof Error) {
    return error.message || error.name;
  }
  return String(error);
}
