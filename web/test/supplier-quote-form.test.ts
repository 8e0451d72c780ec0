import { describe, expect, it } from 'vitest';
import { initialQuoteForm, mapQuoteErrors, matchedProducts, quoteBody, validateQuote } from '../src/pages/supplier/inbox/quote-form';

const items = [{ id: 'i1' }, { id: 'i2' }];
const today = new Date('2026-12-02T10:00:00Z');

describe('supplier quote form', () => {
  it('starts empty for a new quote and from the quote itself when revising', () => {
    expect(initialQuoteForm(items, undefined, today)).toEqual({ prices: { i1: '', i2: '' }, currency: 'EUR', leadTimeDays: '7', validUntil: '2026-12-16', notes: '' });
    const revising = initialQuoteForm(items, { currency: 'EUR', leadTimeDays: 3, validUntil: '2026-12-20', notes: 'Pallets', items: [{ rfqItemId: 'i2', unitPriceMinor: 235 }] }, today);
    expect(revising).toEqual({ prices: { i1: '', i2: '2.35' }, currency: 'EUR', leadTimeDays: '3', validUntil: '2026-12-20', notes: 'Pallets' });
  });

  it('sends only the priced items, decimal commas accepted', () => {
    const state = { prices: { i1: '1,20', i2: '' }, currency: 'eur', leadTimeDays: '5', validUntil: '2026-12-10', notes: '  ' };
    expect(validateQuote(state, items, today)).toEqual({});
    expect(quoteBody(state, items)).toEqual({ items: [{ rfqItemId: 'i1', unitPrice: 1.2 }], currency: 'EUR', leadTimeDays: 5, validUntil: '2026-12-10' });
  });

  it('catches the obvious before a round trip', () => {
    const errors = validateQuote({ prices: { i1: 'abc', i2: '' }, currency: 'EURO', leadTimeDays: '1.5', validUntil: '2026-12-01', notes: '' }, items, today);
    expect(Object.keys(errors).sort()).toEqual(['currency', 'leadTimeDays', 'price.i1', 'validUntil']);
    expect(validateQuote({ prices: { i1: '', i2: '' }, currency: 'EUR', leadTimeDays: '1', validUntil: '2026-12-03', notes: '' }, items, today)).toEqual({ items: ['Price at least one item'] });
  });

  it("puts the API's errors beside the item they are about", () => {
    expect(mapQuoteErrors({ 'items.0.unitPrice': ['must be >= 0'], 'items/1/rfqItemId': ['unknown item'], leadTimeDays: ['too long'], '': ['bad'] }, ['i2', 'i1'])).toEqual({
      'price.i2': ['must be >= 0'],
      'price.i1': ['unknown item'],
      leadTimeDays: ['too long'],
      form: ['bad'],
    });
  });

  it("names the matched product on each line, so the order's compliance check sees its origin and allergens", () => {
    const productIds = matchedProducts([{ rfqItemId: 'i1', productIds: ['p1', 'p2'] }, { productIds: ['p9'] }, { rfqItemId: 'i2', productIds: [] }]);
    expect(productIds).toEqual({ i1: 'p1' });
    const state = { prices: { i1: '2', i2: '3' }, currency: 'EUR', leadTimeDays: '5', validUntil: '2026-12-10', notes: '' };
    expect(quoteBody(state, items, productIds).items).toEqual([{ rfqItemId: 'i1', unitPrice: 2, productId: 'p1' }, { rfqItemId: 'i2', unitPrice: 3 }]);
  });
});
