/**
 * Whether a write failed on a unique index. MongoDB says so with code 11000 for every write;
 * FerretDB 1.x does for inserts, but an update that collides comes back as code 1
 * (InternalError) carrying PostgreSQL's unique-violation state, SQLSTATE 23505 (measured with
 * 1.24.2): both mean the same conflict, so both are treated as one.
 */
export function isDuplicateKeyError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code === 11000) return true;
  return code === 1 && typeof message === 'string' && message.includes('(SQLSTATE 23505)');
}
