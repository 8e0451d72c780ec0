import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { isPermission, permissionsOf, type Permission } from '@foodxchange/contracts';
import { AuthenticationError, AuthorizationError, ConflictError, NotFoundError, ValidationError, isDuplicateKeyError, type Identity } from '@foodxchange/service-kit';
import type { AuthDeps } from '../deps.js';
import type { CredentialDoc } from '../credentials/model.js';
import { revokedApiKeyKey } from '@foodxchange/service-kit';
import { markApiKeysRevoked } from '../sessions/denylist.js';
import type { ApiKeyDoc } from './model.js';

/** The header an integration sends its key in (the gateway reads the same one). */
export const API_KEY_HEADER = 'x-api-key';
const KEY_PREFIX = 'fxk_';
/** `fxk_<24 hex digits>_<43 base64url characters>`: the id has no `_`, so the first one after it splits. */
const KEY_FORMAT = /^fxk_([0-9a-f]{24})_([A-Za-z0-9_-]{43,128})$/;
export const DEFAULT_GRACE_S = 24 * 3600;
export const MAX_GRACE_S = 7 * 24 * 3600;
/** A key's last use is written at most this often per replica (not on every exchange). */
const USAGE_WRITE_INTERVAL_MS = 60_000;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  permissions: Permission[];
  createdBy: string;
  createdAt: string;
  lastUsedAt?: string;
  expiresAt?: string;
  revokedAt?: string;
  graceUntil?: string;
  rotatedFrom?: string;
}

function viewOf(doc: ApiKeyDoc, lastUsedAt?: Date): ApiKeyView {
  return {
    id: doc._id,
    name: doc.name,
    prefix: `${KEY_PREFIX}${doc._id}`,
    permissions: doc.permissions,
    createdBy: doc.createdBy,
    createdAt: doc.createdAt.toISOString(),
    ...(lastUsedAt ? { lastUsedAt: lastUsedAt.toISOString() } : {}),
    ...(doc.expiresAt ? { expiresAt: doc.expiresAt.toISOString() } : {}),
    ...(doc.revokedAt ? { revokedAt: doc.revokedAt.toISOString() } : {}),
    ...(doc.graceUntil ? { graceUntil: doc.graceUntil.toISOString() } : {}),
    ...(doc.rotatedFrom ? { rotatedFrom: doc.rotatedFrom } : {}),
  };
}

/** A new key id and secret: the secret is 32 random bytes, shown once, stored as its SHA-256. */
function newKeyMaterial(): { id: string; key: string; secretHash: string } {
  const id = randomBytes(12).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, key: `${KEY_PREFIX}${id}_${secret}`, secretHash: sha256(secret) };
}

function companyOf(caller: Identity): string {
  if (!caller.companyId) throw new AuthorizationError('API keys belong to a company: platform admins have none');
  return caller.companyId;
}

export interface CreateApiKeyInput {
  name: string;
  permissions?: string[];
  expiresAt?: string;
}

/**
 * POST /auth/api-keys: a key of the caller's company acting as the caller, with a subset of the
 * caller's token permissions (by default all of them but managing keys). Answers the key once.
 */
export async function createApiKey(deps: AuthDeps, caller: Identity, input: CreateApiKeyInput, now = new Date()): Promise<ApiKeyView & { key: string }> {
  const companyId = companyOf(caller);
  const requested = input.permissions ?? [...caller.permissions].filter((permission) => permission !== 'api-key:manage');
  const notYours = [...new Set(requested.filter((permission) => !isPermission(permission) || !caller.permissions.has(permission)))];
  if (notYours.length > 0) {
    throw new ValidationError('An API key can only carry permissions you have', {
      'body.permissions': [`not among your permissions: ${notYours.join(', ')}`],
    });
  }
  let expiresAt: Date | null = null;
  if (input.expiresAt !== undefined) {
    expiresAt = new Date(input.expiresAt);
    if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= now.getTime()) {
      throw new ValidationError('expiresAt must be in the future', { 'body.expiresAt': ['must be a future date-time'] });
    }
  }
  const material = newKeyMaterial();
  const doc = await deps.apiKeys.keys.create({
    _id: material.id,
    name: input.name.trim(),
    companyId,
    createdBy: caller.userId,
    permissions: [...new Set(requested)] as Permission[],
    secretHash: material.secretHash,
    createdAt: now,
    expiresAt,
  });
  return { ...viewOf(doc.toObject()), key: material.key };
}

