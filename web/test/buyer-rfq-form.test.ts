import { describe, expect, it } from 'vitest';
import { ApiError, fieldErrors } from '@/api/errors';
import { controlKeyOf, mapApiErrors, newRow, toBody, validate, type RfqFormState } from '@/pages/buyer/rfq-form';

const rows = [newRow('r1'), newRow('r7')];

function state(over: Partial<RfqFormState> = {}): RfqFormState {
  return {
    title: 'Tomatoes for summer',
    deliveryCountry: 'de',
    deliveryDate: '2030-06-01',
    responseDeadline: '2030-05-01T12:00',
    requiredCertifications: ['IFS'],
    items: [newRow('r1', { name: 'Tomatoes', category: 'vegetables.tomatoes', quantity: '500' })],
    ...over,
  };
}

describe('RFQ form field mapping', () => {
  it('maps per-item paths to the row that was at that index', () => {
    expect(controlKeyOf('items.1.quantity', rows)).toBe('items.r7.quantity');
    expect(controlKeyOf('body.items.0.name', rows)).toBe('items.r1.name');
    expect(controlKeyOf('/items/0/unit', rows)).toBe('items.r1.unit');
    expect(controlKeyOf('items.0', rows)).toBe('items.r1');
    expect(controlKeyOf('items.5.quantity', rows)).toBe('items');
    expect(controlKeyOf('responseDeadline', rows)).toBe('responseDeadline');
    expect(controlKeyOf('items', rows)).toBe('items');
  });

  it('turns an API envelope into errors per control', () => {
    const error = new ApiError(400, 'VALIDATION_ERROR', 'Invalid', {
      'body.items.1.quantity': ['must be > 0'],
      'body.items.0.targetUnitPriceMinor': ['must be integer'],
      'body.responseDeadline': ['must be before the delivery date'],
      'query.x': ['ignored'],
    });
    expect(mapApiErrors(fieldErrors(error), rows)).toEqual({
      'items.r7.quantity': ['Must be more than 0'],
      'items.r1.targetUnitPrice': ['Must be integer'],
      responseDeadline: ['Must be before the delivery date'],
    });
  });

  it('catches the obvious client-side', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    expect(validate(state(), now)).toEqual({});
    const bad = validate(
      state({ title: ' ', items: [newRow('r1', { name: 'x', category: 'c', quantity: '0' }), newRow('r2', { name: 'y', category: 'c', quantity: '' })] }),
      now,
    );
    expect(bad.title).toEqual(['Is required']);
    expect(bad['items.r1.quantity']).toEqual(['Must be more than 0']);
    expect(bad['items.r2.quantity']).toEqual(['Is required']);
    expect(validate(state({ items: [] }), now).items).toEqual(['Add at least one item']);
    expect(validate(state({ responseDeadline: '2030-07-01T00:00' }), now).responseDeadline).toEqual(['Must be before the delivery date']);
  });

  it('builds the body the API reads', () => {
    const body = toBody(state({ items: [newRow('r1', { name: 'Tomatoes', category: 'vegetables.tomatoes', quantity: '500', targetUnitPrice: '1.2', currency: 'eur' })] }));
    expect(body.deliveryCountry).toBe('DE');
    expect(body.items).toEqual([{ name: 'Tomatoes', category: 'vegetables.tomatoes', quantity: 500, unit: 'kg', targetUnitPrice: 1.2, currency: 'EUR' }]);
    expect(body.responseDeadline).toMatch(/^2030-05-01T/);
  });
});
