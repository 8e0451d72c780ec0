import type { Redis } from 'ioredis';

/** Redis keys the gateway reads too (identity-contract.md): one MGET per authenticated request. */
export const jtiDenylistKey = (jti: string) => `auth:denylist:jti:${jti}`;
export const userDenylistKey = (userId: string) => `auth:denylist:user:${userId}`;
/** Set (epoch ms of the revocation, no expiry) when an API key is revoked: tokens carrying that `akid` are refused. */
export const apiKeyRevokedKey = (keyId: string) => `auth:apikey:revoked:${keyId}`;

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

/**
 * Marks API keys revoked for the gateway (and auth's own routes). No expiry: the key stays dead,
 * and the exchange checks it too, so a revocation is kept even if its database write were lost.
 * NX keeps the first revocation's time.
 */
export async function markApiKeysRevoked(redis: Redis, keyIds: readonly string[], atMs: number): Promise<void> {
  if (keyIds.length === 0) return;
  const pipeline = redis.pipeline();
  for (const keyId of keyIds) pipeline.set(apiKeyRevokedKey(keyId), String(atMs), 'NX');
  const results = await pipeline.exec();
  for (const [error] of results ?? []) if (error) throw error;
}

/**
 * Whether a verified token was revoked (logout), belongs to a user suspended since it was issued,
 * or was minted for an API key that has been revoked.
 */
export async function isRevoked(redis: Redis, token: { jti: string; userId: string; iatSeconds?: number; apiKeyId?: string }): Promise<boolean> {
  const keys = [jtiDenylistKey(token.jti), userDenylistKey(token.userId), ...(token.apiKeyId ? [apiKeyRevokedKey(token.apiKeyId)] : [])];
  const [jti, user, apiKey] = await redis.mget(...keys);
  if (jti || apiKey) return true;
  if (user && (token.iatSeconds === undefined || token.iatSeconds * 1000 <= Number(user))) return true;
  return false;
}
