import { Schema, type Connection, type Model } from 'mongoose';

/** A certificate as the copy keeps it (bounds as the user service sent them: date or date-time). */
export interface CopiedCertification {
  id?: string;
  type: string;
  number?: string;
  issuedBy?: string;
  validFrom: string;
  validUntil: string;
}

/**
 * Compliance's read copy of a company (`_id` = company id), built only from the user service's
 * events: the certificates it holds and whether it is verified, each with the company `version`
 * it comes from. An aspect moves only forward (a newer version replaces it), so redelivered and
 * reordered events (they travel on different topics) leave the newest state. Written under the
 * lock `compliance-company:<id>` (FerretDB keeps one of two concurrent updates of a document).
 */
export interface CompanyCopyDoc {
  _id: string;
  name?: string;
  /** False until an event carrying the certificate list arrived (company.verified carries none). */
  certificationsKnown: boolean;
  certifications: CopiedCertification[];
  verified: boolean;
  versions: { certifications: number; verification: number };
  updatedAt: Date;
}

const CertificationSchema = new Schema<CopiedCertification>(
  {
    id: String,
    type: { type: String, required: true },
    number: String,
    issuedBy: String,
    validFrom: { type: String, required: true },
    validUntil: { type: String, required: true },
  },
  { _id: false },
);

const CompanyCopySchema = new Schema<CompanyCopyDoc>(
  {
    _id: { type: String, required: true },
    name: String,
    certificationsKnown: { type: Boolean, required: true, default: false },
    certifications: { type: [CertificationSchema], default: [] },
    verified: { type: Boolean, required: true, default: false },
    versions: {
      certifications: { type: Number, required: true, default: 0 },
      verification: { type: Number, required: true, default: 0 },
    },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'company_copies', versionKey: false },
);

export type CompanyCopyModel = Model<CompanyCopyDoc>;

export function companyCopyModel(connection: Connection): CompanyCopyModel {
  return (connection.models.CompanyCopy as CompanyCopyModel) ?? connection.model<CompanyCopyDoc>('CompanyCopy', CompanyCopySchema);
}
