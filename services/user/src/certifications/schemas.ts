import { Type, type Static } from '@sinclair/typebox';
import { CalendarDateSchema, CertificationTypeSchema, CONTRACT_LIMITS, IdSchema } from '@foodxchange/contracts';
import { Envelope } from '@foodxchange/service-kit';
import { SingleLine } from '../shared/text.js';
import { CERTIFICATION_STATUSES } from './validity.js';

/** Bounds of certificates: the contract's (so every certificate fits in the company events). */
export const CERTIFICATE_LIMITS = { perCompany: CONTRACT_LIMITS.certificates, number: 200, issuedBy: 200 } as const;

export const AddCertificationBodySchema = Type.Object(
  {
    type: CertificationTypeSchema,
    number: SingleLine(CERTIFICATE_LIMITS.number, 'Certificate number as issued (unique per type within the company)'),
    issuedBy: SingleLine(CERTIFICATE_LIMITS.issuedBy, 'Certification body'),
    validFrom: CalendarDateSchema,
    validUntil: CalendarDateSchema,
  },
  {
    additionalProperties: false,
    description:
      'A certificate the company holds. Validity bounds are YYYY-MM-DD (that whole UTC day) or exact date-times; validFrom must not be after validUntil.',
  },
);
export type AddCertificationBody = Static<typeof AddCertificationBodySchema>;

export const CertificationParamsSchema = Type.Object({ id: IdSchema, certId: IdSchema }, { additionalProperties: false });

export const CertificationStatusSchema = Type.Union(
  CERTIFICATION_STATUSES.map((status) => Type.Literal(status)),
  { description: 'As of now: valid, expired (after validUntil) or not_yet_valid (before validFrom)' },
);

export const CertificationViewSchema = Type.Object(
  {
    id: Type.String({ description: 'Certificate id (uuid)' }),
    type: CertificationTypeSchema,
    number: Type.String(),
    issuedBy: Type.String(),
    validFrom: Type.String(),
    validUntil: Type.String(),
    status: CertificationStatusSchema,
    addedAt: Type.Optional(Type.String({ format: 'date-time', description: "Shown to the company's members and platform admins" })),
    addedBy: Type.Optional(Type.String({ description: "User who added it; shown to the company's members and platform admins" })),
  },
  { title: 'Certification' },
);
export type CertificationView = Static<typeof CertificationViewSchema>;

export const CertificationEnvelope = Envelope(CertificationViewSchema);
export const CertificationListEnvelope = Envelope(Type.Array(CertificationViewSchema));

export const WithdrawnCertificationSchema = Type.Object(
  {
    withdrawn: CertificationViewSchema,
    certifications: Type.Array(CertificationViewSchema, { description: 'What the company still holds' }),
    version: Type.Integer({ minimum: 1, description: 'The company version after the withdrawal' }),
  },
  { title: 'WithdrawnCertification' },
);
export type WithdrawnCertificationView = Static<typeof WithdrawnCertificationSchema>;
export const WithdrawnCertificationEnvelope = Envelope(WithdrawnCertificationSchema);
