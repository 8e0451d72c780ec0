import { describe, expect, it } from 'vitest';
import { ApiError } from '@/api/errors';
import {
  emptyProductForm,
  parseDecimal,
  pathSegments,
  placeFieldErrors,
  priceFrom,
  productFormFrom,
  saveErrorsOf,
  toProductInput,
  toProductPatch,
  withTierAdded,
  withTierRemoved,
  type ProductFormValues,
  type ProductView,
} from '@/pages/supplier/products/product-form';
import { COUNTRY_CODES, countryOptions } from '@/pages/supplier/products/countries';

const product: ProductView = {
  id: 'p-1',
  supplierCompanyId: 'c-1',
  sku: 'TOM-1',
  name: 'Vine tomatoes',
  description: 'Class I',
  language: 'en',
  category: 'vegetables.tomatoes',
  originCountry: 'ES',
  unit: 'kg',
  moq: 500,
  currency: 'EUR',
  priceTiers: [
    { minQuantity: 100, unitPrice: 1.2, unitPriceMinor: 120, currency: 'EUR' },
    { minQuantity: 1000, unitPrice: 0.95, unitPriceMinor: 95, currency: 'EUR' },
  ],
  certifications: ['HACCP'],
  allergens: [],
  storage: 'chilled',
  status: 'active',
  version: 3,
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:00.000Z',
};

function filled(): ProductFormValues {
  return {
    ...emptyProductForm(),
    name: ' Cherry tomatoes ',
    sku: 'TOM-2',
    category: 'vegetables.tomatoes',
    originCountry: 'ES',
    unit: 'kg',
    moq: '250',
    storage: 'chilled',
    allergens: [],
    certifications: ['HACCP'],
    priceTiers: [
      { key: 'a', minQuantity: '100', unitPrice: '2,10', currency: 'EUR' },
      { key: 'b', minQuantity: '1 000', unitPrice: '1.85', currency: 'EUR' },
    ],
  };
}

describe('field error paths', () => {
  it('reads every path form the API may use', () => {
    expect(pathSegments('priceTiers.0.unitPrice')).toEqual(['priceTiers', '0', 'unitPrice']);
    expect(pathSegments('/priceTiers/0/unitPrice')).toEqual(['priceTiers', '0', 'unitPrice']);
    expect(pathSegments('body.priceTiers.2.currency')).toEqual(['priceTiers', '2', 'currency']);
    expect(pathSegments('priceTiers[1].minQuantity')).toEqual(['priceTiers', '1', 'minQuantity']);
    expect(pathSegments('')).toEqual([]);
  });

  it('places tier errors on their row and cell, others on their control, the rest in general', () => {
    const placed = placeFieldErrors({
      'priceTiers/0/unitPrice': ['Must have at most 2 decimal place(s) in EUR'],
      'priceTiers.1.minQuantity': ["Must be greater than the previous tier's minQuantity (100)"],
      'priceTiers.1.currency': ['Must be EUR'],
      'priceTiers.2': ['Must NOT have additional properties'],
      priceTiers: ['Needs at least 1'],
      sku: ['Is required'],
      'allergens.3': ['Must be equal to one of the allowed values'],
      certifications: ['Your company holds no certificate valid today for HALAL'],
      'translations.en': ["Is the product's own language"],
      '': ['Must NOT have additional properties'],
      moq: [],
    });
    expect(placed.tiers).toEqual({
      0: { unitPrice: ['Must have at most 2 decimal place(s) in EUR'] },
      1: { minQuantity: ["Must be greater than the previous tier's minQuantity (100)"], currency: ['Must be EUR'] },
      2: { row: ['Must NOT have additional properties'] },
    });
    expect(placed.fields).toEqual({
      priceTiers: ['Needs at least 1'],
      sku: ['Is required'],
      allergens: ['Must be equal to one of the allowed values'],
      certifications: ['Your company holds no certificate valid today for HALAL'],
    });
    expect(placed.general).toEqual(["translations.en: Is the product's own language", 'Must NOT have additional properties']);
  });

  it('takes a failed save apart: body fields placed, a 409 on the sku', () => {
    const invalid = new ApiError(400, 'VALIDATION_ERROR', 'The product is invalid', { 'body.priceTiers.0.minQuantity': ['must be at or below moq (50)'], 'query.x': ['ignored'] });
    expect(saveErrorsOf(invalid)).toEqual({ fields: {}, tiers: { 0: { minQuantity: ['Must be at or below moq (50)'] } }, general: [] });
    const duplicate = new ApiError(409, 'CONFLICT', 'You already have a product with sku TOM-1');
    expect(saveErrorsOf(duplicate).fields.sku).toEqual(['You already have a product with sku TOM-1']);
    expect(saveErrorsOf(new Error('boom'))).toEqual({ fields: {}, tiers: {}, general: [] });
  });
});

