import type { paths } from '@/api/schema';

export type PlatformStats = paths['/api/v1/admin/stats']['get']['responses'][200]['content']['application/json']['data'];

export interface StateBar {
  state: string;
  label: string;
  orders: number;
}

/** Orders per state for the bar chart, in the order the API lists the states (the lifecycle). */
export function ordersByState(stats: PlatformStats): StateBar[] {
  return Object.entries(stats.orders.byState as Record<string, number>).map(([state, orders]) => ({
    state,
    label: (state.charAt(0).toUpperCase() + state.slice(1)).replace(/[_-]+/g, ' '),
    orders,
  }));
}

export interface CurrencyValue {
  currency: string;
  orders: number;
  /** Major units (the API counts minor units). */
  total: number;
  active: number;
}

/** Order value per currency in major units (2 decimals: every currency the platform trades in). */
export function valueByCurrency(stats: PlatformStats): CurrencyValue[] {
  return stats.orders.valueByCurrency.map((row) => ({
    currency: row.currency,
    orders: row.orders,
    total: row.totalMinor / 100,
    active: row.activeTotalMinor / 100,
  }));
}

/** A 0..1 ratio as a percentage for people; null (nothing counted yet) as a dash. */
export function percent(ratio: number | null): string {
  return ratio === null ? '—' : `${Math.round(ratio * 1000) / 10} %`;
}

export interface Headline {
  label: string;
  value: number;
  detail?: string;
}

export function headlines(stats: PlatformStats): Headline[] {
  return [
    { label: 'Users', value: stats.users.total },
    { label: 'Companies', value: stats.companies.total, detail: `${stats.companies.verified} verified` },
    { label: 'Live products', value: stats.products.live, detail: `${stats.products.total} ever listed` },
    { label: 'RFQs', value: stats.rfqs.total },
    { label: 'Quotes', value: stats.quotes.total },
    { label: 'Orders', value: stats.orders.total },
  ];
}
