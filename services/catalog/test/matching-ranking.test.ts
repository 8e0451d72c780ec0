import { describe, expect, it } from 'vitest';
import { CONTRACT_LIMITS, validateAgainst, SupplierMatch, type CertificationType } from '@foodxchange/contracts';
import {
  MIN_RELEVANCE,
  asciiText,
  marketStanding,
  rankSuppliers,
  unitRatio,
  type CandidateProduct,
  type ItemHits,
  type MatchRequest,
  type SupplierFacts,
} from '../src/matching/ranking.js';

const request = (overrides: Partial<MatchRequest> = {}): MatchRequest => ({
  items: [
    { index: 0, rfqItemId: 'item-1', name: 'cherry tomatoes', category: 'vegetables.tomatoes', quantity: 500, unit: 'kg', targetUnitPriceMinor: 250, currency: 'EUR' },
    { index: 1, rfqItemId: 'item-2', name: 'red peppers', category: 'vegetables.peppers', quantity: 200, unit: 'kg' },
  ],
  requiredCertifications: ['HACCP'],
  deliveryCountry: 'DE',
  market: 'EU',
  deliveryDate: new Date('2027-03-01T00:00:00Z'),
  ...overrides,
});

const product = (overrides: Partial<CandidateProduct> & Pick<CandidateProduct, 'productId' | 'supplierCompanyId'>): CandidateProduct => ({
  name: 'Cherry tomatoes',
  score: 10,
  category: 'vegetables.tomatoes',
  moq: 100,
  unit: 'kg',
  currency: 'EUR',
  priceTiers: [
    { minQuantity: 100, unitPriceMinor: 200 },
    { minQuantity: 1000, unitPriceMinor: 180 },
  ],
  ...overrides,
});

const supplier = (id: string, overrides: Partial<SupplierFacts> = {}): [string, SupplierFacts] => [
  id,
  { supplierCompanyId: id, companyName: `Company ${id}`, verified: false, active: true, marketsServed: [], validCertifications: [], ...overrides },
];

