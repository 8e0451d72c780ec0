/** `order.*` (order), `compliance.checked` (compliance) and `notification.sent` (notification) data. */
import { Type, type Static } from '@sinclair/typebox';
import {
  AllergenList,
  CalendarDate,
  Category,
  CertificationTypeList,
  Code,
  ComplianceViolation,
  CONTRACT_LIMITS,
  CountryCode,
  CurrencyCode,
  DateTime,
  Id,
  MarketCode,
  MAX_FINDINGS_SAMPLE,
  MinorUnits,
  OrderStatus,
  ProductName,
  Quantity,
  Sku,
  TOKEN_PATTERN,
  StringEnum,
  Unit,
} from './common.js';

/**
 * One order line, with what compliance needs to know about the goods: product, origin and
 * allergens where known (an RFQ line that names no catalogue product may have neither).
 */
export const OrderItem = Type.Object(
  {
    lineId: Type.Optional(Id),
    rfqItemId: Type.Optional(Id),
    productId: Type.Optional(Id),
    sku: Type.Optional(Sku),
    name: ProductName,
    category: Type.Optional(Category),
    quantity: Quantity,
    unit: Unit,
    unitPriceMinor: MinorUnits,
    lineTotalMinor: MinorUnits,
    originCountry: Type.Optional(CountryCode),
    allergens: Type.Optional(AllergenList('Allergens the goods contain, when known.')),
    labelledAllergens: Type.Optional(AllergenList('Allergens declared on the label, when known.')),
    certifications: Type.Optional(CertificationTypeList),
  },
  { description: 'Order line. lineTotalMinor = round(quantity × unitPriceMinor).' },
);
export type OrderItem = Static<typeof OrderItem>;

export const ORDER_ORIGINS = ['rfq', 'catalog'] as const;

/** `order.created`: an order exists in `pending_compliance`; compliance checks it next. */
/** The human-readable number an order gets beside its id, e.g. `ORD-2026-000123`. */
export const OrderNumber = Type.String({
  // The exact shape is ORD-<year>-<6 or more digits>; the bound keeps it a short token.
  pattern: '^[A-Z0-9-]{1,24}$',
  description: 'Human-readable order number, ORD-<year>-<sequence>, e.g. ORD-2026-000123.',
});

export const OrderCreatedData = Type.Object(
  {
    orderId: Id,
    orderNumber: Type.Optional(OrderNumber),
    createdFrom: Type.Optional(StringEnum(ORDER_ORIGINS, { description: 'rfq = from an award; catalog = direct purchase.' })),
    rfqId: Type.Optional(Id),
    quoteId: Type.Optional(Id),
    buyerCompanyId: Id,
    buyerUserId: Type.Optional(Id),
    supplierCompanyId: Id,
    supplierName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    status: Type.Literal('pending_compliance'),
    currency: CurrencyCode,
    items: Type.Array(OrderItem, { minItems: 1, maxItems: CONTRACT_LIMITS.orderLines }),
    totalMinor: MinorUnits,
    deliveryCountry: CountryCode,
    market: MarketCode,
    requiredCertifications: CertificationTypeList,
    deliveryDate: Type.Optional(CalendarDate),
    createdAt: Type.Optional(DateTime),
  },
  { title: 'order.created data', description: 'An order was created and awaits its compliance check.' },
);
export type OrderCreatedData = Static<typeof OrderCreatedData>;

/** How many findings there were of one code (`violationsByCode`). */
export const FindingCodeCount = Type.Object(
  { code: Code, count: Type.Integer({ minimum: 1 }) },
  { description: 'How many findings had this code.' },
);
export type FindingCodeCount = Static<typeof FindingCodeCount>;

/** Distinct finding codes a summary counts (the compliance service has 7 today). */
export const MAX_FINDING_CODES = 32;

/** The findings of a check as events carry them: the first ones in full, all of them counted. */
const findingsSample = (description: string) =>
  Type.Array(ComplianceViolation, { maxItems: MAX_FINDINGS_SAMPLE, description });
const findingCount = (description: string) => Type.Integer({ minimum: 0, description });

/**
 * `compliance.checked`: the verdict on an order against its market's rules. A check can find
 * thousands of problems (every allergen of every line): the event carries the first
 * MAX_FINDINGS_SAMPLE in full and counts all of them, so it always fits in one message.
 */
