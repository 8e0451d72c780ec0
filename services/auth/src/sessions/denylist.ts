import type { Redis } from 'ioredis';
import { revocationKeys, revocationOf, revokedApiKeyKey, revokedTokenKey, suspendedUserKey, type Identity } from '@foodxchange/service-kit';

// The Redis keys are the kit's (revocation.ts): the gateway reads the same ones on every call.

/** A logged-out access token is refused until it would have expired anyway. */
export async function denylistToken(redis: Redis, jti: string, expiresAtMs: number, now = Date.now()): Promise<void> {
  const ttl = expiresAtMs - now;
  if (ttl > 0) await redis.set(revokedTokenKey(jti), '1', 'PX', ttl);
}

/**
 * Every access token of the user issued up to `atMs` is refused (tokens whose `iat * 1000 <= value`),
 * for as long as any of them can live. Never removed early: unsuspension lets the user sign in
 * again, it does not revive old tokens.
 */
export async function denylistUser(redis: Redis, userId: string, atMs: number, accessTokenTtlMs: number): Promise<void> {
  await redis.set(suspendedUserKey(userId), String(atMs), 'PX', accessTokenTtlMs + 60_000);
}

/**
 * Marks API keys revoked for the gateway (and auth's own routes). No expiry: the key stays dead,
 * and the exchange checks it too, so a revocation is kept even if its database write were lost.
 * NX keeps the first revocation's time.
 */
export async function markApiKeysRevoked(redis: Redis, keyIds: readonly string[], atMs: number): Promise<void> {
  if (keyIds.length === 0) return;
  const pipeline = redis.pipeline();
  for (const keyId of keyIds) pipeline.set(revokedApiKeyKey(keyId), String(atMs), 'NX');
  const results = await pipeline.exec();
  for (const [error] of results ?? []) if (error) throw error;
}

/**
 * Whether a verified token was revoked (logout), belongs to a user suspended since it was issued,
 * or was minted for an API key that has been revoked.
 */
export async function isRevoked(redis: Redis, identity: Identity): Promise<boolean> {
  return revocationOf(identity, await redis.mget(...revocationKeys(identity))) !== undefined;
}
