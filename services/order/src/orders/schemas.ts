import { Type, type Static } from '@sinclair/typebox';
import { CERTIFICATION_TYPES, IdSchema, ORDER_STATUSES, StringEnum } from '@foodxchange/contracts';
import { Envelope, PagedEnvelope, PageQuerySchema } from '@foodxchange/service-kit';

export const OrderStatusSchema = StringEnum(ORDER_STATUSES, { description: 'Order status' });

const FindingSchema = Type.Object({
  rule: Type.String(),
  message: Type.String(),
  code: Type.Optional(Type.String()),
  certification: Type.Optional(Type.String()),
  certifications: Type.Optional(Type.Array(Type.String())),
  productId: Type.Optional(Type.String()),
  product: Type.Optional(Type.String()),
  itemIndex: Type.Optional(Type.Integer()),
  allergen: Type.Optional(Type.String()),
  allergens: Type.Optional(Type.Array(Type.String())),
});

export const OrderItemSchema = Type.Object({
  lineId: Type.String(),
  rfqItemId: Type.Optional(Type.String()),
  productId: Type.Optional(Type.String()),
  sku: Type.Optional(Type.String()),
  name: Type.String(),
  category: Type.Optional(Type.String()),
  quantity: Type.Number(),
  unit: Type.String(),
  unitPriceMinor: Type.Integer({ description: 'Unit price in integer minor units of the order currency' }),
  lineTotalMinor: Type.Integer({ description: 'round(quantity × unitPriceMinor), computed by the service' }),
  originCountry: Type.Optional(Type.String()),
  allergens: Type.Optional(Type.Array(Type.String())),
  certifications: Type.Optional(Type.Array(Type.String())),
  priceTierMinQuantity: Type.Optional(Type.Number({ description: 'Catalogue purchases: the minQuantity of the price tier that applied' })),
});

export const StatusChangeSchema = Type.Object({
  from: Type.Optional(OrderStatusSchema),
  to: OrderStatusSchema,
  by: Type.String({ description: 'User id, or "system" for saga steps' }),
  byRole: Type.Optional(Type.String()),
  at: Type.String({ format: 'date-time' }),
  note: Type.Optional(Type.String()),
});

export const ComplianceOutcomeSchema = Type.Object({
  checkId: Type.String(),
  passed: Type.Boolean(),
  market: Type.String(),
  violations: Type.Array(FindingSchema, { description: 'The first violations of the check (violationCount counts them all)' }),
  violationCount: Type.Integer({ minimum: 0 }),
  warnings: Type.Array(FindingSchema),
  warningCount: Type.Integer({ minimum: 0 }),
  truncated: Type.Boolean(),
  ruleSetVersion: Type.Optional(Type.Integer()),
  checkedAt: Type.Optional(Type.String({ format: 'date-time' })),
  receivedAt: Type.String({ format: 'date-time' }),
});

export const OrderSchema = Type.Object({
  id: Type.String(),
  orderNumber: Type.String({ description: 'ORD-<year>-<6 digits>' }),
  createdFrom: StringEnum(['rfq', 'catalog'] as const),
  rfqId: Type.Optional(Type.String()),
  quoteId: Type.Optional(Type.String()),
  title: Type.Optional(Type.String()),
  status: OrderStatusSchema,
  buyerCompanyId: Type.String(),
  buyerUserId: Type.Optional(Type.String()),
  supplierCompanyId: Type.String(),
  supplierName: Type.Optional(Type.String()),
  currency: Type.String(),
  items: Type.Array(OrderItemSchema),
  totalMinor: Type.Integer({ description: 'Sum of the line totals, integer minor units' }),
  deliveryCountry: Type.String(),
  market: Type.String(),
  requiredCertifications: Type.Array(Type.String()),
  deliveryDate: Type.Optional(Type.String()),
  note: Type.Optional(Type.String()),
  compliance: Type.Optional(ComplianceOutcomeSchema),
  statusHistory: Type.Array(StatusChangeSchema, { description: 'Every status the order had, oldest first' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type OrderView = Static<typeof OrderSchema>;

export const OrderParamsSchema = Type.Object({ id: IdSchema }, { additionalProperties: false });

export const OrderListQuerySchema = Type.Object(
  {
    ...PageQuerySchema.properties,
    rfqId: Type.Optional(IdSchema),
    status: Type.Optional(OrderStatusSchema),
    createdFrom: Type.Optional(StringEnum(['rfq', 'catalog'] as const)),
    buyerCompanyId: Type.Optional({ ...IdSchema, description: "Platform admins only (anyone else 403): the orders this company buys" }),
    supplierCompanyId: Type.Optional({ ...IdSchema, description: "Platform admins only (anyone else 403): the orders this company supplies" }),
  },
  { additionalProperties: false },
);
/** The query filters that choose companies: platform admins' only (a company's list is its own already). */
export const COMPANY_FILTERS = ['buyerCompanyId', 'supplierCompanyId'] as const;
export type OrderListQuery = Static<typeof OrderListQuerySchema>;

/** One printable line: no control characters (NUL included, which the database refuses). */
const NoteSchema = Type.String({ maxLength: 2000, pattern: '^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]*$', description: 'Why (kept in the status history)' });

export const StatusChangeBodySchema = Type.Object(
  {
    status: OrderStatusSchema,
    note: Type.Optional(NoteSchema),
  },
  { additionalProperties: false },
);
export type StatusChangeBody = Static<typeof StatusChangeBodySchema>;

export const CertificationListSchema = Type.Array(StringEnum(CERTIFICATION_TYPES), { uniqueItems: true, maxItems: CERTIFICATION_TYPES.length });
export { NoteSchema };

export const OrderEnvelope = Envelope(OrderSchema);
export const OrderListEnvelope = PagedEnvelope(OrderSchema);
