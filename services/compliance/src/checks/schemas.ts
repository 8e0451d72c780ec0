import { Type, type Static } from '@sinclair/typebox';
import {
  AllergenCodeSchema,
  CalendarDateSchema,
  CertificationTypeSchema,
  CountryCodeSchema,
  IdSchema,
  MarketCodeSchema,
} from '@foodxchange/contracts';
import { Envelope, PagedEnvelope, PageQuerySchema } from '@foodxchange/service-kit';
import { VIOLATION_CODES, WARNING_CODES } from '../rules/evaluate.js';
import { CHECK_KINDS } from './model.js';

const CheckKindSchema = Type.Union(CHECK_KINDS.map((kind) => Type.Literal(kind)), {
  description: "verdict: an order's verdict from the order.created consumer (one per order, published as compliance.checked); pre-check: a POST /compliance/validate, recorded only",
});

const ProposedCertificationSchema = Type.Object(
  {
    type: CertificationTypeSchema,
    number: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    issuedBy: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    validFrom: CalendarDateSchema,
    validUntil: CalendarDateSchema,
  },
  { additionalProperties: false },
);

const ProposedProductSchema = Type.Object(
  {
    productId: Type.Optional(IdSchema),
    sku: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    allergens: Type.Array(AllergenCodeSchema, { maxItems: 64, default: [], description: 'Allergens the product contains' }),
    labelledAllergens: Type.Array(AllergenCodeSchema, {
      maxItems: 64,
      default: [],
      description: 'Allergens its label declares',
    }),
    originCountry: Type.Optional(CountryCodeSchema),
  },
  { additionalProperties: false },
);

export const ValidateBodySchema = Type.Object(
  {
    market: Type.Optional(MarketCodeSchema),
    deliveryCountry: Type.Optional(CountryCodeSchema),
    orderId: Type.Optional(IdSchema),
    rfqId: Type.Optional(IdSchema),
    buyerCompanyId: Type.Optional(IdSchema),
    deliveryDate: Type.Optional(CalendarDateSchema),
    supplier: Type.Object(
      {
        companyId: IdSchema,
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        certifications: Type.Array(ProposedCertificationSchema, { maxItems: 100 }),
      },
      { additionalProperties: false },
    ),
    products: Type.Array(ProposedProductSchema, { minItems: 1, maxItems: 500 }),
  },
  {
    additionalProperties: false,
    description:
      'A proposed supply. Give the market, or the delivery country (mapped to its market), or both; when both are given the country must belong to that market. ' +
      'An orderId is kept for the record only: a pre-check never decides an order.',
    // At least one of the two: stated in the schema so generated clients know it.
    anyOf: [{ required: ['market'] }, { required: ['deliveryCountry'] }],
  },
);
export type ValidateBody = Static<typeof ValidateBodySchema>;

const FindingFields = {
  rule: Type.String(),
  message: Type.String(),
  certification: Type.Optional(Type.String()),
  certifications: Type.Optional(Type.Array(Type.String())),
  itemIndex: Type.Optional(Type.Integer({ minimum: 0 })),
  productId: Type.Optional(Type.String()),
  product: Type.Optional(Type.String()),
  allergen: Type.Optional(Type.String()),
  allergens: Type.Optional(Type.Array(Type.String(), { description: 'Every unlabelled allergen of the product' })),
};
const ViolationSchema = Type.Object({ code: Type.Union(VIOLATION_CODES.map((code) => Type.Literal(code))), ...FindingFields });
const WarningSchema = Type.Object({ code: Type.Union(WARNING_CODES.map((code) => Type.Literal(code))), ...FindingFields });

export const CheckSummarySchema = Type.Object(
  {
    violationCount: Type.Integer({ minimum: 0 }),
    warningCount: Type.Integer({ minimum: 0 }),
    violationsByCode: Type.Array(Type.Object({ code: Type.String(), count: Type.Integer({ minimum: 1 }) })),
  },
  { description: 'Counts of the findings, per code in order of first appearance' },
);

export const CheckSchema = Type.Object({
  id: Type.String(),
  kind: CheckKindSchema,
  passed: Type.Boolean(),
  violations: Type.Array(ViolationSchema, {
    description: 'Every violation found: one per certificate rule, at most two per product (allergens are grouped per product)',
  }),
  warnings: Type.Array(WarningSchema),
  summary: CheckSummarySchema,
  market: Type.String(),
  ruleSetVersion: Type.Integer(),
  deliveryCountry: Type.Optional(Type.String()),
  orderId: Type.Optional(Type.String()),
  rfqId: Type.Optional(Type.String()),
  buyerCompanyId: Type.Optional(Type.String()),
  supplierCompanyId: Type.String(),
  supplierName: Type.Optional(Type.String()),
  deliveryDate: Type.Optional(Type.String()),
  certifications: Type.Array(
    Type.Object({
      type: Type.String(),
      number: Type.Optional(Type.String()),
      issuedBy: Type.Optional(Type.String()),
      validFrom: Type.String(),
      validUntil: Type.String(),
    }),
  ),
  products: Type.Array(
    Type.Object({
      productId: Type.Optional(Type.String()),
      sku: Type.Optional(Type.String()),
      name: Type.String(),
      allergens: Type.Array(Type.String()),
      labelledAllergens: Type.Array(Type.String()),
      originCountry: Type.Optional(Type.String()),
      allergensUnknown: Type.Optional(Type.Boolean({ description: 'The order line stated no allergens and named no product compliance knows' })),
    }),
  ),
  checkedAt: Type.String({ format: 'date-time' }),
  correlationId: Type.String(),
  eventId: Type.Optional(Type.String({ description: 'The compliance.checked event (verdicts only)' })),
});
export type CheckView = Static<typeof CheckSchema>;

export const CheckParamsSchema = Type.Object({ id: IdSchema }, { additionalProperties: false });

export const CheckListQuerySchema = Type.Object(
  {
    ...PageQuerySchema.properties,
    orderId: Type.Optional(IdSchema),
    kind: Type.Optional(CheckKindSchema),
    rfqId: Type.Optional(IdSchema),
    supplierCompanyId: Type.Optional(IdSchema),
    market: Type.Optional(MarketCodeSchema),
    passed: Type.Optional(Type.Boolean()),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Checked at or after' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Checked before' })),
  },
  { additionalProperties: false },
);
export type CheckListQuery = Static<typeof CheckListQuerySchema>;

export const CheckEnvelope = Envelope(CheckSchema);
export const CheckListEnvelope = PagedEnvelope(CheckSchema);
