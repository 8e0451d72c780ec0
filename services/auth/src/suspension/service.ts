import type { EventData } from '@foodxchange/contracts';
import type { FastifyBaseLogger } from 'fastify';
import type { AuthDeps } from '../deps.js';
import { revokeApiKeysOf } from '../apikeys/service.js';
import { denylistUser } from '../sessions/denylist.js';
import { revokeAllFamilies } from '../sessions/service.js';

/**
 * `user.suspended`: the account may no longer sign in, every refresh family and every API key the
 * user created is revoked (keys also marked in Redis for the gateway), and the user is denylisted so live access tokens fail on their next request. Idempotent (a redelivery
 * repeats the same writes); the status only moves forward in event time, so a late redelivery of
 * an old suspension does not undo a newer unsuspension.
 */
export async function applySuspension(deps: AuthDeps, data: EventData<'user.suspended'>, log: FastifyBaseLogger): Promise<void> {
  const at = new Date(data.suspendedAt);
  const changed = await deps.credentials.updateOne(
    { _id: data.userId, statusChangedAt: { $lt: at } },
    { $set: { status: 'suspended', statusChangedAt: at, suspendedAt: at } },
  );
  const current = await deps.credentials.findById(data.userId).select({ status: 1 }).lean();
  if (!current) log.warn({ userId: data.userId }, 'user.suspended for an unknown user: sessions revoked anyway');
  if (current && current.status !== 'suspended') return; // lifted since (a newer unsuspension was applied)
  // Every token issued up to now dies, including any minted between the suspension and this handler.
  // The mark is the start of this second: tokens carry `iat` in whole seconds, so this still covers
  // every token issued so far, and one issued in a later second (after an unsuspension) lives.
  await denylistUser(deps.redis, data.userId, Math.floor(Date.now() / 1000) * 1000, deps.config.ACCESS_TOKEN_TTL_S * 1000);
  const revoked = await revokeAllFamilies(deps, data.userId, 'user suspended');
  const revokedApiKeys = await revokeApiKeysOf(deps, data.userId, 'user suspended');
  log.info({ userId: data.userId, revokedFamilies: revoked, revokedApiKeys, statusChanged: changed.modifiedCount === 1 }, 'user suspended');
}

/** `user.unsuspended`: the user may sign in again (old tokens stay dead). */
export async function applyUnsuspension(deps: AuthDeps, data: EventData<'user.unsuspended'>, log: FastifyBaseLogger): Promise<void> {
  const at = new Date(data.unsuspendedAt);
  const changed = await deps.credentials.updateOne(
    { _id: data.userId, statusChangedAt: { $lt: at } },
    { $set: { status: 'active', statusChangedAt: at, suspendedAt: null } },
  );
  log.info({ userId: data.userId, statusChanged: changed.modifiedCount === 1 }, 'user unsuspended');
}
