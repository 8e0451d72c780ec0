import { Schema, type Connection, type Model } from 'mongoose';
import type { CertificationType, CompanyType } from '@foodxchange/contracts';

/** A certificate as the catalog's copy keeps it (bounds as sent: date-only or date-time strings). */
export interface CopiedCertification {
  id?: string;
  type: CertificationType;
  number: string;
  issuedBy: string;
  validFrom: string;
  validUntil: string;
}

export interface CopiedMember {
  userId: string;
  suspended: boolean;
}

/** Which version of each aspect of the company the copy reflects (the user service's `version`). */
export interface CopyVersions {
  profile: number;
  certifications: number;
  verification: number;
}

/**
 * The catalog's read copy of a company (`_id` = company id), built from the user service's events
 * only (no service reads another's database). Each aspect moves only forward: an event applies to
 * an aspect only if its version is newer than the one the copy holds, so redeliveries and events
 * consumed out of order (they travel on different topics) leave the newest state. An event for a
 * company not copied yet creates the copy with what it knows (fields it does not know stay unset).
 * Written under the lock `catalog-company:<id>` (FerretDB keeps one of two concurrent updates).
 */
export interface CompanyCopyDoc {
  _id: string;
  /** Unset until an event naming the company arrives (a suspension can come first). */
  name?: string;
  country?: string;
  type?: CompanyType;
  verified: boolean;
  marketsServed: string[];
  categories: string[];
  certifications: CopiedCertification[];
  members: CopiedMember[];
  /** false when every known member is suspended (see isCompanyActive). */
  active: boolean;
  versions: CopyVersions;
  createdAt: Date;
  updatedAt: Date;
}

const CertificationSchema = new Schema<CopiedCertification>(
  {
    id: String,
    type: { type: String, required: true },
    number: { type: String, required: true },
    issuedBy: { type: String, required: true },
    validFrom: { type: String, required: true },
    validUntil: { type: String, required: true },
  },
  { _id: false },
);

const MemberSchema = new Schema<CopiedMember>({ userId: { type: String, required: true }, suspended: { type: Boolean, required: true } }, { _id: false });

const CompanyCopySchema = new Schema<CompanyCopyDoc>(
  {
    _id: { type: String, required: true },
    name: String,
    country: String,
    type: String,
    verified: { type: Boolean, required: true, default: false },
    marketsServed: { type: [String], default: [] },
    categories: { type: [String], default: [] },
    certifications: { type: [CertificationSchema], default: [] },
    members: { type: [MemberSchema], default: [] },
    active: { type: Boolean, required: true, default: true },
    versions: {
      profile: { type: Number, required: true, default: 0 },
      certifications: { type: Number, required: true, default: 0 },
      verification: { type: Number, required: true, default: 0 },
    },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'companies', versionKey: false },
);

export type CompanyCopyModel = Model<CompanyCopyDoc>;

export function companyCopyModel(connection: Connection): CompanyCopyModel {
  return (connection.models.CompanyCopy as CompanyCopyModel) ?? connection.model<CompanyCopyDoc>('CompanyCopy', CompanyCopySchema);
}

/**
 * A user's suspension state, keyed by user id. `user.suspended` may arrive without a company id
 * and before the `user.registered` that names the company: the state waits here until the company
 * is known, then the copy's member list takes it.
 */
export interface MemberStatusDoc {
  _id: string;
  companyId?: string;
  suspended: boolean;
  /** Time of the suspension event applied last: an older one arriving late changes nothing. */
  statusChangedAt?: Date;
  updatedAt: Date;
}

const MemberStatusSchema = new Schema<MemberStatusDoc>(
  {
    _id: { type: String, required: true },
    companyId: String,
    suspended: { type: Boolean, required: true, default: false },
    statusChangedAt: Date,
    updatedAt: { type: Date, required: true },
  },
  { collection: 'company_member_statuses', versionKey: false },
);

export type MemberStatusModel = Model<MemberStatusDoc>;

export function memberStatusModel(connection: Connection): MemberStatusModel {
  return (connection.models.CompanyMemberStatus as MemberStatusModel) ??
    connection.model<MemberStatusDoc>('CompanyMemberStatus', MemberStatusSchema);
}
