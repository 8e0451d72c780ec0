import { Type, type Static } from '@sinclair/typebox';
import { CountryCodeSchema } from '@foodxchange/contracts';
import { Envelope } from '@foodxchange/service-kit';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './passwords.js';

const Email = Type.String({ format: 'email', minLength: 3, maxLength: 320 });

export const RegisterBodySchema = Type.Object(
  {
    email: Email,
    password: Type.String({
      minLength: PASSWORD_MIN_LENGTH,
      maxLength: PASSWORD_MAX_LENGTH,
      description: `${PASSWORD_MIN_LENGTH}–${PASSWORD_MAX_LENGTH} characters, not containing the e-mail address, not a common password`,
    }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    role: Type.Union([Type.Literal('buyer'), Type.Literal('supplier')], {
      description: 'Only buyer or supplier: platform admins are made by admins, never by registration',
    }),
    company: Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 200 }),
        country: CountryCodeSchema,
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type RegisterBody = Static<typeof RegisterBodySchema>;

export const LoginBodySchema = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 320 }),
    // Bounded so a huge body cannot make a hash expensive; not the policy (old passwords stay valid).
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBodySchema>;

export const MeEnvelope = Envelope(
  Type.Object({
    id: Type.String(),
    email: Type.String(),
    name: Type.String(),
    role: Type.String(),
    companyId: Type.Optional(Type.String()),
    status: Type.Union([Type.Literal('active'), Type.Literal('suspended')]),
    permissions: Type.Array(Type.String(), { description: 'What this access token allows' }),
    createdAt: Type.String({ format: 'date-time' }),
  }),
);
