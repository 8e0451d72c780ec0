import { describe, expect, it } from 'vitest';
import {
  ALL_TOPICS,
  CERTIFICATION_TYPES,
  ORDER_STATUSES,
  RFQ_STATUSES,
  ROLES,
  isLegalOrderTransition,
  validateEventData,
  type Topic,
} from '../src/index.js';
import { sampleEventData } from './samples.js';

function errorsOf(topic: Topic, data: unknown): Array<{ path: string; message: string }> {
  const result = validateEventData(topic, data);
  return result.valid ? [] : result.errors;
}

function pathsOf(topic: Topic, data: unknown): string[] {
  return errorsOf(topic, data).map((e) => e.path);
}

describe('samples', () => {
  it.each(ALL_TOPICS)('%s sample is valid', (topic) => {
    expect(errorsOf(topic, sampleEventData[topic])).toEqual([]);
  });
});

describe('validateEventData', () => {
  it('rejects non-objects', () => {
    for (const topic of ALL_TOPICS) {
      expect(validateEventData(topic, null).valid, topic).toBe(false);
      expect(validateEventData(topic, 'x').valid, topic).toBe(false);
      expect(validateEventData(topic, []).valid, topic).toBe(false);
    }
  });

  it('rejects an empty object for every topic, naming the required fields', () => {
    for (const topic of ALL_TOPICS) {
      const errors = errorsOf(topic, {});
      expect(errors.length, topic).toBeGreaterThan(0);
      expect(errors.every((e) => e.message === 'is required'), topic).toBe(true);
    }
  });

  it('answers an unknown topic with an error, not a crash', () => {
    expect(validateEventData('order.shipped' as Topic, {})).toEqual({
      valid: false,
      errors: [{ path: '', message: 'unknown topic order.shipped' }],
    });
  });

  it('does not change the data it validates', () => {
    const data = structuredClone(sampleEventData['rfq.awarded']);
    validateEventData('rfq.awarded', data);
    expect(data).toEqual(sampleEventData['rfq.awarded']);
  });

  it('tolerates unknown fields at every level', () => {
    const rfq = sampleEventData['rfq.created'];
    const newer = { ...rfq, incoterm: 'DAP', items: rfq.items.map((item) => ({ ...item, hsCode: '150910' })) };
    expect(errorsOf('rfq.created', newer)).toEqual([]);
  });
});

describe('money', () => {
  it('is integer minor units, never a float or a negative', () => {
    const awarded = sampleEventData['rfq.awarded'];
    expect(pathsOf('rfq.awarded', { ...awarded, totalMinor: 31500.5 })).toEqual(['/totalMinor']);
    expect(pathsOf('rfq.awarded', { ...awarded, totalMinor: -1 })).toEqual(['/totalMinor']);
    expect(pathsOf('rfq.awarded', { ...awarded, totalMinor: '3150000' })).toEqual(['/totalMinor']);
    const lines = [{ ...awarded.lines[0]!, unitPriceMinor: 8.1 }];
    expect(pathsOf('rfq.awarded', { ...awarded, lines })).toEqual(['/lines/0/unitPriceMinor']);
  });

  it('always carries an ISO 4217 currency', () => {
    const quote = sampleEventData['quote.submitted'];
    expect(pathsOf('quote.submitted', { ...quote, currency: 'eur' })).toEqual(['/currency']);
    expect(pathsOf('quote.submitted', { ...quote, currency: '€' })).toEqual(['/currency']);
    const { currency: _omit, ...noCurrency } = quote;
    expect(pathsOf('quote.submitted', noCurrency)).toEqual(['/currency']);
  });

  it('prices product tiers in minor units with a currency per tier', () => {
    const product = sampleEventData['product.created'];
    const tiers = [{ minQuantity: 10, unitPrice: 8.45, currency: 'EUR' }];
    expect(pathsOf('product.created', { ...product, priceTiers: tiers })).toEqual(['/priceTiers/0/unitPriceMinor']);
  });

  it('requires the currency of an RFQ target price', () => {
    const rfq = sampleEventData['rfq.created'];
    const items = [{ id: 'i1', name: 'Olive oil', category: 'oils', quantity: 10, unit: 'l', targetUnitPriceMinor: 800 }];
    expect(errorsOf('rfq.created', { ...rfq, items })).toEqual([
      { path: '/items/0/currency', message: 'must have property currency when property targetUnitPriceMinor is present' },
    ]);
    const { targetUnitPriceMinor: _t, currency: _c, ...withoutTarget } = rfq.items[0]!;
    expect(errorsOf('rfq.created', { ...rfq, items: [withoutTarget] })).toEqual([]);
  });
});

