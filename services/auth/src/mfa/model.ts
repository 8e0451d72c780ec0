import { Schema, type Connection, type Model } from 'mongoose';
import type { SealedSecret } from './keyring.js';

/**
 * A user's TOTP factor (`_id` = user id): `pending` from enrolment until the first code confirms
 * it, then `enabled`. Only the sealed secret is stored; recovery codes only as SHA-256 hashes.
 * Its own collection rather than fields of the credentials, so MFA writes never race the
 * suspension consumer's writes of the same document.
 */
export interface MfaFactorDoc {
  _id: string;
  status: 'pending' | 'enabled';
  secret: SealedSecret;
  recoveryCodeHashes: string[];
  /** Highest TOTP time step accepted so far: a code of that step or an earlier one is refused. */
  lastStep?: number | null;
  createdAt: Date;
  enabledAt?: Date | null;
}

const SealedSecretSchema = new Schema<SealedSecret>(
  { keyId: { type: String, required: true }, iv: { type: String, required: true }, tag: { type: String, required: true }, ciphertext: { type: String, required: true } },
  { _id: false },
);

const MfaFactorSchema = new Schema<MfaFactorDoc>(
  {
    _id: { type: String, required: true },
    status: { type: String, required: true, enum: ['pending', 'enabled'] },
    secret: { type: SealedSecretSchema, required: true },
    recoveryCodeHashes: { type: [String], default: [] },
    lastStep: { type: Number, default: null },
    createdAt: { type: Date, required: true },
    enabledAt: { type: Date, default: null },
  },
  { collection: 'mfa_factors', versionKey: false },
);
// The re-encryption job finds secrets sealed under an old key.
MfaFactorSchema.index({ 'secret.keyId': 1 });

/**
 * One use of a one-time thing, by unique `_id`: a TOTP time step of a user (`<userId>:<step>`), a
 * recovery code's hash, or a login challenge's hash. Of two concurrent uses the insert lets exactly
 * one win. `expiresAt` lets the housekeeping job remove markers nothing can replay any more.
 */
export interface UseMarkerDoc {
  _id: string;
  userId: string;
  usedAt: Date;
  expiresAt: Date;
}

const UseMarkerSchema = new Schema<UseMarkerDoc>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    usedAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false },
);

/** A login that passed the password and waits for the second factor; stored by the token's hash. */
export interface MfaChallengeDoc {
  _id: string;
  userId: string;
  createdAt: Date;
  expiresAt: Date;
}

const MfaChallengeSchema = new Schema<MfaChallengeDoc>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true, index: true },
  },
  { collection: 'mfa_challenges', versionKey: false },
);

export interface MfaModels {
  factors: Model<MfaFactorDoc>;
  stepUses: Model<UseMarkerDoc>;
  recoveryUses: Model<UseMarkerDoc>;
  challenges: Model<MfaChallengeDoc>;
  challengeUses: Model<UseMarkerDoc>;
}

function bind<T>(connection: Connection, name: string, schema: Schema<T>, collection?: string): Model<T> {
  return (connection.models[name] as Model<T>) ?? connection.model<T>(name, schema, collection);
}

export function mfaModels(connection: Connection): MfaModels {
  return {
    factors: bind(connection, 'MfaFactor', MfaFactorSchema),
    stepUses: bind(connection, 'MfaStepUse', UseMarkerSchema, 'mfa_step_uses'),
    recoveryUses: bind(connection, 'MfaRecoveryUse', UseMarkerSchema, 'mfa_recovery_uses'),
    challenges: bind(connection, 'MfaChallenge', MfaChallengeSchema),
    challengeUses: bind(connection, 'MfaChallengeUse', UseMarkerSchema, 'mfa_challenge_uses'),
  };
}
