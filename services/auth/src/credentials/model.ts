import { Schema, type Connection, type Model } from 'mongoose';
import { outboxPlugin, type OutboxFields } from '@foodxchange/service-kit';
import type { Role } from '@foodxchange/contracts';

export type AccountStatus = 'active' | 'suspended';

/**
 * A user's credentials: written once by registration (with its `user.registered` event in the
 * same insert), then only the status changes (suspension events). The e-mail is stored lower-cased
 * under a unique index: that index, not a read before the insert, is what refuses a second
 * account for an address.
 */
export interface CredentialDoc extends OutboxFields {
  _id: string; // the user id
  email: string;
  name: string;
  role: Role;
  companyId?: string;
  passwordHash: string;
  status: AccountStatus;
  /** Time of the event behind the current status: an older suspension event never overrides a newer one. */
  statusChangedAt: Date;
  suspendedAt?: Date | null;
  createdAt: Date;
}

const CredentialSchema = new Schema<CredentialDoc>(
  {
    _id: { type: String, required: true },
    email: { type: String, required: true, unique: true },
    name: { type: String, required: true },
    role: { type: String, required: true, enum: ['buyer', 'supplier', 'admin', 'super_admin'] },
    companyId: String,
    passwordHash: { type: String, required: true },
    status: { type: String, required: true, enum: ['active', 'suspended'], default: 'active' },
    statusChangedAt: { type: Date, required: true },
    suspendedAt: { type: Date, default: null },
    createdAt: { type: Date, required: true },
  },
  { collection: 'credentials', versionKey: false },
);
CredentialSchema.plugin(outboxPlugin);

export type CredentialModel = Model<CredentialDoc>;

export function credentialModel(connection: Connection): CredentialModel {
  return (connection.models.Credential as CredentialModel) ?? connection.model<CredentialDoc>('Credential', CredentialSchema);
}

/** The one spelling of an address the platform compares: trimmed and lower-cased. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
