import { randomUUID } from 'node:crypto';
import { NotFoundError, ValidationError, type EventContext } from '@foodxchange/service-kit';
import { blocOfCountry, marketForCountry } from '../markets/markets.js';
import { countByCode, evaluateCompliance, startInstant, endInstant } from '../rules/evaluate.js';
import type { RuleSetModel } from '../rules/model.js';
import { getRuleSet, knownMarkets, toRules, type RuleSetView } from '../rules/service.js';
import type { CheckDoc, CheckModel } from './model.js';
import type { CheckListQuery, CheckView, ValidateBody } from './schemas.js';

export interface CheckDeps {
  ruleSets: RuleSetModel;
  checks: CheckModel;
}

export function toCheckView(doc: CheckDoc): CheckView {
  const view: CheckView = {
    id: doc._id,
    // Checks recorded before verdicts existed were all requested through the API: pre-checks.
    kind: doc.kind ?? 'pre-check',
    passed: doc.passed,
    violations: doc.violations,
    warnings: doc.warnings,
    summary: {
      violationCount: doc.violations.length,
      warningCount: doc.warnings.length,
      violationsByCode: countByCode(doc.violations),
    },
    market: doc.market,
    ruleSetVersion: doc.ruleSetVersion,
    supplierCompanyId: doc.supplierCompanyId,
    certifications: doc.certifications,
    products: doc.products,
    checkedAt: doc.checkedAt.toISOString(),
    correlationId: doc.correlationId,
  };
  for (const key of ['deliveryCountry', 'orderId', 'rfqId', 'buyerCompanyId', 'supplierName', 'deliveryDate', 'eventId'] as const) {
    if (doc[key] !== undefined && doc[key] !== null) view[key] = doc[key];
  }
  return view;
}

/** The market whose rules apply: the one named, else the delivery country's. */
async function resolveMarket(ruleSets: RuleSetModel, body: ValidateBody): Promise<RuleSetView> {
  let market = body.market;
  if (market && body.deliveryCountry) {
    const bloc = blocOfCountry(body.deliveryCountry);
    if (bloc && bloc !== market) {
      throw new ValidationError('market does not match the delivery country', {
        'body.market': [`is ${market} but delivery country ${body.deliveryCountry} belongs to market ${bloc}`],
      });
    }
  }
  if (!market) {
    if (!body.deliveryCountry) {
      throw new ValidationError('Say where the goods go', {
        'body.market': ['is required when deliveryCountry is not given'],
        'body.deliveryCountry': ['is required when market is not given'],
      });
    }
    market = marketForCountry(body.deliveryCountry, await knownMarkets(ruleSets));
  }
  try {
    return await getRuleSet(ruleSets, market);
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new ValidationError(`No rule set for market ${market}`, { 'body.market': [`${market} has no rule set`] });
    }
    throw error;
  }
}

function checkDates(body: ValidateBody): void {
  const fields: Record<string, string[]> = {};
  body.supplier.certifications.forEach((cert, index) => {
    if (startInstant(cert.validFrom) > endInstant(cert.validUntil)) {
      fields[`body.supplier.certifications.${index}.validUntil`] = ['must not be before validFrom'];
    }
  });
  if (Object.keys(fields).length > 0) throw new ValidationError('Certificate validity is inconsistent', fields);
}

/**
 * The pre-check: validates a supply the caller describes against its market's rules and records
 * the check (the audit trail). It publishes nothing and decides no order, even one it names: the
 * certificates and products are the caller's word. An order's verdict comes only from the
 * `order.created` consumer, from the copies compliance holds (verdicts/service.ts).
 */
export async function runCheck(
  deps: CheckDeps,
  body: ValidateBody,
  context: EventContext,
  now = new Date(),
  requester?: { userId: string; companyId?: string },
): Promise<CheckView> {
  checkDates(body);
  const ruleSet = await resolveMarket(deps.ruleSets, body);
  const products = body.products.map((product) => ({
    ...product,
    allergens: product.allergens ?? [],
    labelledAllergens: product.labelledAllergens ?? [],
  }));
  const result = evaluateCompliance(
    toRules(ruleSet),
    { certifications: body.supplier.certifications, products, deliveryDate: body.deliveryDate },
    now,
  );

  const doc = new deps.checks({
    _id: randomUUID(),
    kind: 'pre-check',
    market: ruleSet.market,
    ruleSetVersion: ruleSet.version,
    deliveryCountry: body.deliveryCountry,
    orderId: body.orderId,
    rfqId: body.rfqId,
    buyerCompanyId: body.buyerCompanyId,
    supplierCompanyId: body.supplier.companyId,
    supplierName: body.supplier.name,
    deliveryDate: body.deliveryDate,
    passed: result.passed,
    violations: result.violations,
    warnings: result.warnings,
    certifications: body.supplier.certifications,
    products,
    checkedAt: now,
    correlationId: context.correlationId,
    ...(requester ? { requestedBy: requester } : {}),
    partyCompanyIds: [...new Set([body.buyerCompanyId, body.supplier.companyId, requester?.companyId].filter((id): id is string => Boolean(id)))],
  });
  await doc.save();
  return toCheckView(doc.toObject());
}

/**
 * Who may read which checks: platform admins every check, anyone else those of their own
 * company (as buyer, supplier or requester). `undefined` = every check.
 */
export type CheckReader = { companyId?: string } | undefined;

export async function getCheck(checks: CheckModel, id: string, reader?: CheckReader): Promise<CheckView> {
  const doc = await checks.findById(id).select({ outbox: 0 }).lean<CheckDoc>();
  // Another company's check is "not found": its id is not confirmed to exist.
  if (!doc || (reader && !(reader.companyId && doc.partyCompanyIds?.includes(reader.companyId)))) {
    throw new NotFoundError(`Compliance check ${id}`);
  }
  return toCheckView(doc);
}

export async function listChecks(checks: CheckModel, query: CheckListQuery, reader?: CheckReader): Promise<{ items: CheckView[]; total: number }> {
  const filter: Record<string, unknown> = {};
  if (reader) filter.partyCompanyIds = reader.companyId ?? '\u0001no-company';
  if (query.orderId) filter.orderId = query.orderId;
  if (query.kind) filter.kind = query.kind;
  if (query.rfqId) filter.rfqId = query.rfqId;
  if (query.supplierCompanyId) filter.supplierCompanyId = query.supplierCompanyId;
  if (query.market) filter.market = query.market;
  if (query.passed !== undefined) filter.passed = query.passed;
  if (query.from || query.to) {
    const range: Record<string, Date> = {};
    if (query.from) range.$gte = new Date(query.from);
    if (query.to) range.$lt = new Date(query.to);
    filter.checkedAt = range;
  }
  const [docs, total] = await Promise.all([
    checks
      .find(filter)
      .select({ outbox: 0 })
      .sort({ checkedAt: -1, _id: -1 })
      .skip((query.page - 1) * query.limit)
      .limit(query.limit)
      .lean<CheckDoc[]>(),
    checks.countDocuments(filter),
  ]);
  return { items: docs.map(toCheckView), total };
}