describe('codes and dates', () => {
  it('uses ISO 3166-1 alpha-2 countries', () => {
    const rfq = sampleEventData['rfq.created'];
    for (const bad of ['SWE', 'se', 'Sweden', '']) expect(pathsOf('rfq.created', { ...rfq, deliveryCountry: bad }), bad).toEqual(['/deliveryCountry']);
    expect(pathsOf('product.created', { ...sampleEventData['product.created'], originCountry: 'es' })).toEqual(['/originCountry']);
  });

  it('takes ids and codes as URL-safe ASCII tokens', () => {
    const confirmed = sampleEventData['order.confirmed'];
    for (const good of ['6650a1f2c3d4e5f607000001', '3f0c8a4e-2b9d-4c61-9a57-1f2e3d4c5b6a', 'ord_1.2:x', 'A']) {
      expect(errorsOf('order.confirmed', { ...confirmed, orderId: good }), good).toEqual([]);
    }
    for (const bad of ['a/b', '..', '.hidden', 'to\u0000mato', 'a b', 'ordre-é', '', 'x'.repeat(129)]) {
      expect([...new Set(pathsOf('order.confirmed', { ...confirmed, orderId: bad }))], bad).toEqual(['/orderId']);
    }
    const checked = sampleEventData['compliance.checked'];
    const warning = { ...checked.warnings![0]!, code: 'EXPIRING SOON' };
    expect(pathsOf('compliance.checked', { ...checked, warnings: [warning] })).toEqual(['/warnings/0/code']);
  });

  it('takes allergen codes as printable ASCII, spaces and case tolerated', () => {
    const created = sampleEventData['order.created'];
    const withAllergens = (allergens: string[]) => ({ ...created, items: [{ ...created.items[0]!, allergens }] });
    expect(errorsOf('order.created', withAllergens(['Crustaceans ', 'MILK', 'tree nuts']))).toEqual([]);
    expect(pathsOf('order.created', withAllergens(['mi\u0000lk']))).toEqual(['/items/0/allergens/0']);
    expect(pathsOf('order.created', withAllergens(['"milk"']))).toEqual(['/items/0/allergens/0']);
  });

  it('uses the certification types of DESIGN.md and nothing else', () => {
    expect([...CERTIFICATION_TYPES]).toEqual([
      'HACCP',
      'ISO22000',
      'BRCGS',
      'IFS',
      'FSSC22000',
      'ORGANIC_EU',
      'USDA_ORGANIC',
      'FDA_REGISTERED',
      'HALAL',
      'KOSHER',
    ]);
    const rfq = sampleEventData['rfq.created'];
    const errors = errorsOf('rfq.created', { ...rfq, requiredCertifications: ['HACCP', 'ISO 22000'] });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe('/requiredCertifications/1');
    expect(errors[0]!.message).toContain('"ISO22000"');
    expect(pathsOf('rfq.created', { ...rfq, requiredCertifications: ['HACCP', 'HACCP'] })).toEqual(['/requiredCertifications']);
  });

  it('checks certificates in full', () => {
    const added = sampleEventData['company.certification-added'];
    const { issuedBy: _omit, ...certification } = added.certification;
    expect(pathsOf('company.certification-added', { ...added, certification })).toEqual(['/certification/issuedBy']);
    const badDate = { ...added.certification, validUntil: '28/02/2027' };
    const errors = errorsOf('company.certification-added', { ...added, certification: badDate });
    expect(errors).toEqual([{ path: '/certification/validUntil', message: expect.stringContaining('must match one of') }]);
  });

  it('accepts calendar dates as a date or a date-time, instants only as date-time', () => {
    const awarded = sampleEventData['rfq.awarded'];
    expect(errorsOf('rfq.awarded', { ...awarded, deliveryDate: '2025-07-01' })).toEqual([]);
    expect(errorsOf('rfq.awarded', { ...awarded, deliveryDate: '2025-07-01T00:00:00Z' })).toEqual([]);
    expect(pathsOf('rfq.awarded', { ...awarded, deliveryDate: 'next week' })).toEqual(['/deliveryDate']);
    expect(pathsOf('rfq.awarded', { ...awarded, awardedAt: '2025-03-16' })).toEqual(['/awardedAt']);
    expect(pathsOf('rfq.awarded', { ...awarded, awardedAt: '2025-03-16T10:00:00' })).toEqual(['/awardedAt']);
  });

  it('uses the roles and states of DESIGN.md', () => {
    expect([...ROLES]).toEqual(['buyer', 'supplier', 'admin', 'super_admin']);
    expect([...RFQ_STATUSES]).toEqual(['open', 'awarded', 'cancelled', 'expired']);
    expect([...ORDER_STATUSES].sort()).toEqual(['cancelled', 'confirmed', 'delivered', 'pending_compliance', 'rejected', 'shipped']);
    expect(pathsOf('user.registered', { ...sampleEventData['user.registered'], role: 'owner' })).toEqual(['/role']);
  });
});

