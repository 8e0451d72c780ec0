import { Type } from '@sinclair/typebox';
import { ConfigError, type ServiceConfig } from '@foodxchange/service-kit';

/**
 * The local development key encryption key (32 bytes, base64). Documented in the README so a
 * fresh clone starts with no set-up; a production start with it (or without one) is refused.
 */
export const LOCAL_KEY_ENCRYPTION_KEY = 'Zm9vZHhjaGFuZ2UtbG9jYWwtZGV2LWtleS0zMmJ5dGU=';

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
