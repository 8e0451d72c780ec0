import { Type, type Static } from '@sinclair/typebox';
import { Envelope } from '@foodxchange/service-kit';
import { MAX_GRACE_S } from './service.js';

export const CreateApiKeyBodySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }),
    permissions: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
        maxItems: 64,
        description: "A subset of the caller's permissions (default: all of them but api-key:manage)",
      }),
    ),
    expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'After this the key is refused' })),
  },
  { additionalProperties: false },
);
export type CreateApiKeyBody = Static<typeof CreateApiKeyBodySchema>;

export const RotateApiKeyBodySchema = Type.Union([
  Type.Object(
    {
      graceSeconds: Type.Optional(
        Type.Integer({ minimum: 0, maximum: MAX_GRACE_S, description: 'How long the old key keeps working (default 86400, at most 7 days)' }),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
]);
export type RotateApiKeyBody = { graceSeconds?: number } | null;

export const ApiKeyIdParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const ApiKeySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String({ description: 'fxk_<id>: how the key starts, to recognise it' }),
  permissions: Type.Array(Type.String()),
  createdBy: Type.String({ description: 'The user the key acts as' }),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Optional(Type.String({ format: 'date-time', description: 'Last exchange for a token (updated at most once a minute)' })),
  expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
  revokedAt: Type.Optional(Type.String({ format: 'date-time' })),
  graceUntil: Type.Optional(Type.String({ format: 'date-time', description: 'Rotated: works until then' })),
  rotatedFrom: Type.Optional(Type.String({ description: 'The key this one replaced' })),
});

const NewKey = Type.String({ description: 'fxk_<id>_<secret>: shown only in this answer; send it as X-API-Key' });

export const CreatedApiKeyEnvelope = Envelope(Type.Composite([ApiKeySchema, Type.Object({ key: NewKey })]));
export const RotatedApiKeyEnvelope = Envelope(Type.Composite([ApiKeySchema, Type.Object({ key: NewKey, previous: ApiKeySchema })]));
export const ApiKeyEnvelope = Envelope(ApiKeySchema);
export const ApiKeyListEnvelope = Envelope(Type.Array(ApiKeySchema));

export const ExchangedTokenEnvelope = Envelope(
  Type.Object({
    accessToken: Type.String({ description: 'RS256 JWT with akid; send as Authorization: Bearer <token>' }),
    tokenType: Type.Literal('Bearer'),
    expiresIn: Type.Integer({ description: 'Seconds the token is valid for' }),
  }),
);
