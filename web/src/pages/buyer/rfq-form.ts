/**
 * The RFQ form's state and the mapping between the API's field paths (`items.0.quantity`,
 * `responseDeadline`) and the form's controls, so an API error lands next to the control it is
 * about. Client checks catch the obvious; the API stays the judge.
 */
import type { Certification, RfqBody } from './types';

export interface ItemRow {
  key: string;
  name: string;
  category: string;
  description: string;
  quantity: string;
  unit: string;
  targetUnitPrice: string;
  currency: string;
}

export interface RfqFormState {
  title: string;
  deliveryCountry: string;
  deliveryDate: string;
  responseDeadline: string;
  requiredCertifications: Certification[];
  items: ItemRow[];
}

export type FormErrors = Record<string, string[]>;

/** The control a field path names: `items.<row key>.<field>` for rows (rows may be reordered by removal), else the top-level name. */
export function controlKeyOf(path: string, rows: Pick<ItemRow, 'key'>[]): string {
  const clean = path.replace(/^body\./, '').replace(/^\//, '').replace(/\//g, '.');
  const match = /^items\.(\d+)(?:\.(.+))?$/.exec(clean);
  if (match) {
    const row = rows[Number(match[1])];
    if (!row) return 'items';
    return match[2] ? `items.${row.key}.${match[2].split('.')[0]}` : `items.${row.key}`;
  }
  const top = clean.split('.')[0] ?? '';
  // targetUnitPriceMinor and targetUnitPrice are the same control in the form.
  return top;
}

/** API field errors (already body-relative, from fieldErrors()) keyed by control. */
export function mapApiErrors(fields: Record<string, string[]>, rows: Pick<ItemRow, 'key'>[]): FormErrors {
  const mapped: FormErrors = {};
  for (const [path, messages] of Object.entries(fields)) {
    let key = controlKeyOf(path, rows);
    key = key.replace(/\.targetUnitPriceMinor$/, '.targetUnitPrice');
    if (key === '') key = 'form';
    (mapped[key] ??= []).push(...messages);
  }
  return mapped;
}

export function newRow(key: string, seed: Partial<ItemRow> = {}): ItemRow {
  return { key, name: '', category: '', description: '', quantity: '', unit: 'kg', targetUnitPrice: '', currency: 'EUR', ...seed };
}

/** Obvious mistakes, caught before a round trip. */
export function validate(state: RfqFormState, now = new Date()): FormErrors {
  const errors: FormErrors = {};
  const need = (key: string, value: string, message = 'Is required') => {
    if (!value.trim()) (errors[key] ??= []).push(message);
  };
  need('title', state.title);
  need('deliveryCountry', state.deliveryCountry);
  if (state.deliveryCountry.trim() && !/^[A-Za-z]{2}$/.test(state.deliveryCountry.trim())) (errors.deliveryCountry ??= []).push('Use the two-letter country code, e.g. DE');
  need('deliveryDate', state.deliveryDate);
  need('responseDeadline', state.responseDeadline);
  if (state.responseDeadline && new Date(state.responseDeadline).getTime() <= now.getTime()) (errors.responseDeadline ??= []).push('Must be in the future');
  if (state.responseDeadline && state.deliveryDate && new Date(state.responseDeadline).getTime() >= new Date(state.deliveryDate).getTime())
    (errors.responseDeadline ??= []).push('Must be before the delivery date');
  if (state.items.length === 0) errors.items = ['Add at least one item'];
  for (const row of state.items) {
    const at = `items.${row.key}`;
    need(`${at}.name`, row.name);
    need(`${at}.category`, row.category);
    need(`${at}.unit`, row.unit);
    const quantity = Number(row.quantity);
    if (!row.quantity.trim()) (errors[`${at}.quantity`] ??= []).push('Is required');
    else if (!Number.isFinite(quantity) || quantity <= 0) (errors[`${at}.quantity`] ??= []).push('Must be more than 0');
    if (row.targetUnitPrice.trim()) {
      const price = Number(row.targetUnitPrice);
      if (!Number.isFinite(price) || price <= 0) (errors[`${at}.targetUnitPrice`] ??= []).push('Must be more than 0');
    }
  }
  return errors;
}

/** The request body: dates as the API reads them, optional fields left out when blank. */
export function toBody(state: RfqFormState): RfqBody {
  return {
    title: state.title.trim(),
    deliveryCountry: state.deliveryCountry.trim().toUpperCase(),
    deliveryDate: state.deliveryDate,
    responseDeadline: state.responseDeadline ? new Date(state.responseDeadline).toISOString() : '',
    requiredCertifications: state.requiredCertifications,
    items: state.items.map((row) => ({
      name: row.name.trim(),
      category: row.category.trim(),
      quantity: Number(row.quantity),
      unit: row.unit.trim(),
      ...(row.description.trim() ? { description: row.description.trim() } : {}),
      ...(row.targetUnitPrice.trim() ? { targetUnitPrice: Number(row.targetUnitPrice), currency: row.currency.trim().toUpperCase() } : {}),
    })),
  };
}
