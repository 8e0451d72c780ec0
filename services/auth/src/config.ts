import { Type } from '@sinclair/typebox';
import { ConfigError, type ServiceConfig } from '@foodxchange/service-kit';

/**
 * The local development key encryption key (32 bytes, base64). Documented in the README so a
 * fresh clone starts with no set-up; a production start with it (or without one) is refused.
 */
export const LOCAL_KEY_ENCRYPTION_KEY = 'Zm9vZHhjaGFuZ2UtbG9jYWwtZGV2LWtleS0zMmJ5dGU=';

/**
 * The local development MFA secret key ring (`id:base64key`, comma-separated; the first encrypts,
 * all decrypt). Documented in the README; refused in production like the key encryption key.
 */
export const LOCAL_MFA_KEY_ID = 'local-1';
export const LOCAL_MFA_KEY = 'Zm9vZHhjaGFuZ2UtbG9jYWwtbWZhLXNlY3JldC1rZXk=';
export const LOCAL_MFA_ENCRYPTION_KEYS = `${LOCAL_MFA_KEY_ID}:${LOCAL_MFA_KEY}`;

/** Local defaults of the first super admin (docs/identity-contract; printed by the start command). */
export const LOCAL_ADMIN_EMAIL = 'admin@foodxchange.local';
export const LOCAL_ADMIN_PASSWORD = 'FoodXchange-Admin-2026!';

export const authConfig = {
  KEY_ENCRYPTION_KEY: Type.String({
    default: LOCAL_KEY_ENCRYPTION_KEY,
    description: 'AES-256-GCM key (32 bytes as base64 or 64 hex digits) encrypting the signing keys at rest; required in production',
  }),
  ADMIN_EMAIL: Type.String({ pattern: '^[^@ ]+@[^@ ]+$', default: LOCAL_ADMIN_EMAIL, description: 'The first super admin, created at start-up' }),
  ADMIN_PASSWORD: Type.String({ minLength: 12, maxLength: 128, default: LOCAL_ADMIN_PASSWORD }),
  ACCESS_TOKEN_TTL_S: Type.Integer({ minimum: 30, maximum: 3600, default: 900, description: 'Access token lifetime (15 min)' }),
  REFRESH_TOKEN_TTL_S: Type.Integer({ minimum: 60, default: 7 * 24 * 3600, description: 'Refresh token lifetime (7 days)' }),
  REFRESH_COOKIE_PATH: Type.String({
    pattern: '^/[A-Za-z0-9._~/-]*$',
    default: '/api/v1/auth',
    description:
      'Path of the fx_refresh cookie (cookie token transport): where the browser sees the auth routes. The gateway proxies /api/v1/auth/* unchanged, so the default fits both',
  }),
  REFRESH_COOKIE_SECURE: Type.Boolean({
    default: false,
    description:
      'Always mark the fx_refresh cookie Secure; without it only a request that came over https (X-Forwarded-Proto from a trusted proxy) gets Secure',
  }),
  SESSION_MAX_AGE_S: Type.Integer({
    minimum: 60,
    default: 30 * 24 * 3600,
    description: 'Longest a sign-in lasts however often it is refreshed (30 days); then the user signs in again',
  }),
  SIGNING_KEY_MAX_AGE_S: Type.Integer({
    minimum: 0,
    default: 90 * 24 * 3600,
    description: 'A signing key older than this is rotated (checked at start and hourly); 0 = never',
  }),
  SIGNING_KEY_ACTIVATION_DELAY_S: Type.Integer({
    minimum: 0,
    default: 60,
    description: 'A rotated-in key is in the JWKS this long before it signs, so every replica serves it first',
  }),
  LOGIN_MAX_FAILURES: Type.Integer({ minimum: 1, default: 5, description: 'Failed logins of one account before it is locked' }),
  LOGIN_FAILURE_WINDOW_S: Type.Integer({ minimum: 1, default: 15 * 60, description: 'How long failures are counted' }),
  LOGIN_LOCK_BASE_MS: Type.Integer({ minimum: 100, default: 60_000, description: 'First lock; each further lock doubles it' }),
  LOGIN_LOCK_MAX_MS: Type.Integer({ minimum: 100, default: 60 * 60_000, description: 'Longest lock' }),
  LOGIN_IP_MAX_FAILURES: Type.Integer({
    minimum: 1,
    default: 100,
    description: 'Failed logins from one client address (any accounts) within the window before that address is refused',
  }),
  LOGIN_THROTTLE_NAMESPACE: Type.String({
    pattern: '^[a-zA-Z0-9:._-]{1,64}$',
    default: 'auth:login:',
    description: 'Prefix of the sign-in failure counters in Redis (a test run or benchmark keeps its own)',
  }),
  MFA_ENCRYPTION_KEYS: Type.String({
    default: LOCAL_MFA_ENCRYPTION_KEYS,
    description:
      'AES-256-GCM keys encrypting TOTP secrets at rest: comma-separated id:base64key (32 bytes each); the first encrypts, every one decrypts (rotation); required in production',
  }),
  MFA_CHALLENGE_TTL_S: Type.Integer({ minimum: 30, maximum: 900, default: 300, description: 'How long a login MFA challenge can be answered' }),
  API_KEY_TOKEN_TTL_S: Type.Integer({
    minimum: 30,
    maximum: 3600,
    default: 300,
    description: 'Lifetime of an access token exchanged for an API key (shorter when the key expires or its rotation grace ends first)',
  }),
  ARGON2_MEMORY_KIB: Type.Integer({ minimum: 19_456, default: 19_456, description: 'argon2id memory (OWASP minimum 19 MiB)' }),
  ARGON2_TIME_COST: Type.Integer({ minimum: 2, default: 2 }),
  ARGON2_PARALLELISM: Type.Integer({ minimum: 1, default: 1 }),
};

