/**
 * Findings as events carry them: the first MAX_FINDINGS_SAMPLE in full, every one counted (in
 * total and per code). Producers of `compliance.checked` and `order.rejected` build those fields
 * here, so the event stays small whatever a check finds and the counts always match the sample.
 */
import { MAX_FINDINGS_SAMPLE, type ComplianceViolation } from './schemas/common.js';
import { MAX_FINDING_CODES, type ComplianceCheckedData, type FindingCodeCount } from './schemas/order.js';

export type FindingsSummary = Required<
  Pick<ComplianceCheckedData, 'violations' | 'violationCount' | 'violationsByCode' | 'warnings' | 'warningCount' | 'truncated'>
>;

/** Counts per code in order of first appearance; a finding without a code counts under its rule. */
function countByCode(findings: readonly ComplianceViolation[]): { counts: FindingCodeCount[]; complete: boolean } {
  const counts = new Map<string, number>();
  for (const finding of findings) {
    const code = finding.code ?? finding.rule;
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  const all = [...counts].map(([code, count]) => ({ code, count }));
  return { counts: all.slice(0, MAX_FINDING_CODES), complete: all.length <= MAX_FINDING_CODES };
}

/**
 * The findings fields of a `compliance.checked` event from all the violations and warnings of a
 * check, in evaluation order: `violations` / `warnings` are the first {@link MAX_FINDINGS_SAMPLE},
 * the counts cover all of them and `truncated` says whether anything was left out.
 */
export function summariseFindings(
  violations: readonly ComplianceViolation[],
  warnings: readonly ComplianceViolation[] = [],
): FindingsSummary {
  const byCode = countByCode(violations);
  const violationSample = violations.slice(0, MAX_FINDINGS_SAMPLE);
  const warningSample = warnings.slice(0, MAX_FINDINGS_SAMPLE);
  return {
    violations: violationSample,
    violationCount: violations.length,
    violationsByCode: byCode.counts,
    warnings: warningSample,
    warningCount: warnings.length,
    truncated: violationSample.length < violations.length || warningSample.length < warnings.length || !byCode.complete,
  };
}