describe('supplier ranking', () => {
  it('weighs item coverage, valid certifications, the market served and verification', () => {
    const hits: ItemHits[] = [
      {
        itemIndex: 0,
        maxScore: 10,
        products: [
          product({ productId: 'p-a1', supplierCompanyId: 'sup-a' }),
          product({ productId: 'p-b1', supplierCompanyId: 'sup-b' }),
          product({ productId: 'p-c1', supplierCompanyId: 'sup-c' }),
        ],
      },
      {
        itemIndex: 1,
        maxScore: 8,
        products: [product({ productId: 'p-a2', supplierCompanyId: 'sup-a', name: 'Red bell peppers', category: 'vegetables.peppers', score: 8 })],
      },
    ];
    const suppliers = new Map([
      supplier('sup-a'),
      supplier('sup-b', { validCertifications: ['HACCP'], verified: true, marketsServed: ['EU'] }),
      supplier('sup-c', { validCertifications: ['HACCP'] }),
    ]);
    const ranked = rankSuppliers(request(), hits, suppliers);
    expect(ranked.map((match) => match.supplierCompanyId)).toEqual(['sup-b', 'sup-a', 'sup-c']);
    const [b, a, c] = ranked;
    // sup-a: both items fully (coverage 1), nothing else: 60
    expect(a!.score).toBe(60);
    expect(a!.matchedItemCount).toBe(2);
    expect(a!.missingCertifications).toEqual(['HACCP']);
    // sup-b: one of two items (coverage 0.5 → 30) + certifications 20 + market 10 + verified 10
    expect(b!.score).toBe(70);
    expect(b!.verified).toBe(true);
    expect(b!.missingCertifications).toEqual([]);
    // sup-c: 30 + 20
    expect(c!.score).toBe(50);
    expect(b!.matchedItems).toEqual([
      {
        itemIndex: 0,
        rfqItemId: 'item-1',
        name: 'cherry tomatoes',
        productIds: ['p-b1'],
        reason: '"Cherry tomatoes"; relevance 1.00; category fits; MOQ 100 kg <= 500; 2.00 EUR/kg <= target 2.50 EUR',
      },
    ]);
    for (const match of ranked) {
      const { matchedItems, ...rest } = match;
      expect(validateAgainst(SupplierMatch, { ...rest, matchedItems: matchedItems.map(({ itemIndex: _, ...item }) => item) })).toEqual({ valid: true });
    }
  });

  it('scores text relevance, category, MOQ and price per item and names the reasons', () => {
    const hits: ItemHits[] = [
      {
        itemIndex: 0,
        maxScore: 10,
        products: [
          product({ productId: 'exact', supplierCompanyId: 'sup-exact' }),
          product({ productId: 'weak', supplierCompanyId: 'sup-weak', score: 5 }),
          product({ productId: 'moq', supplierCompanyId: 'sup-moq', moq: 1, unit: 't', priceTiers: [{ minQuantity: 1, unitPriceMinor: 200_000 }] }),
          product({ productId: 'dear', supplierCompanyId: 'sup-dear', priceTiers: [{ minQuantity: 100, unitPriceMinor: 300 }, { minQuantity: 1000, unitPriceMinor: 240 }] }),
          product({ productId: 'volume', supplierCompanyId: 'sup-volume', priceTiers: [{ minQuantity: 100, unitPriceMinor: 300 }, { minQuantity: 400, unitPriceMinor: 240 }] }),
          product({ productId: 'usd', supplierCompanyId: 'sup-usd', currency: 'USD' }),
          product({ productId: 'group', supplierCompanyId: 'sup-group', category: 'vegetables.peppers' }),
          product({ productId: 'other', supplierCompanyId: 'sup-other', category: 'preserved.sauces' }),
          product({ productId: 'noise', supplierCompanyId: 'sup-noise', score: 10 * MIN_RELEVANCE - 0.01 }),
        ],
      },
    ];
    const ids = ['sup-exact', 'sup-weak', 'sup-moq', 'sup-dear', 'sup-volume', 'sup-usd', 'sup-group', 'sup-other', 'sup-noise'];
    const suppliers = new Map(ids.map((id) => supplier(id)));
    const ranked = rankSuppliers(request({ items: [request().items[0]!], requiredCertifications: [] }), hits, suppliers);
    const byId = new Map(ranked.map((match) => [match.supplierCompanyId, match]));
    // no certification required: everyone gets those 20 points
    expect(byId.get('sup-exact')!.score).toBe(80);
    expect(byId.has('sup-noise')).toBe(false);
    // relevance 0.5: 0.55 × 0.5 short of a full item → 80 − 60 × 0.275
    expect(byId.get('sup-weak')!.score).toBe(63.5);
    expect(byId.get('sup-weak')!.matchedItems[0]!.reason).toContain('relevance 0.50');
    // 1 t MOQ > 500 kg; the price per t converts to 2.00 EUR/kg
    expect(byId.get('sup-moq')!.matchedItems[0]!.reason).toBe('"Cherry tomatoes"; relevance 1.00; category fits; MOQ 1000 kg > 500; 2.00 EUR/kg <= target 2.50 EUR');
    expect(byId.get('sup-moq')!.score).toBe(71);
    // 500 kg reach the 400 kg tier, under the target
    expect(byId.get('sup-volume')!.matchedItems[0]!.reason).toContain('2.40 EUR/kg <= target 2.50 EUR');
    expect(byId.get('sup-volume')!.score).toBe(80);
    // 500 kg stay in the first tier: 3.00 is 20 % over 2.50, price 0.5 × 0.8 = 0.4
    expect(byId.get('sup-dear')!.matchedItems[0]!.reason).toContain('3.00 EUR/kg > target 2.50 EUR');
    expect(byId.get('sup-dear')!.score).toBe(74.6);
    expect(byId.get('sup-usd')!.matchedItems[0]!.reason).toContain('priced in USD, target 2.50 EUR');
    expect(byId.get('sup-usd')!.score).toBe(75.5);
    expect(byId.get('sup-group')!.matchedItems[0]!.reason).toContain('same group (vegetables.peppers)');
    expect(byId.get('sup-group')!.score).toBe(75.5);
    expect(byId.get('sup-other')!.matchedItems[0]!.reason).toContain('other category (preserved.sauces)');
    expect(byId.get('sup-other')!.score).toBe(71);
    // equal scores are ordered by company id
    const tied = ranked.filter((match) => match.score === 75.5).map((match) => match.supplierCompanyId);
    expect(tied).toEqual(['sup-group', 'sup-usd']);
    expect(ranked.map((match) => match.score)).toEqual([...ranked.map((match) => match.score)].sort((a, b) => b - a));
  });

  it('picks the best product of a supplier for an item and lists at most three', () => {
    const products = ['p4', 'p2', 'p3', 'p1'].map((productId) => product({ productId, supplierCompanyId: 'sup-a' }));
    products.push(product({ productId: 'p0', supplierCompanyId: 'sup-a', score: 6 }));
    const ranked = rankSuppliers(request({ items: [request().items[0]!] }), [{ itemIndex: 0, maxScore: 10, products }], new Map([supplier('sup-a')]));
    expect(ranked[0]!.matchedItems[0]!.productIds).toEqual(['p1', 'p2', 'p3']);
    expect(ranked[0]!.matchedItems[0]!.productIds!.length).toBeLessThanOrEqual(CONTRACT_LIMITS.productsPerMatchedItem);
  });

  it('leaves out suppliers whose declared markets miss the delivery, and inactive or unknown companies', () => {
    const hits: ItemHits[] = [
      {
        itemIndex: 0,
        maxScore: 10,
        products: ['sup-eu', 'sup-de', 'sup-us', 'sup-none', 'sup-inactive', 'sup-unknown'].map((id) => product({ productId: `p-${id}`, supplierCompanyId: id })),
      },
    ];
    const suppliers = new Map([
      supplier('sup-eu', { marketsServed: ['EU'] }),
      supplier('sup-de', { marketsServed: ['US', 'DE'] }),
      supplier('sup-us', { marketsServed: ['US', 'UK'] }),
      supplier('sup-none'),
      supplier('sup-inactive', { active: false }),
    ]);
    const ranked = rankSuppliers(request({ items: [request().items[0]!] }), hits, suppliers);
    expect(ranked.map((match) => [match.supplierCompanyId, match.score])).toEqual([
      ['sup-de', 70],
      ['sup-eu', 70],
      ['sup-none', 60],
    ]);
    expect(marketStanding(['eu'], 'EU', 'FR')).toBe('served');
    expect(marketStanding([], 'EU', 'FR')).toBe('undeclared');
    expect(marketStanding(['UK'], 'EU', 'FR')).toBe('not-served');
  });

  it('counts only certificates the caller found valid and lists the missing ones in request order', () => {
    const required: CertificationType[] = ['ORGANIC_EU', 'HACCP', 'ISO22000'];
    const hits: ItemHits[] = [{ itemIndex: 0, maxScore: 10, products: [product({ productId: 'p', supplierCompanyId: 'sup' })] }];
    const [match] = rankSuppliers(
      request({ items: [request().items[0]!], requiredCertifications: required }),
      hits,
      new Map([supplier('sup', { validCertifications: ['HACCP', 'BRCGS'] })]),
    );
    expect(match!.missingCertifications).toEqual(['ORGANIC_EU', 'ISO22000']);
    expect(match!.score).toBe(66.67);
  });

  it('is deterministic whatever order the hits come in, and keeps within the contract limits', () => {
    const items = Array.from({ length: 12 }, (_, index) => ({ index, rfqItemId: `item-${index}`, name: `item ${index}`, category: 'vegetables.tomatoes', quantity: 10, unit: 'kg' }));
    const hits: ItemHits[] = items.map((item) => ({
      itemIndex: item.index,
      maxScore: 10,
      products: Array.from({ length: 30 }, (_, s) => product({ productId: `p-${s}-${item.index}`, supplierCompanyId: `sup-${String(s).padStart(2, '0')}`, score: 10 - (s % 3) })),
    }));
    const suppliers = new Map(Array.from({ length: 30 }, (_, s) => supplier(`sup-${String(s).padStart(2, '0')}`)));
    const first = rankSuppliers(request({ items }), hits, suppliers);
    const shuffled = hits.map((entry) => ({ ...entry, products: [...entry.products].reverse() })).reverse();
    expect(rankSuppliers(request({ items }), shuffled, new Map([...suppliers].reverse()))).toEqual(first);
    expect(first).toHaveLength(CONTRACT_LIMITS.supplierMatches);
    expect(first[0]!.matchedItems).toHaveLength(CONTRACT_LIMITS.matchedItemsSample);
    expect(first[0]!.matchedItemCount).toBe(12);
    expect(first.slice(0, 3).map((match) => match.supplierCompanyId)).toEqual(['sup-00', 'sup-03', 'sup-06']);
  });

  it('writes reasons as bounded printable ASCII', () => {
    const long = `Tomates cerises ${'très '.repeat(60)}sucrées`;
    const [match] = rankSuppliers(
      request({ items: [request().items[0]!] }),
      [{ itemIndex: 0, maxScore: 3, products: [product({ productId: 'p', supplierCompanyId: 'sup', name: long, score: 3 })] }],
      new Map([supplier('sup')]),
    );
    const reason = match!.matchedItems[0]!.reason!;
    expect(reason.length).toBeLessThanOrEqual(CONTRACT_LIMITS.matchReasonLength);
    expect(reason).toMatch(/^[ -~]*$/);
    expect(reason.startsWith('"Tomates cerises tres tres')).toBe(true);
    expect(reason).toContain('relevance 1.00; category fits');
    expect(asciiText('jalapeño ✓')).toBe('jalapeno ?');
  });

  it('converts mass and volume units only within their dimension', () => {
    expect(unitRatio('t', 'kg')).toBe(1000);
    expect(unitRatio('KG', 'kg')).toBe(1);
    expect(unitRatio('ml', 'l')).toBe(0.001);
    expect(unitRatio('kg', 'l')).toBeUndefined();
    expect(unitRatio('case', 'kg')).toBeUndefined();
    expect(unitRatio('case', 'Case')).toBe(1);
  });
});
