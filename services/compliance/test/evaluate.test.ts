import { describe, expect, it } from 'vitest';
import { evaluateCompliance, type ProposedSupply, type RuleSetRules } from '../src/rules/evaluate.js';
import { DEFAULT_RULE_SETS } from '../src/rules/defaults.js';

const NOW = new Date('2025-06-15T12:00:00.000Z');

function rulesOf(market: string): RuleSetRules {
  const definition = DEFAULT_RULE_SETS.find((set) => set.market === market)!;
  return { ...definition, version: 1 };
}

const EU = rulesOf('EU');

function validCert(type: string, validUntil = '2026-12-31') {
  return { type, number: `${type}-1`, validFrom: '2024-01-01', validUntil };
}

function compliantEuSupply(): ProposedSupply {
  return {
    certifications: [validCert('HACCP'), validCert('ISO22000')],
    products: [
      { sku: 'OIL-1', name: 'Olive oil', allergens: [], labelledAllergens: [], originCountry: 'ES' },
      { sku: 'PESTO-1', name: 'Pesto', allergens: ['nuts', 'milk'], labelledAllergens: ['milk', 'nuts'], originCountry: 'IT' },
    ],
  };
}

describe('evaluateCompliance', () => {
  it('passes a supply that meets every EU rule', () => {
    expect(evaluateCompliance(EU, compliantEuSupply(), NOW)).toEqual({ passed: true, violations: [], warnings: [] });
  });

  it('reports a missing required certificate', () => {
    const supply = { ...compliantEuSupply(), certifications: [validCert('HACCP')] };
    const result = evaluateCompliance(EU, supply, NOW);
    expect(result.passed).toBe(false);
    expect(result.violations).toEqual([
      expect.objectContaining({ code: 'CERTIFICATION_MISSING', rule: 'requiredCertifications', certification: 'ISO22000' }),
    ]);
  });

  it('reports an expired certificate', () => {
    const supply = { ...compliantEuSupply(), certifications: [validCert('HACCP'), validCert('ISO22000', '2025-06-14')] };
    const result = evaluateCompliance(EU, supply, NOW);
    expect(result.passed).toBe(false);
    expect(result.violations).toEqual([
      expect.objectContaining({ code: 'CERTIFICATION_EXPIRED', certification: 'ISO22000' }),
    ]);
    expect(result.violations[0]!.message).toContain('2025-06-14');
  });

  it('treats a date-only validUntil as valid through the end of that day', () => {
    const supply = { ...compliantEuSupply(), certifications: [validCert('HACCP'), validCert('ISO22000', '2025-06-15')] };
    const result = evaluateCompliance(EU, supply, NOW);
    expect(result.passed).toBe(true);
    // …but it expires within the warning window.
    expect(result.warnings).toEqual([expect.objectContaining({ code: 'CERTIFICATION_EXPIRING_SOON', certification: 'ISO22000' })]);
  });

  it('accepts a renewed certificate next to an expired one of the same type', () => {
    const supply = {
      ...compliantEuSupply(),
      certifications: [validCert('HACCP'), validCert('ISO22000', '2024-12-31'), validCert('ISO22000', '2027-01-01')],
    };
    expect(evaluateCompliance(EU, supply, NOW).passed).toBe(true);
  });

  it('reports a certificate that is not valid yet', () => {
    const supply = {
      ...compliantEuSupply(),
      certifications: [validCert('HACCP'), { type: 'ISO22000', validFrom: '2025-07-01', validUntil: '2028-06-30' }],
    };
    expect(evaluateCompliance(EU, supply, NOW).violations).toEqual([
      expect.objectContaining({ code: 'CERTIFICATION_NOT_YET_VALID', certification: 'ISO22000' }),
    ]);
  });

  it('reports a certificate that lapses before the delivery date', () => {
    const supply = {
      ...compliantEuSupply(),
      deliveryDate: '2026-03-01',
      certifications: [validCert('HACCP'), validCert('ISO22000', '2026-01-31')],
    };
    expect(evaluateCompliance(EU, supply, NOW).violations).toEqual([
      expect.objectContaining({ code: 'CERTIFICATION_EXPIRES_BEFORE_DELIVERY', certification: 'ISO22000' }),
    ]);
  });

  it('matches certification types case-insensitively', () => {
    const supply = { ...compliantEuSupply(), certifications: [validCert('haccp'), validCert('iso22000')] };
    expect(evaluateCompliance(EU, supply, NOW).passed).toBe(true);
  });

  it('reports an allergen the market regulates that the label omits', () => {
    const supply = compliantEuSupply();
    const pesto = { sku: 'PESTO-2', name: 'Pesto', allergens: ['nuts', 'milk'], labelledAllergens: ['milk'], originCountry: 'IT' };
    const result = evaluateCompliance(EU, { ...supply, products: [supply.products[0]!, pesto] }, NOW);
    expect(result.violations).toEqual([
      expect.objectContaining({
        code: 'ALLERGEN_NOT_LABELLED',
        rule: 'allergenLabelling',
        itemIndex: 1,
        product: 'PESTO-2',
        allergen: 'nuts',
      }),
    ]);
  });

  it('names every unlabelled allergen of a product in one finding, at most 32 to a finding', () => {
    const supply = compliantEuSupply();
    const allergens = EU.allergenLabelling.allergens;
    const tray = { sku: 'TRAY', name: 'Tray', allergens: [...allergens], labelledAllergens: [], originCountry: 'IT' };
    const one = evaluateCompliance(EU, { ...supply, products: [tray] }, NOW).violations;
    expect(one).toEqual([expect.objectContaining({ code: 'ALLERGEN_NOT_LABELLED', allergens: [...allergens], allergen: allergens[0] })]);
    expect(one[0]!.message).toBe(`TRAY contains ${allergens.length} allergens its label does not declare`);
    // A rule set regulating 40 codes, a product containing all of them: 32 + 8.
    const many = Array.from({ length: 40 }, (_, n) => `code${n}`);
    const wide = { ...EU, allergenLabelling: { required: true, allergens: many } };
    const findings = evaluateCompliance(wide, { ...supply, products: [{ ...tray, allergens: many }] }, NOW).violations;
    expect(findings.map((finding) => finding.allergens?.length)).toEqual([32, 8]);
    expect(findings.flatMap((finding) => finding.allergens)).toEqual(many);
  });

  it('ignores allergens the market does not regulate, and labelling where it is not mandatory', () => {
    const product = { sku: 'X', name: 'Celery salt', allergens: ['celery'], labelledAllergens: [], originCountry: 'DE' };
    const us = rulesOf('US');
    const usSupply = { certifications: [validCert('HACCP'), validCert('FDA_REGISTERED')], products: [product] };
    expect(evaluateCompliance(us, usSupply, NOW).passed).toBe(true); // celery is not a US major allergen
    expect(evaluateCompliance(EU, { ...compliantEuSupply(), products: [product] }, NOW).passed).toBe(false);
    const relaxed = { ...EU, allergenLabelling: { required: false, allergens: EU.allergenLabelling.allergens } };
    expect(evaluateCompliance(relaxed, { ...compliantEuSupply(), products: [product] }, NOW).passed).toBe(true);
  });

  it('reports a product without origin where origin tracking is mandatory, and only there', () => {
    const product = { name: 'Rice', allergens: [], labelledAllergens: [] };
    const result = evaluateCompliance(EU, { ...compliantEuSupply(), products: [product] }, NOW);
    expect(result.violations).toEqual([
      expect.objectContaining({ code: 'ORIGIN_MISSING', rule: 'originTracking', itemIndex: 0, product: 'Rice' }),
    ]);
    const intl = rulesOf('INTL');
    expect(evaluateCompliance(intl, { certifications: [validCert('HACCP')], products: [product] }, NOW).passed).toBe(true);
  });

  it('requires one of the alternatives when the rule set lists them (UK GFSI scheme)', () => {
    const uk = rulesOf('UK');
    const products = compliantEuSupply().products;
    const without = evaluateCompliance(uk, { certifications: [validCert('HACCP')], products }, NOW);
    expect(without.violations).toEqual([
      expect.objectContaining({
        code: 'CERTIFICATION_ALTERNATIVE_MISSING',
        certifications: ['BRCGS', 'ISO22000', 'FSSC22000', 'IFS'],
      }),
    ]);
    const expiredBrc = evaluateCompliance(uk, { certifications: [validCert('HACCP'), validCert('BRCGS', '2025-01-01')], products }, NOW);
    expect(expiredBrc.passed).toBe(false);
    const withBrc = evaluateCompliance(uk, { certifications: [validCert('HACCP'), validCert('BRCGS')], products }, NOW);
    expect(withBrc.passed).toBe(true);
  });

  it('collects every violation at once', () => {
    const result = evaluateCompliance(
      EU,
      {
        certifications: [validCert('HACCP', '2020-01-01')],
        products: [{ name: 'Prawns', allergens: ['Crustaceans '], labelledAllergens: [] }],
      },
      NOW,
    );
    expect(result.violations.map((violation) => violation.code).sort()).toEqual([
      'ALLERGEN_NOT_LABELLED',
      'CERTIFICATION_EXPIRED',
      'CERTIFICATION_MISSING',
      'ORIGIN_MISSING',
    ]);
  });

  describe('on the delivery date (an order verdict)', () => {
    const onDelivery = (certifications: ProposedSupply['certifications'], deliveryDate = '2025-09-01'): ProposedSupply => ({
      ...compliantEuSupply(),
      certifications,
      deliveryDate,
      certificatesValidOn: 'delivery',
    });

    it('counts a certificate that starts after the check but by the delivery date', () => {
      const supply = onDelivery([validCert('HACCP'), { type: 'ISO22000', validFrom: '2025-09-01', validUntil: '2028-06-30' }]);
      expect(evaluateCompliance(EU, supply, NOW)).toMatchObject({ passed: true, violations: [] });
      // The pre-check (certificates valid now as well) refuses the same supply.
      expect(evaluateCompliance(EU, { ...supply, certificatesValidOn: 'check' }, NOW).violations).toEqual([
        expect.objectContaining({ code: 'CERTIFICATION_NOT_YET_VALID', certification: 'ISO22000' }),
      ]);
    });

    it('refuses one starting after the delivery date, one ending before it, and one already expired', () => {
      const result = evaluateCompliance(
        { ...EU, requiredCertifications: ['HACCP', 'ISO22000', 'BRCGS'] },
        onDelivery([
          { type: 'HACCP', validFrom: '2025-09-02', validUntil: '2028-06-30' },
          validCert('ISO22000', '2025-08-31'),
          validCert('BRCGS', '2025-06-01'),
        ]),
        NOW,
      );
      expect(result.violations).toEqual([
        expect.objectContaining({ code: 'CERTIFICATION_NOT_YET_VALID', certification: 'HACCP', message: 'The HACCP certificate is not valid yet on the delivery date' }),
        expect.objectContaining({
          code: 'CERTIFICATION_EXPIRES_BEFORE_DELIVERY',
          certification: 'ISO22000',
          message: 'The ISO22000 certificate expires on 2025-08-31, before the delivery date',
        }),
        expect.objectContaining({ code: 'CERTIFICATION_EXPIRED', certification: 'BRCGS', message: 'The BRCGS certificate expired on 2025-06-01' }),
      ]);
    });

    it('a certificate valid on the delivery day alone covers it (a date bound is that whole UTC day)', () => {
      const oneDay = { type: 'ISO22000', validFrom: '2025-09-01', validUntil: '2025-09-01' };
      expect(evaluateCompliance(EU, onDelivery([validCert('HACCP'), oneDay]), NOW).passed).toBe(true);
      expect(evaluateCompliance(EU, onDelivery([validCert('HACCP'), oneDay], '2025-09-02T08:00:00Z'), NOW).violations).toEqual([
        expect.objectContaining({ code: 'CERTIFICATION_EXPIRES_BEFORE_DELIVERY', certification: 'ISO22000' }),
      ]);
    });
  });

  it('reports a product whose allergens nobody declared where labelling is mandatory, and only there', () => {
    const supply: ProposedSupply = {
      ...compliantEuSupply(),
      products: [{ name: 'Crackers', allergens: [], labelledAllergens: [], originCountry: 'FR', allergensUnknown: true }],
    };
    expect(evaluateCompliance(EU, supply, NOW).violations).toEqual([
      expect.objectContaining({ code: 'ALLERGENS_NOT_DECLARED', rule: 'allergenLabelling', itemIndex: 0, message: 'Crackers declares no allergen information' }),
    ]);
    const lax = { ...EU, allergenLabelling: { required: false, allergens: [] } };
    expect(evaluateCompliance(lax, supply, NOW).passed).toBe(true);
  });
});