export const ComplianceCheckedData = Type.Object(
  {
    checkId: Id,
    orderId: Id,
    market: MarketCode,
    passed: Type.Boolean({ description: 'True exactly when there are no violations (violationCount is 0).' }),
    violations: findingsSample(
      `The first ${MAX_FINDINGS_SAMPLE} violations, in evaluation order; violationCount says how many there were.`,
    ),
    violationCount: Type.Optional(
      findingCount('How many violations the check found in all. Always sent by current producers (absent only in events from before it existed: then violations is complete).'),
    ),
    violationsByCode: Type.Optional(
      Type.Array(FindingCodeCount, {
        maxItems: MAX_FINDING_CODES,
        description: 'Violations counted per code, over all of them (not only the sample). Always sent by current producers.',
      }),
    ),
    warnings: Type.Optional(
      findingsSample(`Findings that do not fail the check: the first ${MAX_FINDINGS_SAMPLE}; warningCount says how many there were.`),
    ),
    warningCount: Type.Optional(findingCount('How many warnings the check found in all.')),
    truncated: Type.Optional(
      Type.Boolean({
        description:
          'True when violations or warnings hold fewer findings than violationCount or warningCount (or violationsByCode does not list every code).',
      }),
    ),
    ruleSetVersion: Type.Optional(Type.Integer({ minimum: 0 })),
    buyerCompanyId: Type.Optional(Id),
    supplierCompanyId: Type.Optional(Id),
    checkedAt: Type.Optional(DateTime),
  },
  {
    title: 'compliance.checked data',
    description:
      'Result of validating an order against the market rules. passed is true exactly when there are no violations: ' +
      'violations is empty and violationCount 0; otherwise violations holds at least one and violationCount is at least 1.',
    if: { properties: { passed: { const: true } }, required: ['passed'] },
    then: { properties: { violations: { maxItems: 0 }, violationCount: { const: 0 }, violationsByCode: { maxItems: 0 } } },
    else: { properties: { violations: { minItems: 1 }, violationCount: { minimum: 1 }, violationsByCode: { minItems: 1 } } },
  },
);
export type ComplianceCheckedData = Static<typeof ComplianceCheckedData>;

/** What every order status event carries. */
const transitionFields = {
  orderId: Id,
  buyerCompanyId: Id,
  supplierCompanyId: Id,
  from: OrderStatus,
  note: Type.Optional(Type.String({ maxLength: 2000 })),
  changedBy: Type.Optional(
    Type.String({ minLength: 1, maxLength: 128, pattern: TOKEN_PATTERN, description: 'User id, or "system" for saga steps.' }),
  ),
  changedAt: Type.Optional(DateTime),
  rfqId: Type.Optional(Id),
  /** The awarded quote the order came from (orders from an award), so the RFQ can tell which award failed. */
  quoteId: Type.Optional(Id),
};

/** `order.confirmed`: the order passed compliance (`pending_compliance → confirmed`). */
export const OrderConfirmedData = Type.Object(
  {
    ...transitionFields,
    to: Type.Literal('confirmed'),
    checkId: Type.Optional(Id),
    market: Type.Optional(MarketCode),
    currency: Type.Optional(CurrencyCode),
    totalMinor: Type.Optional(MinorUnits),
  },
  { title: 'order.confirmed data', description: 'An order passed its compliance check and is confirmed.' },
);
export type OrderConfirmedData = Static<typeof OrderConfirmedData>;

/** `order.rejected`: the order failed compliance (`pending_compliance → rejected`). */
export const OrderRejectedData = Type.Object(
  {
    ...transitionFields,
    to: Type.Literal('rejected'),
    checkId: Type.Optional(Id),
    market: Type.Optional(MarketCode),
    violations: Type.Optional(
      findingsSample(`Why: the first ${MAX_FINDINGS_SAMPLE} violations of the compliance check; violationCount says how many there were.`),
    ),
    violationCount: Type.Optional(findingCount('How many violations the compliance check found in all.')),
  },
  { title: 'order.rejected data', description: 'An order failed its compliance check and is rejected.' },
);
export type OrderRejectedData = Static<typeof OrderRejectedData>;

/**
 * `order.status-changed`: every transition of an order, in order (one key = one partition), the
 * compliance outcomes included. Follow this one topic to track an order's whole life.
 */
export const OrderStatusChangedData = Type.Object(
  {
    ...transitionFields,
    to: OrderStatus,
  },
  {
    title: 'order.status-changed data',
    description: 'An order moved from one status to another (every transition, including confirmed and rejected).',
  },
);
export type OrderStatusChangedData = Static<typeof OrderStatusChangedData>;

/** `notification.sent`: a notification was delivered on a channel (audit and delivery stats). */
export const NotificationSentData = Type.Object(
  {
    notificationId: Id,
    userId: Id,
    companyId: Type.Optional(Id),
    channel: Type.String({ minLength: 1, maxLength: 32, description: 'Delivery channel, e.g. in_app, email, sse.' }),
    template: Type.String({ minLength: 1, maxLength: 100, description: 'Template name, e.g. rfq.matched.' }),
    title: Type.Optional(Type.String({ maxLength: 500 })),
    subjectType: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'What it is about: rfq, quote, order, company, user.' })),
    subjectId: Type.Optional(Id),
    triggeredBy: Type.Optional(
      Type.Object(
        { eventId: Id, topic: Type.String({ minLength: 1, maxLength: 100 }) },
        { description: 'The event that caused the notification.' },
      ),
    ),
    sentAt: Type.Optional(DateTime),
  },
  { title: 'notification.sent data', description: 'A notification was delivered to a user.' },
);
export type NotificationSentData = Static<typeof NotificationSentData>;