describe('form values and bodies', () => {
  it('parses decimals as people type them', () => {
    expect(parseDecimal('8.45')).toBe(8.45);
    expect(parseDecimal('8,45')).toBe(8.45);
    expect(parseDecimal(' 1 000 ')).toBe(1000);
    expect(parseDecimal('.5')).toBe(0.5);
    expect(parseDecimal('')).toBeUndefined();
    expect(parseDecimal('1,000.5')).toBeUndefined();
    expect(parseDecimal('-3')).toBeUndefined();
    expect(parseDecimal('abc')).toBeUndefined();
  });

  it('makes the POST body with decimal prices', () => {
    const { body, errors } = toProductInput(filled());
    expect(errors).toEqual({ fields: {}, tiers: {}, general: [] });
    expect(body).toEqual({
      name: 'Cherry tomatoes',
      sku: 'TOM-2',
      category: 'vegetables.tomatoes',
      originCountry: 'ES',
      unit: 'kg',
      moq: 250,
      storage: 'chilled',
      allergens: [],
      certifications: ['HACCP'],
      priceTiers: [
        { minQuantity: 100, unitPrice: 2.1, currency: 'EUR' },
        { minQuantity: 1000, unitPrice: 1.85, currency: 'EUR' },
      ],
    });
  });

  it('refuses to send required fields left blank or numbers that are not numbers', () => {
    const values = { ...filled(), name: '  ', moq: 'x', priceTiers: [{ key: 'a', minQuantity: '', unitPrice: 'cheap', currency: 'EUR' }] };
    const result = toProductInput(values);
    expect(result.body).toBeUndefined();
    expect(result.errors.fields).toEqual({ name: ['Is required'], moq: ['Must be a number above 0'] });
    expect(result.errors.tiers).toEqual({ 0: { minQuantity: ['Is required'], unitPrice: ['Must be a price such as 8.45'] } });
    expect(toProductInput({ ...filled(), priceTiers: [] }).errors.fields.priceTiers).toEqual(['Add at least one price tier']);
  });

  it('fills the form from a product and patches only what changed', () => {
    const values = productFormFrom(product);
    expect(values).toMatchObject({ name: 'Vine tomatoes', moq: '500', description: 'Class I', storage: 'chilled' });
    expect(values.priceTiers.map((row) => [row.minQuantity, row.unitPrice, row.currency])).toEqual([
      ['100', '1.2', 'EUR'],
      ['1000', '0.95', 'EUR'],
    ]);
    expect(toProductPatch(values, product).body).toEqual({});

    const changed = { ...values, moq: '600', description: '', allergens: ['celery' as const] };
    expect(toProductPatch(changed, product).body).toEqual({ moq: 600, description: null, allergens: ['celery'] });

    const repriced = { ...values, priceTiers: [values.priceTiers[0]!] };
    expect(toProductPatch(repriced, product).body).toEqual({ priceTiers: [{ minQuantity: 100, unitPrice: 1.2, currency: 'EUR' }] });
    expect(toProductPatch({ ...values, sku: '' }, product).body).toBeUndefined();
  });

  it('adds rows in the last currency and removes them by key', () => {
    const rows = [{ key: 'a', minQuantity: '1', unitPrice: '1', currency: 'USD' }];
    const added = withTierAdded(rows);
    expect(added).toHaveLength(2);
    expect(added[1]).toMatchObject({ minQuantity: '', unitPrice: '', currency: 'USD' });
    expect(added[1]!.key).not.toBe('a');
    expect(withTierRemoved(added, 'a')).toEqual([added[1]]);
  });

  it('shows the lowest tier price as "from"', () => {
    expect(priceFrom(product)).toEqual({ amount: 0.95, currency: 'EUR' });
    expect(priceFrom({ ...product, priceTiers: [] })).toBeUndefined();
  });

  it('offers every country of origin, named', () => {
    expect(COUNTRY_CODES).toHaveLength(249);
    const options = countryOptions('en');
    expect(options.find((o) => o.code === 'ES')?.name).toBe('Spain');
  });
});
