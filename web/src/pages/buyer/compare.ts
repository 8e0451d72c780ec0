/**
 * The buyer's quote comparison: which quotes cover every RFQ item, the cheapest complete quote
 * and the best unit price per item. Quotes can be in different currencies (each supplier picks
 * its own), and there is no exchange rate on the platform, so prices are only ever compared
 * within one currency: every result here is grouped by currency.
 */
export interface CompareItem {
  id: string;
  name: string;
  quantity: number;
  unit: string;
}

export interface CompareQuote {
  id: string;
  supplierCompanyId: string;
  currency: string;
  status: string;
  totalMinor: number;
  items: { rfqItemId: string; unitPriceMinor: number; lineTotalMinor: number }[];
}

/** Only submitted (or already accepted) quotes take part; withdrawn and rejected ones are history. */
export function isLive(quote: CompareQuote): boolean {
  return quote.status === 'submitted' || quote.status === 'accepted';
}

/** A quote is complete when it prices every item of the RFQ. */
export function isComplete(quote: CompareQuote, items: CompareItem[]): boolean {
  const priced = new Set(quote.items.map((line) => line.rfqItemId));
  return items.length > 0 && items.every((item) => priced.has(item.id));
}

export function lineOf(quote: CompareQuote, itemId: string) {
  return quote.items.find((line) => line.rfqItemId === itemId);
}

export interface CurrencyComparison {
  currency: string;
  quoteIds: string[];
  /** The live complete quote with the lowest total in this currency (ties: the first one). */
  cheapestCompleteId: string | undefined;
  /** Per RFQ item id: the ids of the quotes with the lowest unit price for it (ties all win). */
  bestPerItem: Record<string, string[]>;
}

export interface Comparison {
  currencies: CurrencyComparison[];
  /** True when the live quotes are in more than one currency: totals are not comparable across them. */
  mixedCurrencies: boolean;
  complete: Record<string, boolean>;
}

export function compareQuotes(quotes: CompareQuote[], items: CompareItem[]): Comparison {
  const live = quotes.filter(isLive);
  const complete: Record<string, boolean> = {};
  for (const quote of quotes) complete[quote.id] = isComplete(quote, items);
  const byCurrency = new Map<string, CompareQuote[]>();
  for (const quote of live) {
    const group = byCurrency.get(quote.currency) ?? [];
    group.push(quote);
    byCurrency.set(quote.currency, group);
  }
  const currencies: CurrencyComparison[] = [];
  for (const [currency, group] of byCurrency) {
    let cheapest: CompareQuote | undefined;
    for (const quote of group) {
      if (!complete[quote.id]) continue;
      if (!cheapest || quote.totalMinor < cheapest.totalMinor) cheapest = quote;
    }
    const bestPerItem: Record<string, string[]> = {};
    for (const item of items) {
      let best: number | undefined;
      let ids: string[] = [];
      for (const quote of group) {
        const line = lineOf(quote, item.id);
        if (!line) continue;
        if (best === undefined || line.unitPriceMinor < best) {
          best = line.unitPriceMinor;
          ids = [quote.id];
        } else if (line.unitPriceMinor === best) {
          ids.push(quote.id);
        }
      }
      if (ids.length) bestPerItem[item.id] = ids;
    }
    currencies.push({ currency, quoteIds: group.map((q) => q.id), cheapestCompleteId: cheapest?.id, bestPerItem });
  }
  return { currencies, mixedCurrencies: currencies.length > 1, complete };
}

/** The comparison group a quote belongs to (by its currency). */
export function groupOf(comparison: Comparison, quote: CompareQuote): CurrencyComparison | undefined {
  return comparison.currencies.find((group) => group.currency === quote.currency);
}
