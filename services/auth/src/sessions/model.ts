import { Schema, type Connection, type Model } from 'mongoose';
import { outboxPlugin, type OutboxFields } from '@foodxchange/service-kit';

/**
 * A token family: one sign-in and every refresh token rotated from it. Inserted once per login
 * with the login's `user.logged-in` event in its outbox; afterwards only `revokedAt` is set
 * (concurrent revocations write the same thing, so losing one of them loses nothing).
 */
export interface FamilyDoc extends OutboxFields {
  _id: string;
  userId: string;
  method: 'password' | 'registration';
  createdAt: Date;
  revokedAt?: Date | null;
  revokedReason?: string | null;
  /** End of the sign-in (SESSION_MAX_AGE_S): no token of the family lives past it; the cleanup job removes it after. */
  expiresAt: Date;
}

const FamilySchema = new Schema<FamilyDoc>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true, index: true },
    method: { type: String, required: true },
    createdAt: { type: Date, required: true },
    revokedAt: { type: Date, default: null },
    revokedReason: { type: String, default: null },
    expiresAt: { type: Date, required: true, index: true },
  },
  { collection: 'token_families', versionKey: false },
);
FamilySchema.plugin(outboxPlugin);

/**
 * One refresh token, by the SHA-256 of its value (the value itself is never stored). Never
 * updated: its use is recorded by inserting a consumption (below), so rotation needs no
 * conditional update FerretDB could lose under concurrency.
 */
export interface RefreshTokenDoc {
  _id: string; // sha256 hex of the token
  familyId: string;
  userId: string;
  issuedAt: Date;
  expiresAt: Date;
}

const RefreshTokenSchema = new Schema<RefreshTokenDoc>(
  {
    _id: { type: String, required: true },
    familyId: { type: String, required: true, index: true },
    userId: { type: String, required: true },
    issuedAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true, index: true },
  },
  { collection: 'refresh_tokens', versionKey: false },
);

/** "This refresh token was used": its unique `_id` lets exactly one use win; any later one is reuse. */
export interface ConsumptionDoc {
  _id: string; // the refresh token's hash
  familyId: string;
  consumedAt: Date;
  expiresAt: Date;
}

const ConsumptionSchema = new Schema<ConsumptionDoc>(
  {
    _id: { type: String, required: true },
    familyId: { type: String, required: true },
    consumedAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true, index: true },
  },
  { collection: 'refresh_token_uses', versionKey: false },
);

export interface SessionModels {
  families: Model<FamilyDoc>;
  tokens: Model<RefreshTokenDoc>;
  consumptions: Model<ConsumptionDoc>;
}

function bind<T>(connection: Connection, name: string, schema: Schema<T>): Model<T> {
  return (connection.models[name] as Model<T>) ?? connection.model<T>(name, schema);
}

export function sessionModels(connection: Connection): SessionModels {
  return {
    families: bind(connection, 'TokenFamily', FamilySchema),
    tokens: bind(connection, 'RefreshToken', RefreshTokenSchema),
    consumptions: bind(connection, 'RefreshTokenUse', ConsumptionSchema),
  };
}
