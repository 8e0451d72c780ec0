import type { ComplianceViolation, EventData } from '@foodxchange/contracts';
import type { Finding } from '../rules/evaluate.js';
import type { CheckDoc } from './model.js';

/** A finding as the contract's ComplianceViolation: only the fields the contract names. */
function toContractFinding(finding: Finding<string>): ComplianceViolation {
  const out: ComplianceViolation = { rule: finding.rule, message: finding.message, code: finding.code };
  if (finding.certification) out.certification = finding.certification;
  if (finding.productId) out.productId = finding.productId;
  if (finding.product) out.product = finding.product;
  if (finding.itemIndex !== undefined) out.itemIndex = finding.itemIndex;
  if (finding.allergen) out.allergen = finding.allergen;
  return out;
}

/**
 * `compliance.checked` data for a check. The contract makes `orderId` required (the event is
 * the verdict on an order, which the order service acts on), so only checks of an order publish.
 */
export function complianceCheckedData(check: CheckDoc): EventData<'compliance.checked'> | undefined {
  if (!check.orderId) return undefined;
  const data: EventData<'compliance.checked'> = {
    checkId: check._id,
    orderId: check.orderId,
    market: check.market,
    passed: check.passed,
    violations: check.violations.map(toContractFinding),
    warnings: check.warnings.map(toContractFinding),
    ruleSetVersion: check.ruleSetVersion,
    supplierCompanyId: check.supplierCompanyId,
    checkedAt: check.checkedAt.toISOString(),
  };
  if (check.buyerCompanyId) data.buyerCompanyId = check.buyerCompanyId;
  return data;
}