export type AuthConfig = ServiceConfig<typeof authConfig>;

/** The key encryption key as bytes; refuses the local default (or a malformed key) in production. */
export function keyEncryptionKey(config: AuthConfig): Buffer {
  const value = config.KEY_ENCRYPTION_KEY.trim();
  if (config.NODE_ENV === 'production' && value === LOCAL_KEY_ENCRYPTION_KEY) {
    throw new ConfigError('KEY_ENCRYPTION_KEY must be set in production (32 random bytes, base64): the local default is public');
  }
  const bytes = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (bytes.length !== 32) throw new ConfigError('KEY_ENCRYPTION_KEY must be 32 bytes (base64 or 64 hex digits)');
  return bytes;
}

export interface MfaKey {
  id: string;
  key: Buffer;
}

/**
 * The MFA key ring from MFA_ENCRYPTION_KEYS: the first key encrypts new secrets, every listed key
 * decrypts (a stored secret names its key id). Refuses the local key, malformed entries and
 * repeated ids in production.
 */
export function mfaEncryptionKeys(config: AuthConfig): MfaKey[] {
  const entries = config.MFA_ENCRYPTION_KEYS.split(',').map((entry) => entry.trim()).filter((entry) => entry.length > 0);
  if (entries.length === 0) throw new ConfigError('MFA_ENCRYPTION_KEYS must list at least one id:base64key');
  const keys = entries.map((entry): MfaKey => {
    const separator = entry.indexOf(':');
    const id = separator > 0 ? entry.slice(0, separator) : '';
    const value = entry.slice(separator + 1);
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new ConfigError('MFA_ENCRYPTION_KEYS entries must be id:base64key (id: letters, digits, . _ -)');
    if (config.NODE_ENV === 'production' && value === LOCAL_MFA_KEY) {
      throw new ConfigError('MFA_ENCRYPTION_KEYS must be set in production (32 random bytes, base64, per key): the local default is public');
    }
    const key = Buffer.from(value, 'base64');
    if (key.length !== 32) throw new ConfigError(`MFA_ENCRYPTION_KEYS key ${id} must be 32 bytes (base64)`);
    return { id, key };
  });
  if (new Set(keys.map((key) => key.id)).size !== keys.length) throw new ConfigError('MFA_ENCRYPTION_KEYS lists a key id twice');
  return keys;
}
