import { Schema, type Connection, type Model } from 'mongoose';
import { outboxPlugin, type OutboxFields } from '@foodxchange/service-kit';
import type { CertificationType, CompanyType, Role } from '@foodxchange/contracts';

export interface CompanyAddress {
  line1: string;
  line2?: string;
  city: string;
  postalCode?: string;
  country: string;
}

/** Who acts for the company. Names and e-mails live on the profiles (one source of truth). */
export interface CompanyMember {
  userId: string;
  role: Role;
  joinedAt: Date;
}

/**
 * A certificate the company holds. Validity bounds are kept as given (`YYYY-MM-DD` = that whole
 * UTC day, or an exact date-time), since that is what the events carry and read copies compare.
 * A withdrawn certificate is removed from the list (its event keeps it).
 */
export interface CompanyCertification {
  id: string;
  type: CertificationType;
  number: string;
  issuedBy: string;
  validFrom: string;
  validUntil: string;
  addedBy: string;
  addedAt: Date;
}

/**
 * A buyer or supplier company, `_id` = the company id auth minted at registration. Created once
 * (unique insert) together with its `company.created` event in the document's outbox; edited by
 * its members under the kit's aggregate lock (load → modify → save), each save bumping `version`.
 */
export interface CompanyDoc extends OutboxFields {
  _id: string;
  name: string;
  type: CompanyType;
  country: string;
  verified: boolean;
  verifiedAt?: Date;
  verifiedBy?: string;
  verificationNote?: string;
  description?: string;
  address?: CompanyAddress;
  website?: string;
  phone?: string;
  marketsServed: string[];
  categories: string[];
  members: CompanyMember[];
  /** Edited as a whole array (load → modify → save under the lock; DESIGN.md rule 3). */
  certifications: CompanyCertification[];
  createdByUserId?: string;
  /** Starts at 1; every accepted edit increments it (the ETag). */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

const AddressSchema = new Schema<CompanyAddress>(
  {
    line1: { type: String, required: true },
    line2: String,
    city: { type: String, required: true },
    postalCode: String,
    country: { type: String, required: true },
  },
  { _id: false },
);

const MemberSchema = new Schema<CompanyMember>(
  {
    userId: { type: String, required: true },
    role: { type: String, required: true },
    joinedAt: { type: Date, required: true },
  },
  { _id: false },
);

const CertificationSchema = new Schema<CompanyCertification>(
  {
    id: { type: String, required: true },
    type: { type: String, required: true },
    number: { type: String, required: true },
    issuedBy: { type: String, required: true },
    validFrom: { type: String, required: true },
    validUntil: { type: String, required: true },
    addedBy: { type: String, required: true },
    addedAt: { type: Date, required: true },
  },
  { _id: false },
);

const CompanySchema = new Schema<CompanyDoc>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    type: { type: String, required: true, enum: ['buyer', 'supplier', 'both'] },
    country: { type: String, required: true },
    verified: { type: Boolean, required: true, default: false },
    verifiedAt: Date,
    verifiedBy: String,
    verificationNote: String,
    description: String,
    address: { type: AddressSchema, default: undefined },
    website: String,
    phone: String,
    marketsServed: { type: [String], default: [] },
    categories: { type: [String], default: [] },
    members: { type: [MemberSchema], default: [] },
    certifications: { type: [CertificationSchema], default: [] },
    createdByUserId: String,
    version: { type: Number, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'companies', versionKey: false },
);
CompanySchema.plugin(outboxPlugin);
// A user's companies by dot notation on the array (DESIGN.md rule 3: no $elemMatch).
CompanySchema.index({ 'members.userId': 1 });

export type CompanyModel = Model<CompanyDoc>;

export function companyModel(connection: Connection): CompanyModel {
  return (connection.models.Company as CompanyModel) ?? connection.model<CompanyDoc>('Company', CompanySchema);
}
