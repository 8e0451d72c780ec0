import { describe, expect, it } from 'vitest';
import {
  EU_ALLERGENS,
  MAX_EVENT_BYTES,
  buildEvent,
  eventBytes,
  summariseFindings,
  validateEventData,
  type ComplianceViolation,
  type EventData,
} from '../src/index.js';
import { sampleEventData } from './samples.js';

const checked = sampleEventData['compliance.checked'];

/** What the issue measured: 500 products, every EU allergen unlabelled, one finding each. */
function everyAllergenUnlabelled(): ComplianceViolation[] {
  const findings: ComplianceViolation[] = [];
  for (let itemIndex = 0; itemIndex < 500; itemIndex += 1) {
    for (const allergen of EU_ALLERGENS) {
      findings.push({
        rule: 'allergenLabelling',
        code: 'ALLERGEN_NOT_LABELLED',
        itemIndex,
        productId: `prod-${itemIndex}`,
        product: `SKU-${itemIndex}`,
        allergen,
        message: `SKU-${itemIndex} contains ${allergen}, which its label does not declare`,
      });
    }
  }
  findings.push({ rule: 'requiredCertifications', code: 'CERTIFICATION_MISSING', certification: 'ISO22000', message: 'No ISO22000 certificate' });
  return findings;
}

describe('summariseFindings', () => {
  it('keeps the first 50 in evaluation order and counts all of them, per code', () => {
    const all = everyAllergenUnlabelled();
    expect(all).toHaveLength(7001);
    const summary = summariseFindings(all);
    expect(summary.violations).toEqual(all.slice(0, 50));
    expect(summary.violationCount).toBe(7001);
    expect(summary.violationsByCode).toEqual([
      { code: 'ALLERGEN_NOT_LABELLED', count: 7000 },
      { code: 'CERTIFICATION_MISSING', count: 1 },
    ]);
    expect(summary.truncated).toBe(true);
    expect(summary.warnings).toEqual([]);
    expect(summary.warningCount).toBe(0);
  });

  it('is not truncated when everything fits', () => {
    const warning = checked.warnings![0]!;
    const summary = summariseFindings([], [warning]);
    expect(summary).toEqual({ violations: [], violationCount: 0, violationsByCode: [], warnings: [warning], warningCount: 1, truncated: false });
  });

  it('gives a compliance.checked event that validates and fits, however many findings there are', () => {
    const data: EventData<'compliance.checked'> = { ...checked, passed: false, ...summariseFindings(everyAllergenUnlabelled()) };
    const event = buildEvent('compliance.checked', { source: '/foodxchange/compliance', subject: data.checkId, data, correlationId: 'c' });
    expect(eventBytes(event)).toBeLessThan(MAX_EVENT_BYTES);
    // the unbounded list it replaces would not even fit in Kafka's 1 MB
    const unbounded = { ...data, violations: everyAllergenUnlabelled() };
    expect(validateEventData('compliance.checked', unbounded).valid).toBe(false);
    expect(Buffer.byteLength(JSON.stringify(unbounded))).toBeGreaterThan(1024 * 1024);
  });
});

describe('compliance.checked: passed exactly when nothing was found', () => {
  const violation = { rule: 'requiredCertifications', message: 'No ISO22000 certificate', code: 'CERTIFICATION_MISSING' };
  const failed = { ...checked, passed: false, violations: [violation], violationCount: 1, violationsByCode: [{ code: 'CERTIFICATION_MISSING', count: 1 }] };

  function paths(data: unknown): string[] {
    const result = validateEventData('compliance.checked', data);
    return result.valid ? [] : result.errors.map((e) => e.path);
  }

  it('accepts a pass with nothing counted and a failure with its counts', () => {
    expect(paths(checked)).toEqual([]);
    expect(paths(failed)).toEqual([]);
  });

  it('refuses counts that contradict passed', () => {
    expect(paths({ ...checked, violationCount: 3 })).toEqual(['/violationCount']);
    expect(paths({ ...checked, violationsByCode: failed.violationsByCode })).toEqual(['/violationsByCode']);
    expect(paths({ ...failed, violationCount: 0 })).toEqual(['/violationCount']);
    expect(paths({ ...failed, violationsByCode: [] })).toEqual(['/violationsByCode']);
  });

  it('still accepts an event from before the counts existed (v1 stays compatible)', () => {
    const { violationCount: _c, violationsByCode: _b, warningCount: _w, truncated: _t, ...older } = failed as typeof failed & { warningCount?: number; truncated?: boolean };
    expect(paths(older)).toEqual([]);
  });

  it('refuses more than 50 findings in the sample, and a grouped finding of more than 32 allergens', () => {
    const many = Array.from({ length: 51 }, () => violation);
    expect(paths({ ...failed, violations: many, violationCount: 51 })).toEqual(['/violations']);
    expect(paths({ ...checked, warnings: many })).toEqual(['/warnings']);
    const allergens = Array.from({ length: 33 }, (_, i) => `allergen-${i}`);
    const grouped = { rule: 'allergenLabelling', code: 'ALLERGEN_NOT_LABELLED', message: 'Pesto: 33 allergens not on the label', allergens };
    expect(paths({ ...failed, violations: [grouped] })).toEqual(['/violations/0/allergens']);
    expect(paths({ ...failed, violations: [{ ...grouped, allergens: allergens.slice(0, 32) }] })).toEqual([]);
  });

  it('order.rejected carries the same bounded sample and its count', () => {
    const rejected = sampleEventData['order.rejected'];
    expect(validateEventData('order.rejected', rejected)).toEqual({ valid: true });
    const many = Array.from({ length: 51 }, () => violation);
    const result = validateEventData('order.rejected', { ...rejected, violations: many, violationCount: 51 });
    expect(result.valid ? [] : result.errors.map((e) => e.path)).toEqual(['/violations']);
  });
});
