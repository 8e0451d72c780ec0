import type { Identity } from './access.js';

/**
 * Revocations of verified tokens, kept in Redis by auth and read by whoever serves a token
 * (the gateway on every call, auth on its own routes): the one place that knows the keys and how
 * to read them.
 */
/** A logged-out token, until it would have expired anyway. */
export const revokedTokenKey = (jti: string) => `auth:denylist:jti:${jti}`;
/** Epoch ms of a user's suspension: tokens of that user issued up to then are dead. */
export const suspendedUserKey = (userId: string) => `auth:denylist:user:${userId}`;
/** Epoch ms of an API key's revocation: tokens minted for that key are dead. */
export const revokedApiKeyKey = (keyId: string) => `auth:apikey:revoked:${keyId}`;

/** The keys to read (in one MGET) for a caller: its token, its user and, for API-key tokens, its key. */
export function revocationKeys(identity: Identity): string[] {
  return [
    revokedTokenKey(identity.tokenId),
    suspendedUserKey(identity.userId),
    ...(identity.apiKeyId ? [revokedApiKeyKey(identity.apiKeyId)] : []),
  ];
}

/**
 * Why the caller's token may no longer be used, given the values MGET answered for
 * `revocationKeys(identity)` in that order; undefined while it may. A token without `iat` cannot
 * be placed after a suspension, so it dies with it.
 */
export function revocationOf(identity: Identity, [revokedToken, suspendedAt, revokedKey]: readonly (string | null | undefined)[]): string | undefined {
  if (revokedKey) return 'The API key has been revoked';
  if (revokedToken) return 'The access token has been revoked: sign in again';
  if (suspendedAt && (identity.issuedAt === undefined || identity.issuedAt <= Number(suspendedAt))) {
    return 'Every session of this account was ended (signed out everywhere, or suspended): sign in again';
  }
  return undefined;
}
