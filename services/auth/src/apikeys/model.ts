import { Schema, type Connection, type Model } from 'mongoose';
import type { Permission } from '@foodxchange/contracts';

/**
 * An API key of a company (B2B integrations): `_id` is the key id (the middle part of
 * `fxk_<keyId>_<secret>`), only the SHA-256 of the secret is stored. A rotation inserts the
 * successor with `rotatedFrom` under a unique (sparse) index, so a key is rotated once even when
 * two requests race; the old key then works until `graceUntil`.
 */
export interface ApiKeyDoc {
  _id: string;
  name: string;
  companyId: string;
  /** The user who created it: its tokens act as that user (role, suspension). */
  createdBy: string;
  permissions: Permission[];
  secretHash: string;
  createdAt: Date;
  expiresAt?: Date | null;
  revokedAt?: Date | null;
  revokedReason?: string | null;
  graceUntil?: Date | null;
  rotatedFrom?: string;
  rotatedBy?: string;
}

const ApiKeySchema = new Schema<ApiKeyDoc>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    companyId: { type: String, required: true, index: true },
    createdBy: { type: String, required: true, index: true },
    permissions: { type: [String], required: true },
    secretHash: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, default: null },
    revokedAt: { type: Date, default: null },
    revokedReason: { type: String, default: null },
    graceUntil: { type: Date, default: null },
    rotatedFrom: { type: String, unique: true, sparse: true },
    rotatedBy: String,
  },
  { collection: 'api_keys', versionKey: false },
);

/**
 * When a key was last exchanged for a token. Its own document, not a field of the key: the
 * frequent usage write must never race (and, on FerretDB, silently undo) a revocation of the key.
 */
export interface ApiKeyUsageDoc {
  _id: string; // the key id
  lastUsedAt: Date;
}

const ApiKeyUsageSchema = new Schema<ApiKeyUsageDoc>(
  { _id: { type: String, required: true }, lastUsedAt: { type: Date, required: true } },
  { collection: 'api_key_usage', versionKey: false },
);

export interface ApiKeyModels {
  keys: Model<ApiKeyDoc>;
  usage: Model<ApiKeyUsageDoc>;
}

export function apiKeyModels(connection: Connection): ApiKeyModels {
  return {
    keys: (connection.models.ApiKey as Model<ApiKeyDoc>) ?? connection.model<ApiKeyDoc>('ApiKey', ApiKeySchema),
    usage: (connection.models.ApiKeyUsage as Model<ApiKeyUsageDoc>) ?? connection.model<ApiKeyUsageDoc>('ApiKeyUsage', ApiKeyUsageSchema),
  };
}
