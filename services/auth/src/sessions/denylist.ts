import type { Redis } from 'ioredis';

/** Redis keys the gateway reads too (identity-contract.md): one MGET per authenticated request. */
export const jtiDenylistKey = (jti: string) => `auth:denylist:jti:${jti}`;
export const userDenylistKey = (userId: string) => `auth:denylist:user:${userId}`;

/** A logged-out access token is refused until it would have expired anyway. */
export async function denylistToken(redis: Redis, jti: string, expiresAtMs: number, now = Date.now()): Promise<void> {
  const ttl = expiresAtMs - now;
  if (ttl > 0) await redis.set(jtiDenylistKey(jti), '1', 'PX', ttl);
}

/**
 * Every access token of the user issued up to `atMs` is refused (tokens whose `iat * 1000 <= value`),
 * for as long as any of them can live. Never removed early: unsuspension lets the user sign in
 * again, it does not revive old tokens.
 */
export async function denylistUser(redis: Redis, userId: string, atMs: number, accessTokenTtlMs: number): Promise<void> {
  await redis.set(userDenylistKey(userId), String(atMs), 'PX', accessTokenTtlMs + 60_000);
}

/** Whether a verified token was revoked (logout) or belongs to a user suspended since it was issued. */
export async function isRevoked(redis: Redis, token: { jti: string; userId: string; iatSeconds?: number }): Promise<boolean> {
  const [jti, user] = await redis.mget(jtiDenylistKey(token.jti), userDenylistKey(token.userId));
  if (jti) return true;
  if (user && (token.iatSeconds === undefined || token.iatSeconds * 1000 <= Number(user))) return true;
  return false;
}
