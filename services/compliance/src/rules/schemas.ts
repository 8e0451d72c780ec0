import { Type, type Static } from '@sinclair/typebox';
import { Envelope, PagedEnvelope, PageQuerySchema } from '@foodxchange/service-kit';
import { AllergenCodeSchema, CertificationTypeSchema, CountryCodeSchema } from '@foodxchange/contracts';
import { MARKET_CODE_PATTERN } from '../markets/markets.js';

export const MarketParamsSchema = Type.Object(
  { market: Type.String({ pattern: MARKET_CODE_PATTERN, description: 'EU, UK, US, INTL or a country code' }) },
  { additionalProperties: false },
);

export const RuleSetListQuerySchema = Type.Object(
  { country: Type.Optional(CountryCodeSchema) },
  { additionalProperties: false },
);

const rulesFields = {
  name: Type.String({ minLength: 1, maxLength: 120 }),
  description: Type.String({ maxLength: 2000 }),
  countries: Type.Array(CountryCodeSchema, { uniqueItems: true, maxItems: 250, description: 'Informational' }),
  requiredCertifications: Type.Array(CertificationTypeSchema, {
    uniqueItems: true,
    description: 'All of these must be held and valid',
  }),
  anyOfCertifications: Type.Array(CertificationTypeSchema, {
    uniqueItems: true,
    description: 'At least one of these must be held and valid (empty: no such rule)',
  }),
  allergenLabelling: Type.Object(
    {
      required: Type.Boolean({ description: 'Whether the regulated allergens a product contains must be on its label' }),
      allergens: Type.Array(AllergenCodeSchema, { uniqueItems: true, maxItems: 64 }),
    },
    { additionalProperties: false },
  ),
  originTracking: Type.Object(
    { required: Type.Boolean({ description: 'Whether every product must state its country of origin' }) },
    { additionalProperties: false },
  ),
  expiryWarningDays: Type.Integer({ minimum: 0, maximum: 365, description: 'Warn about certificates expiring this soon' }),
};

export const RuleSetSchema = Type.Object(
  {
    market: Type.String(),
    ...rulesFields,
    version: Type.Integer({ minimum: 1 }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
);

export const ReplaceRuleSetBodySchema = Type.Object(
  {
    name: rulesFields.name,
    description: Type.Optional(rulesFields.description),
    countries: Type.Optional(rulesFields.countries),
    requiredCertifications: rulesFields.requiredCertifications,
    anyOfCertifications: Type.Optional(rulesFields.anyOfCertifications),
    allergenLabelling: rulesFields.allergenLabelling,
    originTracking: rulesFields.originTracking,
    expiryWarningDays: Type.Optional(rulesFields.expiryWarningDays),
    expectedVersion: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'Version the change was based on (0 creates a new market); or send If-Match: "<version>"',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ReplaceRuleSetBody = Static<typeof ReplaceRuleSetBodySchema>;

export const IfMatchHeadersSchema = Type.Object({
  'if-match': Type.Optional(Type.String({ pattern: '^(W/)?"?[0-9]{1,9}"?$', description: 'The rule set version, e.g. "3"' })),
});

export const RuleSetEnvelope = Envelope(RuleSetSchema);
export const RuleSetListEnvelope = Envelope(Type.Array(RuleSetSchema));

export const RuleSetVersionSchema = Type.Object({
  market: Type.String(),
  ...rulesFields,
  version: Type.Integer({ minimum: 1 }),
  createdAt: Type.String({ format: 'date-time', description: 'When this version was accepted' }),
});
export const RuleSetVersionListEnvelope = PagedEnvelope(RuleSetVersionSchema);
export const VersionsQuerySchema = Type.Object({ ...PageQuerySchema.properties }, { additionalProperties: false });
