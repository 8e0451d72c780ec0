import { describe, expect, it } from 'vitest';
import { CONTRACT_LIMITS, sampleEventData, validateEventData, type EventData } from '@foodxchange/contracts';
import { matchRequestOfRfq, rfqMatchedData } from '../src/matching/events.js';
import { matchRequestOfBody } from '../src/matching/routes.js';
import { itemFilters, itemSearchBody } from '../src/matching/search.js';
import { deliveryInstant } from '../src/matching/service.js';
import type { RankedMatch } from '../src/matching/ranking.js';

const now = new Date('2026-12-01T10:00:00Z');

describe('what matching asks of the RFQ and of the index', () => {
  it('maps the HTTP body: decimal targets to minor units, the country to its market, today by default', () => {
    const request = matchRequestOfBody(
      {
        items: [
          { name: ' cherry tomatoes ', category: 'vegetables.tomatoes', quantity: 500, unit: 'kg', targetUnitPrice: 2.5, currency: 'EUR' },
          { name: 'tuna', category: 'seafood', quantity: 10, unit: 'case', targetUnitPrice: 1200, currency: 'JPY' },
        ],
        requiredCertifications: ['HACCP'],
        deliveryCountry: 'PR',
      },
      now,
    );
    expect(request.items.map((item) => [item.index, item.name, item.targetUnitPriceMinor, item.currency])).toEqual([
      [0, 'cherry tomatoes', 250, 'EUR'],
      [1, 'tuna', 1200, 'JPY'],
    ]);
    expect(request.market).toBe('US');
    expect(request.deliveryDate).toEqual(now);
    expect(matchRequestOfBody({ items: request.items as never, requiredCertifications: [], deliveryCountry: 'GB', deliveryDate: '2027-03-01' }, now)).toMatchObject({
      market: 'UK',
      deliveryDate: new Date('2027-03-01T00:00:00.000Z'),
    });
    expect(() =>
      matchRequestOfBody({ items: [{ name: 'x', category: 'fruit', quantity: 1, unit: 'kg', targetUnitPrice: 1.5, currency: 'JPY' }], requiredCertifications: [], deliveryCountry: 'JP' }, now),
    ).toThrow(expect.objectContaining({ statusCode: 400, fields: { 'body.items.0.targetUnitPrice': [expect.stringContaining('decimal')] } }));
  });

  it('takes the RFQ event as it is: item ids, its market, the delivery day', () => {
    const data = structuredClone(sampleEventData['rfq.created']);
    const request = matchRequestOfRfq(data, now);
    expect(request.items.map((item) => item.rfqItemId)).toEqual(data.items.map((item) => item.id));
    expect(request.market).toBe(data.market);
    expect(request.deliveryDate).toEqual(deliveryInstant(data.deliveryDate, now));
    expect(deliveryInstant('2027-03-01T15:00:00+02:00', now)).toEqual(new Date('2027-03-01T13:00:00Z'));
  });

  it('publishes contract-valid rfq.matched data, the largest match list included', () => {
    const data: EventData<'rfq.created'> = structuredClone(sampleEventData['rfq.created']);
    const match = (i: number): RankedMatch => ({
      supplierCompanyId: `sup-${i}`,
      companyName: `Supplier ${i}`,
      score: 100 - i,
      matchedItems: Array.from({ length: CONTRACT_LIMITS.matchedItemsSample }, (_, index) => ({
        itemIndex: index,
        rfqItemId: `item-${index}`,
        name: 'Cherry tomatoes',
        productIds: ['p1', 'p2', 'p3'],
        reason: 'x'.repeat(CONTRACT_LIMITS.matchReasonLength),
      })),
      matchedItemCount: 12,
      missingCertifications: ['HACCP'],
      verified: false,
    });
    const published = rfqMatchedData(data, Array.from({ length: 25 }, (_, i) => match(i)), now);
    expect(validateEventData('rfq.matched', published)).toEqual({ valid: true });
    expect(published.matches).toHaveLength(CONTRACT_LIMITS.supplierMatches);
    expect(published.matches[0]!.matchedItems[0]).not.toHaveProperty('itemIndex');
    expect(validateEventData('rfq.matched', rfqMatchedData(data, [], now))).toEqual({ valid: true });
  });

  it('searches live products of active suppliers in the item group that serve the market or declare none', () => {
    const request = matchRequestOfBody({ items: [{ name: 'cherry tomatoes', category: 'vegetables.tomatoes', quantity: 1, unit: 'kg' }], requiredCertifications: [], deliveryCountry: 'DE' }, now);
    const filters = itemFilters(request.items[0]!, request);
    expect(filters).toEqual(
      expect.arrayContaining([
        { term: { status: 'active' } },
        { term: { supplierActive: true } },
        { term: { categoryPath: 'vegetables' } },
        {
          bool: {
            should: [{ terms: { supplierMarkets: ['EU', 'DE'] } }, { bool: { must_not: { exists: { field: 'supplierMarkets' } } } }],
            minimum_should_match: 1,
          },
        },
      ]),
    );
    const first = itemSearchBody(request.items[0]!, request, { size: 100, collapse: true });
    expect(first).toMatchObject({ size: 100, collapse: { field: 'supplierCompanyId' } });
    const second = itemSearchBody(request.items[0]!, request, { size: 30, collapse: false, supplierIds: ['a', 'b', 'c'] });
    expect(second).not.toHaveProperty('collapse');
    expect((second.query as { bool: { filter: unknown[] } }).bool.filter).toContainEqual({ terms: { supplierCompanyId: ['a', 'b', 'c'] } });
    // a category outside the taxonomy (an RFQ may carry free text) filters on no group
    const free = { ...request.items[0]!, category: 'Tomatoes' };
    expect(itemFilters(free, request).some((filter) => 'term' in filter && 'categoryPath' in (filter.term as object))).toBe(false);
  });
});
