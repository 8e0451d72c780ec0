/**
 * The compliance rule evaluation: a pure function from a market's rule set and a proposed supply
 * to the violations found. No I/O, no clock: the caller passes the instant to check at.
 */

export interface RuleSetRules {
  market: string;
  version: number;
  /** Every one of these must be held, valid at the time of the check. */
  requiredCertifications: readonly string[];
  /** At least one of these must be held and valid (e.g. a GFSI scheme); empty = no such rule. */
  anyOfCertifications: readonly string[];
  allergenLabelling: { required: boolean; allergens: readonly string[] };
  originTracking: { required: boolean };
  /** A certificate that satisfies a rule but expires within this many days gives a warning. */
  expiryWarningDays: number;
}

export interface ProposedCertification {
  type: string;
  number?: string;
  validFrom: string;
  validUntil: string;
}

export interface ProposedProduct {
  productId?: string;
  sku?: string;
  name: string;
  allergens: readonly string[];
  labelledAllergens: readonly string[];
  originCountry?: string;
  /**
   * Nothing says what the product contains (an order line that names no catalogue product and
   * states no allergens): where allergen labelling is mandatory that is a violation of its own,
   * never read as "contains none".
   */
  allergensUnknown?: boolean;
}

export interface ProposedSupply {
  certifications: readonly ProposedCertification[];
  products: readonly ProposedProduct[];
  /** When given, certificates must still be valid on this date (ISO date or date-time). */
  deliveryDate?: string;
  /**
   * When a certificate must be valid: `check` (default) at the instant of the check and still on
   * the delivery date (the pre-check); `delivery` on the delivery date only (an order's verdict:
   * a certificate that starts before the goods arrive counts). Without a delivery date, `delivery`
   * means the instant of the check.
   */
  certificatesValidOn?: 'check' | 'delivery';
}

export const VIOLATION_CODES = [
  'CERTIFICATION_MISSING',
  'CERTIFICATION_EXPIRED',
  'CERTIFICATION_NOT_YET_VALID',
  'CERTIFICATION_EXPIRES_BEFORE_DELIVERY',
  'CERTIFICATION_ALTERNATIVE_MISSING',
  'ALLERGEN_NOT_LABELLED',
  'ALLERGENS_NOT_DECLARED',
  'ORIGIN_MISSING',
  // An order's verdict when compliance holds no copy of what it must check (services/compliance/README.md).
  'SUPPLIER_DATA_MISSING',
  'PRODUCT_DATA_MISSING',
] as const;
export type ViolationCode = (typeof VIOLATION_CODES)[number];

export const WARNING_CODES = ['CERTIFICATION_EXPIRING_SOON'] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

export interface Finding<Code extends string> {
  code: Code;
  /** The rule-set field the finding comes from, e.g. `requiredCertifications`. */
  rule: string;
  message: string;
  certification?: string;
  certifications?: string[];
  itemIndex?: number;
  productId?: string;
  product?: string;
  allergen?: string;
  /** Every allergen a finding is about (one finding per product, not one per allergen). */
  allergens?: string[];
}
export type Violation = Finding<ViolationCode>;
export type Warning = Finding<WarningCode>;

export interface Evaluation {
  passed: boolean;
  violations: Violation[];
  warnings: Warning[];
}

const DAY_MS = 24 * 3600 * 1000;
/** Allergens one finding names at most (the `compliance.checked` contract's bound). */
export const MAX_ALLERGENS_PER_FINDING = 32;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** Start of validity: a plain date means from the start of that day (UTC). */
export function startInstant(value: string): number {
  return DATE_ONLY.test(value) ? Date.parse(`${value}T00:00:00.000Z`) : Date.parse(value);
}

/** End of validity: a plain date means through the end of that day (UTC). */
export function endInstant(value: string): number {
  return DATE_ONLY.test(value) ? Date.parse(`${value}T23:59:59.999Z`) : Date.parse(value);
}

function isValidAt(cert: ProposedCertification, at: number): boolean {
  return startInstant(cert.validFrom) <= at && at <= endInstant(cert.validUntil);
}

function productLabel(product: ProposedProduct, index: number): string {
  return product.sku ?? product.productId ?? product.name ?? `#${index}`;
}

/** Certification types are upper case (`ISO22000`), allergen codes lower case (`milk`). */
const norm = (code: string) => code.trim().toUpperCase();
const normAllergen = (code: string) => code.trim().toLowerCase();

/**
 * Checks one certification type; returns the certificate that satisfies it or the violation.
 * `validAt` is the instant a certificate must cover (the check's, or the delivery date's);
 * `now` tells a certificate that has already ended from one that ends before the delivery.
 */
function checkCertification(
  type: string,
  held: readonly ProposedCertification[],
  now: number,
  validAt: number,
  deliveryAt: number | undefined,
  onDelivery: boolean,
): { ok: ProposedCertification } | { violation: Omit<Violation, 'rule'> } {
  const candidates = held.filter((cert) => norm(cert.type) === type);
  if (candidates.length === 0) {
    return { violation: { code: 'CERTIFICATION_MISSING', certification: type, message: `No ${type} certificate` } };
  }
  const valid = candidates.filter((cert) => isValidAt(cert, validAt));
  if (valid.length === 0) {
    const future = candidates.some((cert) => startInstant(cert.validFrom) > validAt);
    if (future) {
      return {
        violation: {
          code: 'CERTIFICATION_NOT_YET_VALID',
          certification: type,
          message: onDelivery ? `The ${type} certificate is not valid yet on the delivery date` : `The ${type} certificate is not valid yet`,
        },
      };
    }
    const last = latest(candidates);
    return endInstant(last.validUntil) < now
      ? { violation: { code: 'CERTIFICATION_EXPIRED', certification: type, message: `The ${type} certificate expired on ${last.validUntil}` } }
      : {
          violation: {
            code: 'CERTIFICATION_EXPIRES_BEFORE_DELIVERY',
            certification: type,
            message: `The ${type} certificate expires on ${last.validUntil}, before the delivery date`,
          },
        };
  }
  const best = latest(valid);
  if (deliveryAt !== undefined && endInstant(best.validUntil) < deliveryAt) {
    return {
      violation: {
        code: 'CERTIFICATION_EXPIRES_BEFORE_DELIVERY',
        certification: type,
        message: `The ${type} certificate expires on ${best.validUntil}, before the delivery date`,
      },
    };
  }
  return { ok: best };
}

