import { summariseFindings, type ComplianceViolation, type EventData } from '@foodxchange/contracts';
import type { Finding } from '../rules/evaluate.js';
import type { CheckDoc } from './model.js';

/** The contract's bound on a finding's message; the full label stays in `product`. */
const MESSAGE_LIMIT = 200;

/** A finding as the contract's ComplianceViolation: only the fields the contract names. */
function toContractFinding(finding: Finding<string>): ComplianceViolation {
  const message = finding.message.length > MESSAGE_LIMIT ? `${finding.message.slice(0, MESSAGE_LIMIT - 1)}…` : finding.message;
  const out: ComplianceViolation = { rule: finding.rule, message, code: finding.code };
  if (finding.certification) out.certification = finding.certification;
  if (finding.certifications) out.certifications = finding.certifications;
  if (finding.productId) out.productId = finding.productId;
  if (finding.product) out.product = finding.product;
  if (finding.itemIndex !== undefined) out.itemIndex = finding.itemIndex;
  if (finding.allergen) out.allergen = finding.allergen;
  if (finding.allergens) out.allergens = finding.allergens;
  return out;
}

/**
 * `compliance.checked` data for an order's verdict. The contract makes `orderId` required (the
 * event is the verdict on an order, which the order service acts on): only verdicts publish it,
 * never a pre-check (see verdicts/service.ts and checks/service.ts).
 * A partner gets the verdict, the counts per code and a bounded sample of the findings; the whole
 * list stays in the check (GET /compliance/checks/:id), so the event's size never grows with the
 * request that caused it.
 */
export function complianceCheckedData(check: CheckDoc): EventData<'compliance.checked'> | undefined {
  if (!check.orderId) return undefined;
  const data: EventData<'compliance.checked'> = {
    checkId: check._id,
    orderId: check.orderId,
    market: check.market,
    passed: check.passed,
    ...summariseFindings(check.violations.map(toContractFinding), check.warnings.map(toContractFinding)),
    ruleSetVersion: check.ruleSetVersion,
    supplierCompanyId: check.supplierCompanyId,
    checkedAt: check.checkedAt.toISOString(),
  };
  if (check.buyerCompanyId) data.buyerCompanyId = check.buyerCompanyId;
  return data;
}
