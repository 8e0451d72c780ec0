import { describe, expect, it } from 'vitest';
import {
  certificationBody,
  checkCertification,
  formOf,
  isEmptyPatch,
  marketsOf,
  patchOf,
  readableErrors,
  type FullCompany,
} from '../src/pages/company/profile-form';

const company = {
  view: 'full',
  id: 'c1',
  name: 'Huerta del Sol SL',
  type: 'supplier',
  country: 'ES',
  verified: true,
  description: 'Vegetables from Almería',
  marketsServed: ['EU', 'CH'],
  categories: ['vegetables'],
  certifications: [],
  address: { line1: 'Calle Mayor 1', city: 'Almería', country: 'ES' },
  website: 'https://huertadelsol.example.com',
  members: [],
  verification: { verified: true },
  version: 3,
  createdAt: '2026-12-01T00:00:00Z',
  updatedAt: '2026-12-01T00:00:00Z',
} satisfies FullCompany;

describe('profile form', () => {
  it('starts from the company and sends nothing unchanged', () => {
    const form = formOf(company);
    expect(form.markets).toEqual(['EU']);
    expect(form.otherMarkets).toBe('CH');
    expect(isEmptyPatch(patchOf(form, company))).toBe(true);
  });
  it('sends only what changed, emptied fields as null', () => {
    const form = { ...formOf(company), name: '  Huerta del Sol S.L. ', website: '', phone: '+34 950 000 000' };
    expect(patchOf(form, company)).toEqual({ name: 'Huerta del Sol S.L.', website: null, phone: '+34 950 000 000' });
  });
  it('sends the whole address when a line changes, null when all are emptied', () => {
    const moved = { ...formOf(company), postalCode: '04001', country: 'es' };
    expect(patchOf(moved, company)).toEqual({ address: { line1: 'Calle Mayor 1', city: 'Almería', postalCode: '04001', country: 'ES' } });
    const gone = { ...formOf(company), line1: '', city: '', country: '' };
    expect(patchOf(gone, company)).toEqual({ address: null });
  });
  it('combines ticked and typed markets without repeats', () => {
    expect(marketsOf({ markets: ['EU', 'UK'], otherMarkets: 'ch, no eu' })).toEqual(['EU', 'UK', 'CH', 'NO']);
    const form = { ...formOf(company), markets: ['EU', 'UK'] };
    expect(patchOf(form, company)).toEqual({ marketsServed: ['EU', 'UK', 'CH'] });
  });
});

describe('readable field errors', () => {
  it('drops the clearable "must be null" and words the patterns', () => {
    const errors = readableErrors({
      website: ['Must match pattern "^https?://"', 'Must be null'],
      'address.line1': ['Is required', 'Must match pattern "^(?!\\s*$)[^\\x00-\\x1F\\x7F]+$"'],
      'address.country': ['Must match pattern "^[A-Z]{2}$"'],
      'marketsServed.1': ['Must match pattern "^[A-Z]{2,8}$"'],
      validFrom: ['Must be a date', 'Must be a date and time'],
    });
    expect(errors).toEqual({
      website: ['Must be a web address starting with http:// or https://'],
      'address.line1': ['Is required'],
      'address.country': ['Use the two-letter country code, e.g. ES or DE'],
      marketsServed: ['Use market codes such as EU, UK, US, INTL or a two-letter country code'],
      validFrom: ['Must be a date'],
    });
  });
});

describe('certification form', () => {
  it('checks the required fields and the order of the dates', () => {
    expect(checkCertification({ type: '', number: ' ', issuedBy: 'SGS', validFrom: '2027-01-01', validUntil: '2026-01-01' })).toEqual({
      type: ['Choose the certification type'],
      number: ['Is required'],
      validUntil: ['Must not be before the valid-from date'],
    });
  });
  it('trims the text it sends', () => {
    expect(certificationBody({ type: 'IFS', number: ' IFS-1 ', issuedBy: ' TÜV ', validFrom: '2026-01-01', validUntil: '2027-01-01' })).toEqual({
      type: 'IFS',
      number: 'IFS-1',
      issuedBy: 'TÜV',
      validFrom: '2026-01-01',
      validUntil: '2027-01-01',
    });
  });
});