function latest(certs: readonly ProposedCertification[]): ProposedCertification {
  return certs.reduce((a, b) => (endInstant(b.validUntil) > endInstant(a.validUntil) ? b : a));
}

/**
 * Evaluates a proposed supply against a market's rules at instant `at`.
 * Certificates: each required type must be held and valid at `at` (and on the delivery date when
 * one is given); if the rule set lists alternatives, one of them must be. Products: every
 * allergen the market regulates that a product contains must be on its label; origin must be
 * known where origin tracking is mandatory.
 */
export function evaluateCompliance(rules: RuleSetRules, supply: ProposedSupply, at: Date): Evaluation {
  const now = at.getTime();
  const deliveryAt = supply.deliveryDate ? endInstant(supply.deliveryDate) : undefined;
  const onDelivery = supply.certificatesValidOn === 'delivery' && supply.deliveryDate !== undefined;
  // On the delivery date: from the first instant of that day (a date-time: that instant).
  const validAt = onDelivery ? startInstant(supply.deliveryDate!) : now;
  const violations: Violation[] = [];
  const warnings: Warning[] = [];
  const relied: ProposedCertification[] = [];

  for (const type of new Set(rules.requiredCertifications.map(norm))) {
    const result = checkCertification(type, supply.certifications, now, validAt, deliveryAt, onDelivery);
    if ('ok' in result) relied.push(result.ok);
    else violations.push({ ...result.violation, rule: 'requiredCertifications' });
  }

  const alternatives = [...new Set(rules.anyOfCertifications.map(norm))];
  if (alternatives.length > 0) {
    const satisfied = alternatives
      .map((type) => checkCertification(type, supply.certifications, now, validAt, deliveryAt, onDelivery))
      .flatMap((result) => ('ok' in result ? [result.ok] : []));
    if (satisfied.length > 0) relied.push(latest(satisfied));
    else {
      violations.push({
        code: 'CERTIFICATION_ALTERNATIVE_MISSING',
        rule: 'anyOfCertifications',
        certifications: alternatives,
        message: `A valid certificate of one of ${alternatives.join(', ')} is required`,
      });
    }
  }

  const warnBefore = now + rules.expiryWarningDays * DAY_MS;
  for (const cert of new Set(relied)) {
    if (endInstant(cert.validUntil) < warnBefore) {
      warnings.push({
        code: 'CERTIFICATION_EXPIRING_SOON',
        rule: 'expiryWarningDays',
        certification: norm(cert.type),
        message: `The ${norm(cert.type)} certificate expires on ${cert.validUntil}`,
      });
    }
  }

  const regulated = new Set(rules.allergenLabelling.allergens.map(normAllergen));
  supply.products.forEach((product, itemIndex) => {
    const label = productLabel(product, itemIndex);
    if (rules.allergenLabelling.required && product.allergensUnknown) {
      violations.push({
        code: 'ALLERGENS_NOT_DECLARED',
        rule: 'allergenLabelling',
        itemIndex,
        ...(product.productId ? { productId: product.productId } : {}),
        product: label,
        message: `${label} declares no allergen information`,
      });
    } else if (rules.allergenLabelling.required) {
      const labelled = new Set(product.labelledAllergens.map(normAllergen));
      // One finding per product naming every unlabelled allergen: the answer grows with the
      // products sent, not with products × allergens.
      const unlabelled = [...new Set(product.allergens.map(normAllergen))].filter(
        (allergen) => regulated.has(allergen) && !labelled.has(allergen),
      );
      // At most MAX_ALLERGENS_PER_FINDING per finding (the event contract's bound): a product
      // with more gets a second finding.
      for (let start = 0; start < unlabelled.length; start += MAX_ALLERGENS_PER_FINDING) {
        const group = unlabelled.slice(start, start + MAX_ALLERGENS_PER_FINDING);
        violations.push({
          code: 'ALLERGEN_NOT_LABELLED',
          rule: 'allergenLabelling',
          itemIndex,
          ...(product.productId ? { productId: product.productId } : {}),
          product: label,
          allergen: group[0]!,
          allergens: group,
          // The list is in `allergens`; the message stays short however many there are.
          message:
            group.length === 1
              ? `${label} contains ${group[0]}, which its label does not declare`
              : `${label} contains ${group.length} allergens its label does not declare`,
        });
      }
    }
    if (rules.originTracking.required && !product.originCountry) {
      violations.push({
        code: 'ORIGIN_MISSING',
        rule: 'originTracking',
        itemIndex,
        ...(product.productId ? { productId: product.productId } : {}),
        product: label,
        message: `${label} has no country of origin`,
      });
    }
  });

  return { passed: violations.length === 0, violations, warnings };
}

/** Counts per code, in order of first appearance (the summary a check and its event carry). */
export function countByCode(findings: readonly { code: string }[]): { code: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const finding of findings) counts.set(finding.code, (counts.get(finding.code) ?? 0) + 1);
  return [...counts].map(([code, count]) => ({ code, count }));
}
