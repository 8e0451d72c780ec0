import { Type, type Static } from '@sinclair/typebox';
import { Envelope } from '@foodxchange/service-kit';

/** A TOTP code (6 digits) or a recovery code (16 hex digits, dashes and spaces allowed). */
const Code = Type.String({ minLength: 6, maxLength: 32, description: 'The 6-digit code of the authenticator app (or, where allowed, a recovery code)' });

export const EnrollEnvelope = Envelope(
  Type.Object({
    secret: Type.String({ description: 'Base32 TOTP secret, for typing into an authenticator by hand; shown only here' }),
    otpauthUri: Type.String({ description: 'otpauth://totp/… URI (render as a QR code)' }),
    issuer: Type.String(),
    label: Type.String(),
    digits: Type.Integer(),
    period: Type.Integer(),
  }),
);

export const CodeBodySchema = Type.Object({ code: Code }, { additionalProperties: false });
export type CodeBody = Static<typeof CodeBodySchema>;

export const ConfirmEnvelope = Envelope(
  Type.Object({
    enabled: Type.Literal(true),
    recoveryCodes: Type.Array(Type.String(), { description: 'Each works once instead of a code; shown only here, stored hashed' }),
  }),
);

export const DisableEnvelope = Envelope(Type.Object({ enabled: Type.Literal(false) }));

export const VerifyBodySchema = Type.Object(
  {
    challengeToken: Type.String({ minLength: 1, maxLength: 512 }),
    code: Type.Optional(Code),
    recoveryCode: Type.Optional(Type.String({ minLength: 6, maxLength: 32 })),
  },
  { additionalProperties: false },
);
export type VerifyBody = Static<typeof VerifyBodySchema>;

export const MfaChallengeSchema = Type.Object({
  mfaRequired: Type.Literal(true),
  challengeToken: Type.String({ description: 'Send to POST /auth/mfa/verify with a code; single use' }),
  expiresIn: Type.Integer({ description: 'Seconds the challenge can be answered in' }),
});
