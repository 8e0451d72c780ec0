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

/** Whether any order was counted yet (the order charts show an empty state until then). */
export function hasOrders(stats: PlatformStats): boolean {
  return stats.orders.total > 0;
}

export interface RatioFigure {
  label: string;
  /** 0..1, or null when nothing was counted yet. */
  ratio: number | null;
  /** The ratio as people read it ("85.7 %", or a dash). */
  value: string;
  detail: string;
}

/** Compliance pass rate and matching coverage as figures with their counts in words. */
export function ratioFigures(stats: PlatformStats): RatioFigure[] {
  const { compliance, matching } = stats;
  return [
    {
      label: 'Compliance pass rate',
      ratio: compliance.passRate,
      value: percent(compliance.passRate),
      detail:
        compliance.checked === 0
          ? 'No order checked yet'
          : `${compliance.passed} of ${compliance.checked} checked orders passed (${compliance.failed} failed)`,
    },
    {
      label: 'Matching coverage',
      ratio: matching.coverage,
      value: percent(matching.coverage),
      detail: matching.rfqs === 0 ? 'No RFQ yet' : `${matching.withMatches} of ${matching.rfqs} RFQs found at least one supplier`,
    },
  ];
}

/** One day's order value in one currency, as GET /admin/stats lists them (orders.valueByDay). */
export interface DayValue {
  day: string;
  currency: string;
  orders: number;
  totalMinor: number;
}

/** The days a series covers, both ends included (YYYY-MM-DD, UTC). */
export interface DayRange {
  from: string;
  to: string;
}

const DAY_MS = 86_400_000;
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const MAX_DAYS = 366;

/** Every UTC day from `from` to `to`, both included (empty when either is not a day or to < from). */
export function daysBetween(from: string, to: string): string[] {
  if (!DAY_PATTERN.test(from) || !DAY_PATTERN.test(to)) return [];
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  if (Number.isNaN(start) || Number.isNaN(end) || end < start) return [];
  const days: string[] = [];
  for (let t = start; t <= end && days.length < MAX_DAYS; t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/** A point of the value-over-time chart: the day, and the value in major units per currency code. */
export type DayPoint = { day: string } & Record<string, number | string>;

export interface ValueOverTime {
  /** Currencies in alphabetical order: one line each. */
  currencies: string[];
  /** One point per day of the range (days without orders are 0 in every currency), oldest first. */
  points: DayPoint[];
}

/**
 * Order value per currency per day in major units, every day of `range` present (the API leaves
 * out days without orders); without a range, from the first to the last day listed.
 */
export function valueOverTime(entries: readonly DayValue[], range?: DayRange): ValueOverTime {
  const currencies = [...new Set(entries.map((entry) => entry.currency))].sort((a, b) => a.localeCompare(b));
  const listed = [...new Set(entries.map((entry) => entry.day))].sort();
  const days = range ? daysBetween(range.from, range.to) : listed.length > 0 ? daysBetween(listed[0]!, listed[listed.length - 1]!) : [];
  const byDay = new Map<string, DayPoint>(days.map((day) => [day, { day, ...Object.fromEntries(currencies.map((c) => [c, 0])) }]));
  for (const entry of entries) {
    const point = byDay.get(entry.day);
    if (point) point[entry.currency] = Math.round(((point[entry.currency] as number) + entry.totalMinor / 100) * 100) / 100;
  }
  return { currencies, points: [...byDay.values()] };
}

/** A YYYY-MM-DD day as a short label ("2 Dec"), read in UTC like the API counts it. */
export function dayLabel(day: string): string {
  const t = Date.parse(`${day}T00:00:00Z`);
  return Number.isNaN(t) ? day : new Date(t).toLocaleDateString(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });
}

/**
 * The per-day order values of a stats answer and the days they cover (orders.valueByDay and
 * orders.valueByDayRange), or null when the answer has none (an API from before they existed).
 */
export function dayValuesOf(stats: PlatformStats): { entries: DayValue[]; range?: DayRange } | null {
  // Read structurally until the generated API types carry the field (schema.d.ts regenerated).
  const orders = stats.orders as { valueByDay?: DayValue[]; valueByDayRange?: DayRange };
  if (!Array.isArray(orders.valueByDay)) return null;
  return orders.valueByDayRange ? { entries: orders.valueByDay, range: orders.valueByDayRange } : { entries: orders.valueByDay };
}

/** The periods the dashboard offers for the order value over time, in days (today included). */
export const DASHBOARD_PERIODS = [7, 30, 90, 365] as const;
/** The stats API's own default, so a dashboard without ?days= asks for what it would get anyway. */
export const DEFAULT_PERIOD_DAYS = 30;

/** The period in the address (?days=): one of the offered ones, else the default (a typed URL may hold anything). */
export function periodOf(params: URLSearchParams): number {
  const days = Number(params.get('days'));
  return (DASHBOARD_PERIODS as readonly number[]).includes(days) ? days : DEFAULT_PERIOD_DAYS;
}