/** GET /auth/api-keys: the caller company's keys, newest first, without secrets. */
export async function listApiKeys(deps: AuthDeps, caller: Identity): Promise<ApiKeyView[]> {
  const docs = await deps.apiKeys.keys.find({ companyId: companyOf(caller) }).sort({ createdAt: -1 }).limit(500).lean<ApiKeyDoc[]>();
  const usage = await deps.apiKeys.usage.find({ _id: { $in: docs.map((doc) => doc._id) } }).lean();
  const lastUsed = new Map(usage.map((entry) => [entry._id, entry.lastUsedAt]));
  return docs.map((doc) => viewOf(doc, lastUsed.get(doc._id)));
}

/** A key of the caller's company; another company's id (or an unknown one) is a 404. */
async function ownKey(deps: AuthDeps, caller: Identity, id: string): Promise<ApiKeyDoc> {
  const doc = await deps.apiKeys.keys.findOne({ _id: id, companyId: companyOf(caller) }).lean<ApiKeyDoc>();
  if (!doc) throw new NotFoundError('API key');
  return doc;
}

/** DELETE /auth/api-keys/:id: revoked at once, in the database and in Redis for the gateway. */
export async function revokeApiKey(deps: AuthDeps, caller: Identity, id: string, now = new Date()): Promise<ApiKeyView> {
  const doc = await ownKey(deps, caller, id);
  if (!doc.revokedAt) {
    await deps.apiKeys.keys.updateOne({ _id: id, revokedAt: null }, { $set: { revokedAt: now, revokedReason: `revoked by ${caller.userId}` } });
  }
  await markApiKeysRevoked(deps.redis, [id], now.getTime());
  return viewOf({ ...doc, revokedAt: doc.revokedAt ?? now });
}

/**
 * POST /auth/api-keys/:id/rotate: a successor (new id and secret, same name, permissions, creator
 * and expiry); the old key keeps working until `graceUntil`. Once per key: the successor's unique
 * `rotatedFrom` lets one of two racing rotations win.
 */
export async function rotateApiKey(
  deps: AuthDeps,
  caller: Identity,
  id: string,
  graceSeconds = DEFAULT_GRACE_S,
  now = new Date(),
): Promise<ApiKeyView & { key: string; previous: ApiKeyView }> {
  const old = await ownKey(deps, caller, id);
  if (old.revokedAt) throw new ConflictError('This API key is revoked');
  if (old.graceUntil) throw new ConflictError('This API key was rotated already: rotate its successor');
  if (old.expiresAt && old.expiresAt.getTime() <= now.getTime()) throw new ConflictError('This API key has expired');
  const material = newKeyMaterial();
  let successor: ApiKeyDoc;
  try {
    const created = await deps.apiKeys.keys.create({
      _id: material.id,
      name: old.name,
      companyId: old.companyId,
      createdBy: old.createdBy,
      permissions: old.permissions,
      secretHash: material.secretHash,
      createdAt: now,
      expiresAt: old.expiresAt ?? null,
      rotatedFrom: old._id,
      rotatedBy: caller.userId,
    });
    successor = created.toObject();
  } catch (error) {
    if (isDuplicateKeyError(error)) throw new ConflictError('This API key was rotated already: rotate its successor');
    throw error;
  }
  const graceUntil = new Date(now.getTime() + graceSeconds * 1000);
  await deps.apiKeys.keys.updateOne({ _id: old._id, revokedAt: null }, { $set: { graceUntil } });
  return { ...viewOf(successor), key: material.key, previous: viewOf({ ...old, graceUntil }) };
}

const INVALID_KEY = 'The API key is invalid, revoked or expired';

