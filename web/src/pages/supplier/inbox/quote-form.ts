/**
 * The supplier's quote form: one price per RFQ item (blank = not quoted), currency, lead time,
 * validity and notes. Prices are typed as decimals and sent as `unitPrice`; the API answers in
 * minor units. An existing quote fills the form, so revising is editing and submitting again.
 */
import { minorToMajor } from '@/pages/buyer/types';

export interface QuoteFormState {
  prices: Record<string, string>;
  currency: string;
  leadTimeDays: string;
  validUntil: string;
  notes: string;
}

export type QuoteErrors = Record<string, string[]>;

interface RfqItem {
  id: string;
}
interface ExistingQuote {
  currency: string;
  leadTimeDays: number;
  validUntil: string;
  notes?: string;
  items: { rfqItemId: string; unitPriceMinor: number }[];
}

export function initialQuoteForm(items: RfqItem[], existing: ExistingQuote | undefined, today = new Date()): QuoteFormState {
  if (existing) {
    const prices: Record<string, string> = {};
    for (const item of items) {
      const line = existing.items.find((l) => l.rfqItemId === item.id);
      prices[item.id] = line ? String(minorToMajor(line.unitPriceMinor, existing.currency)) : '';
    }
    return { prices, currency: existing.currency, leadTimeDays: String(existing.leadTimeDays), validUntil: existing.validUntil.slice(0, 10), notes: existing.notes ?? '' };
  }
  const validUntil = new Date(today.getTime() + 14 * 86_400_000).toISOString().slice(0, 10);
  return { prices: Object.fromEntries(items.map((i) => [i.id, ''])), currency: 'EUR', leadTimeDays: '7', validUntil, notes: '' };
}

const DECIMAL = /^\d+(\.\d{1,4})?$/;

export function validateQuote(state: QuoteFormState, items: RfqItem[], today = new Date()): QuoteErrors {
  const errors: QuoteErrors = {};
  const add = (key: string, message: string) => (errors[key] ??= []).push(message);
  let priced = 0;
  for (const item of items) {
    const raw = (state.prices[item.id] ?? '').trim().replace(',', '.');
    if (!raw) continue;
    if (!DECIMAL.test(raw)) add(`price.${item.id}`, 'Enter a price like 2.35');
    else priced++;
  }
  if (priced === 0 && !Object.keys(errors).length) add('items', 'Price at least one item');
  if (!/^[A-Za-z]{3}$/.test(state.currency.trim())) add('currency', 'Use a three-letter currency code, e.g. EUR');
  const lead = Number(state.leadTimeDays);
  if (!/^\d+$/.test(state.leadTimeDays.trim()) || lead > 3650) add('leadTimeDays', 'Whole days, 0 to 3650');
  if (!state.validUntil) add('validUntil', 'Is required');
  else if (state.validUntil < today.toISOString().slice(0, 10)) add('validUntil', 'Must not be in the past');
  return errors;
}

/**
 * The request body. `productIds` names, per RFQ item, the supplier's product matching found for
 * it: a line that carries it lets the order, and so the compliance check, see that product's
 * origin, allergens and certifications.
 */
export function quoteBody(state: QuoteFormState, items: RfqItem[], productIds: Record<string, string> = {}) {
  return {
    items: items
      .filter((item) => (state.prices[item.id] ?? '').trim())
      .map((item) => ({
        rfqItemId: item.id,
        unitPrice: Number((state.prices[item.id] ?? '').trim().replace(',', '.')),
        ...(productIds[item.id] ? { productId: productIds[item.id] } : {}),
      })),
    currency: state.currency.trim().toUpperCase(),
    leadTimeDays: Number(state.leadTimeDays),
    validUntil: state.validUntil,
    ...(state.notes.trim() ? { notes: state.notes.trim() } : {}),
  };
}

/**
 * The API's field paths (`items.0.unitPrice`, `items/0/rfqItemId`, `leadTimeDays`) as the form's
 * control keys. Item indexes are positions in the body just sent: only the priced items.
 */
export function mapQuoteErrors(fields: Record<string, string[]>, sentItemIds: string[]): QuoteErrors {
  const mapped: QuoteErrors = {};
  for (const [path, messages] of Object.entries(fields)) {
    const clean = path.replace(/^body\./, '').replace(/^\//, '').replace(/\//g, '.');
    const item = /^items\.(\d+)/.exec(clean);
    let key = clean.split('.')[0] || 'form';
    if (item) key = sentItemIds[Number(item[1])] ? `price.${sentItemIds[Number(item[1])]}` : 'items';
    (mapped[key] ??= []).push(...messages);
  }
  return mapped;
}

/** Per RFQ item, the first of the supplier's own products its match named. */
export function matchedProducts(matchedItems: { rfqItemId?: string; productIds?: string[] }[] | undefined): Record<string, string> {
  const found: Record<string, string> = {};
  for (const item of matchedItems ?? []) {
    const productId = item.productIds?.[0];
    if (item.rfqItemId && productId && !found[item.rfqItemId]) found[item.rfqItemId] = productId;
  }
  return found;
}
