import type { Redis } from 'ioredis';
import type { EventContext } from '@foodxchange/service-kit';
import type { AuthConfig } from './config.js';
import type { CredentialModel } from './credentials/model.js';
import type { PasswordHasher } from './credentials/passwords.js';
import type { SigningKeys } from './keys/service.js';
import type { SessionModels } from './sessions/model.js';
import type { ApiKeyModels } from './apikeys/model.js';
import type { SecretKeyring } from './mfa/keyring.js';
import type { MfaModels } from './mfa/model.js';

/** What the auth flows work with; built once in app.ts. */
export interface AuthDeps {
  config: AuthConfig;
  credentials: CredentialModel;
  sessions: SessionModels;
  keys: SigningKeys;
  mfa: MfaModels;
  /** Seals and opens TOTP secrets (MFA_ENCRYPTION_KEYS). */
  mfaKeys: SecretKeyring;
  apiKeys: ApiKeyModels & {
    /** When this replica last wrote each key's lastUsedAt (at most once a minute). */
    lastUseWritten: Map<string, number>;
  };
  hasher: PasswordHasher;
  redis: Redis;
  /** Tells the outbox relay a write staged an event. */
  published: () => void;
}

/** Who asked, for events and the brute-force counters. */
export interface RequestOrigin {
  ip: string;
  userAgent?: string;
  context: EventContext;
}
