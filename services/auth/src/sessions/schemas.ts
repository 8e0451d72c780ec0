import { Type } from '@sinclair/typebox';
import { Envelope } from '@foodxchange/service-kit';

export const UserSummarySchema = Type.Object({
  id: Type.String(),
  email: Type.String(),
  role: Type.Union(['buyer', 'supplier', 'admin', 'super_admin'].map((role) => Type.Literal(role))),
  companyId: Type.Optional(Type.String({ description: 'The company the user acts for; platform admins have none' })),
});

export const TokenAnswerSchema = Type.Object({
  user: UserSummarySchema,
  accessToken: Type.String({ description: 'RS256 JWT, sent as Authorization: Bearer <token>' }),
  refreshToken: Type.Optional(
    Type.String({
      description:
        'Opaque; single use: POST /auth/refresh answers a new one. Absent when the request sent `x-token-transport: cookie`: the token is then in the HttpOnly cookie `fx_refresh` instead',
    }),
  ),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds the access token is valid for' }),
  refreshExpiresIn: Type.Integer({ description: 'Seconds the refresh token is valid for, at most (a sign-in ends after 30 days)' }),
});
export const TokenEnvelope = Envelope(TokenAnswerSchema);

/** Opaque refresh tokens are 43 base64url characters; the bound keeps junk cheap to refuse. */
const RefreshToken = Type.String({ minLength: 1, maxLength: 512 });

// Optional (and the body may be absent) for the cookie transport; without it the route still
// requires the token (routes.ts answers its absence 400, as the schema did).
export const RefreshBodySchema = Type.Union([
  Type.Object(
    {
      refreshToken: Type.Optional({
        ...RefreshToken,
        description: 'The refresh token to rotate; required unless `x-token-transport: cookie` and the `fx_refresh` cookie carry it',
      }),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
]);
export type RefreshBody = { refreshToken?: string } | null;

export const LogoutBodySchema = Type.Union([
  Type.Object(
    {
      refreshToken: Type.Optional({
        ...RefreshToken,
        description: 'Whose family to revoke; by default the family of the access token used for this call',
      }),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
]);
export type LogoutBody = { refreshToken?: string } | null;

export const LogoutEnvelope = Envelope(
  Type.Object({
    loggedOut: Type.Literal(true),
    revokedSession: Type.Boolean({ description: 'Whether a token family was revoked' }),
  }),
);

export const LogoutAllEnvelope = Envelope(
  Type.Object({
    loggedOut: Type.Literal(true),
    revokedSessions: Type.Integer({ minimum: 0, description: 'How many sign-ins (token families) were still open and are now revoked' }),
  }),
);