describe('per-event rules', () => {
  it('user.registered: buyers and suppliers come with their company, admins without', () => {
    const registered = sampleEventData['user.registered'];
    const { companyId: _c, company: _co, ...userOnly } = registered;
    expect(pathsOf('user.registered', userOnly).sort()).toEqual(['/company', '/companyId']);
    expect(errorsOf('user.registered', { ...userOnly, role: 'super_admin' })).toEqual([]);
    expect(pathsOf('user.registered', { ...registered, email: 'not-an-email' })).toEqual(['/email']);
    expect(pathsOf('user.registered', { ...registered, company: { name: 'X' } })).toEqual(['/company/country']);
  });

  it('rfq.created: at least one item, each with an id', () => {
    const rfq = sampleEventData['rfq.created'];
    expect(pathsOf('rfq.created', { ...rfq, items: [] })).toEqual(['/items']);
    const { id: _omit, ...item } = rfq.items[0]!;
    expect(pathsOf('rfq.created', { ...rfq, items: [item] })).toEqual(['/items/0/id']);
    expect(pathsOf('rfq.created', { ...rfq, items: [{ ...rfq.items[0]!, quantity: 0 }] })).toEqual(['/items/0/quantity']);
  });

  it('rfq.matched: the match shape of DESIGN.md, and an empty list is a valid answer', () => {
    const matched = sampleEventData['rfq.matched'];
    expect(errorsOf('rfq.matched', { ...matched, matches: [] })).toEqual([]);
    const { verified: _v, ...match } = matched.matches[0]!;
    expect(pathsOf('rfq.matched', { ...matched, matches: [match] })).toEqual(['/matches/0/verified']);
    expect(pathsOf('rfq.matched', { ...matched, matches: [{ ...matched.matches[0]!, score: -2 }] })).toEqual(['/matches/0/score']);
  });

  it('rfq.awarded: everything the order needs', () => {
    const awarded = sampleEventData['rfq.awarded'];
    for (const field of ['rfqId', 'quoteId', 'buyerCompanyId', 'supplierCompanyId', 'currency', 'lines', 'totalMinor', 'deliveryCountry', 'market', 'requiredCertifications', 'deliveryDate']) {
      const data: Record<string, unknown> = { ...awarded };
      delete data[field];
      expect(pathsOf('rfq.awarded', data), field).toEqual([`/${field}`]);
    }
    expect(pathsOf('rfq.awarded', { ...awarded, lines: [] })).toEqual(['/lines']);
  });

  it('compliance.checked: passed exactly when there are no violations', () => {
    const checked = sampleEventData['compliance.checked'];
    const violation = { rule: 'requiredCertifications', message: 'No ISO22000 certificate', code: 'CERTIFICATION_MISSING' };
    const failed = { ...checked, passed: false, violationCount: 1, violationsByCode: [{ code: 'CERTIFICATION_MISSING', count: 1 }] };
    expect(errorsOf('compliance.checked', { ...failed, violations: [violation] })).toEqual([]);
    expect(pathsOf('compliance.checked', { ...checked, passed: true, violations: [violation] })).toEqual(['/violations']);
    expect(pathsOf('compliance.checked', { ...failed, violations: [] })).toEqual(['/violations']);
    expect(pathsOf('compliance.checked', { ...failed, violations: [{ rule: 'x' }] })).toEqual(['/violations/0/message']);
  });

  it('order.created: starts in pending_compliance with its lines', () => {
    const created = sampleEventData['order.created'];
    expect(pathsOf('order.created', { ...created, status: 'confirmed' })).toEqual(['/status']);
    expect(pathsOf('order.created', { ...created, items: [] })).toEqual(['/items']);
  });

  it('order.confirmed / order.rejected: fixed target status; order.status-changed: any status', () => {
    expect(pathsOf('order.confirmed', { ...sampleEventData['order.confirmed'], to: 'rejected' })).toEqual(['/to']);
    expect(pathsOf('order.rejected', { ...sampleEventData['order.rejected'], to: 'confirmed' })).toEqual(['/to']);
    for (const to of ORDER_STATUSES) {
      expect(errorsOf('order.status-changed', { ...sampleEventData['order.status-changed'], to }), to).toEqual([]);
    }
    expect(pathsOf('order.status-changed', { ...sampleEventData['order.status-changed'], to: 'lost' })).toEqual(['/to']);
  });

  it('order transitions follow DESIGN.md', () => {
    expect(isLegalOrderTransition('pending_compliance', 'confirmed')).toBe(true);
    expect(isLegalOrderTransition('pending_compliance', 'rejected')).toBe(true);
    expect(isLegalOrderTransition('pending_compliance', 'cancelled')).toBe(true);
    expect(isLegalOrderTransition('confirmed', 'shipped')).toBe(true);
    expect(isLegalOrderTransition('confirmed', 'cancelled')).toBe(true);
    expect(isLegalOrderTransition('shipped', 'delivered')).toBe(true);
    expect(isLegalOrderTransition('shipped', 'cancelled')).toBe(false);
    expect(isLegalOrderTransition('rejected', 'confirmed')).toBe(false);
    expect(isLegalOrderTransition('delivered', 'shipped')).toBe(false);
    expect(isLegalOrderTransition('pending_compliance', 'shipped')).toBe(false);
  });

  it('product.updated carries the whole product, product.deleted only its identity', () => {
    const { sku: _omit, ...noSku } = sampleEventData['product.updated'];
    expect(pathsOf('product.updated', noSku)).toEqual(['/sku']);
    expect(errorsOf('product.deleted', { productId: 'p1', supplierCompanyId: 'c1' })).toEqual([]);
  });

  it('notification.sent names user, channel and template', () => {
    const { channel: _c, template: _t, ...rest } = sampleEventData['notification.sent'];
    expect(pathsOf('notification.sent', rest).sort()).toEqual(['/channel', '/template']);
  });
});