/** Only the header's own shape is checked before the database: junk costs no query. */
function parseKey(presented: string | undefined): { id: string; secret: string } | undefined {
  const match = presented ? KEY_FORMAT.exec(presented.trim()) : null;
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

export interface ExchangedToken {
  accessToken: string;
  tokenType: 'Bearer';
  /** Seconds the access token is valid for. */
  expiresIn: number;
}

/**
 * POST /auth/api-keys/token (the gateway calls it with the X-API-Key it received): an RS256
 * access token acting as the key's creator with the key's permissions (never more than the
 * creator's role has now) and `akid`, valid API_KEY_TOKEN_TTL_S or until the key's expiry or
 * rotation grace ends, whichever is first.
 */
export async function exchangeApiKey(deps: AuthDeps, presented: string | undefined, now = new Date()): Promise<ExchangedToken> {
  const parsed = parseKey(presented);
  if (!parsed) throw new AuthenticationError(INVALID_KEY);
  const doc = await deps.apiKeys.keys.findById(parsed.id).lean<ApiKeyDoc>();
  const presentedHash = Buffer.from(sha256(parsed.secret), 'hex');
  if (!doc || !timingSafeEqual(presentedHash, Buffer.from(doc.secretHash, 'hex'))) throw new AuthenticationError(INVALID_KEY);
  const ttlS = Math.min(deps.config.API_KEY_TOKEN_TTL_S, deps.config.ACCESS_TOKEN_TTL_S);
  const ends = [now.getTime() + ttlS * 1000, doc.expiresAt?.getTime(), doc.graceUntil?.getTime()].filter(
    (value): value is number => typeof value === 'number',
  );
  const lifetimeMs = Math.min(...ends) - now.getTime();
  // Under a second left counts as ended: the token's exp has whole seconds.
  if (doc.revokedAt || lifetimeMs < 1000) throw new AuthenticationError(INVALID_KEY);
  // The Redis mark outlives any lost database write of a revocation.
  if (await deps.redis.exists(revokedApiKeyKey(doc._id))) throw new AuthenticationError(INVALID_KEY);
  const creator = await deps.credentials.findById(doc.createdBy).select({ role: 1, status: 1 }).lean<Pick<CredentialDoc, '_id' | 'role' | 'status'>>();
  if (!creator || creator.status !== 'active') throw new AuthenticationError(INVALID_KEY);
  const allowed = new Set(permissionsOf(creator.role));
  const { token } = await deps.keys.sign(
    {
      sub: creator._id,
      role: creator.role,
      companyId: doc.companyId,
      permissions: doc.permissions.filter((permission) => allowed.has(permission)),
      jti: randomUUID(),
      akid: doc._id,
    },
    { expiresInMs: lifetimeMs },
  );
  await recordUse(deps, doc._id, now);
  return { accessToken: token, tokenType: 'Bearer', expiresIn: Math.floor(lifetimeMs / 1000) };
}

/** Writes lastUsedAt at most once a minute per key and replica; a failed write never fails the exchange. */
async function recordUse(deps: AuthDeps, keyId: string, now: Date): Promise<void> {
  const last = deps.apiKeys.lastUseWritten.get(keyId) ?? 0;
  if (now.getTime() - last < USAGE_WRITE_INTERVAL_MS) return;
  if (deps.apiKeys.lastUseWritten.size > 10_000) deps.apiKeys.lastUseWritten.clear();
  deps.apiKeys.lastUseWritten.set(keyId, now.getTime());
  await deps.apiKeys.usage.updateOne({ _id: keyId }, { $set: { lastUsedAt: now } }, { upsert: true }).catch(() => undefined);
}

/** Suspension: every live key the user created is revoked, in the database and in Redis. */
export async function revokeApiKeysOf(deps: AuthDeps, userId: string, reason: string, now = new Date()): Promise<number> {
  const live = await deps.apiKeys.keys.find({ createdBy: userId, revokedAt: null }).select({ _id: 1 }).lean<Array<{ _id: string }>>();
  const ids = live.map((doc) => doc._id);
  if (ids.length === 0) return 0;
  await deps.apiKeys.keys.updateMany({ _id: { $in: ids }, revokedAt: null }, { $set: { revokedAt: now, revokedReason: reason } });
  await markApiKeysRevoked(deps.redis, ids, now.getTime());
  return ids.length;
}
