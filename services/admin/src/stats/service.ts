import { ORDER_STATUSES, RFQ_STATUSES, ROLES } from '@foodxchange/contracts';
import type { Model } from 'mongoose';
import type { StatsModels } from './model.js';
import { utcDay } from './events.js';
import { STATS_DAYS_DEFAULT, type PlatformStats } from './schemas.js';

type DayGrouped = { _id: { day?: unknown; currency?: unknown } | null; count?: number; totalMinor?: number };

const DAY_MS = 86_400_000;

/** The UTC days ending today that `days` covers: [from, to) as instants, and their first and last day. */
export function dayWindow(now: Date, days: number) {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const from = new Date(today - (days - 1) * DAY_MS);
  const until = new Date(today + DAY_MS);
  return { from, until, range: { days, from: utcDay(from), to: utcDay(new Date(today)) } };
}

/**
 * Orders created per UTC day and currency inside the window (days without orders are absent),
 * by day then currency. Counts and sums in separate groups, as below (FerretDB 1.24).
 */
async function valueByDay(orders: StatsModels['orders'], from: Date, until: Date): Promise<PlatformStats['orders']['valueByDay']> {
  const match = { $match: { createdAt: { $gte: from, $lt: until }, createdDay: { $type: 'string' }, currency: { $type: 'string' } } };
  const key = { day: '$createdDay', currency: '$currency' };
  const [counts, sums] = await Promise.all([
    orders.aggregate<DayGrouped>([match, { $group: { _id: key, count: { $sum: 1 } } }]),
    orders.aggregate<DayGrouped>([match, { $group: { _id: key, totalMinor: { $sum: '$totalMinor' } } }]),
  ]);
  const keyOf = (group: DayGrouped) =>
    typeof group._id?.day === 'string' && typeof group._id.currency === 'string' ? { day: group._id.day, currency: group._id.currency } : null;
  const totals = new Map<string, number>();
  for (const group of sums) {
    const k = keyOf(group);
    if (k) totals.set(`${k.day} ${k.currency}`, group.totalMinor ?? 0);
  }
  return counts
    .flatMap((group) => {
      const k = keyOf(group);
      return k && (group.count ?? 0) > 0 ? [{ ...k, orders: group.count ?? 0, totalMinor: totals.get(`${k.day} ${k.currency}`) ?? 0 }] : [];
    })
    .sort((a, b) => (a.day === b.day ? a.currency.localeCompare(b.currency) : a.day.localeCompare(b.day)));
}

type Grouped = { _id: string | null; count?: number; totalMinor?: number };

/** Documents per value of `field`: every one of `keys` (0 when absent), or every value found when `keys` is empty. */
async function countBy<D>(model: Model<D>, field: string, keys: readonly string[]): Promise<Record<string, number>> {
  const groups = await model.aggregate<Grouped>([{ $group: { _id: `$${field}`, count: { $sum: 1 } } }]);
  const counts: Record<string, number> = Object.fromEntries(keys.map((key) => [key, 0]));
  for (const { _id, count } of groups) if (typeof _id === 'string' && (keys.length === 0 || _id in counts)) counts[_id] = count ?? 0;
  return counts;
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((total, count) => total + count, 0);
const ratio = (part: number, whole: number) => (whole === 0 ? null : part / whole);

const ACTIVE_ORDER_STATES = ORDER_STATUSES.filter((state) => state !== 'rejected' && state !== 'cancelled');

/** GET /admin/stats: counts over the per-aggregate state documents (aggregations within DESIGN.md's "works" column). */
export async function platformStats(models: StatsModels, now = new Date(), days = STATS_DAYS_DEFAULT): Promise<PlatformStats> {
  const window = dayWindow(now, days);
  const [byRole, companies, verified, live, products, rfqsByState, withMatches, matched, quotes, ordersByState, ordersByCurrency, value, activeValue, checked, passed, byDay] =
    await Promise.all([
      countBy(models.users, 'role', ROLES),
      models.companies.countDocuments({}),
      models.companies.countDocuments({ verified: true }),
      models.products.countDocuments({ deleted: false, status: 'active' }),
      models.products.countDocuments({}),
      countBy(models.rfqs, 'state', RFQ_STATUSES),
      models.rfqs.countDocuments({ state: { $in: [...RFQ_STATUSES] }, matchCount: { $gte: 1 } }),
      models.rfqs.countDocuments({ state: { $in: [...RFQ_STATUSES] }, matchCount: { $gte: 0 } }),
      models.quotes.countDocuments({}),
      countBy(models.orders, 'state', ORDER_STATUSES),
      // Counts and sums in separate groups: FerretDB 1.24 answers 0 for a field's $sum beside a $sum of 1.
      countBy(models.orders, 'currency', []),
      models.orders.aggregate<Grouped>([{ $group: { _id: '$currency', totalMinor: { $sum: '$totalMinor' } } }]),
      models.orders.aggregate<Grouped>([
        { $match: { state: { $in: ACTIVE_ORDER_STATES } } },
        { $group: { _id: '$currency', totalMinor: { $sum: '$totalMinor' } } },
      ]),
      models.compliance.countDocuments({}),
      models.compliance.countDocuments({ passed: true }),
      valueByDay(models.orders, window.from, window.until),
    ]);
  const rfqs = sum(rfqsByState);
  const active = new Map(activeValue.map((group) => [group._id, group.totalMinor ?? 0]));
  const valueByCurrency = value
    .filter((group): group is Grouped & { _id: string } => typeof group._id === 'string')
    .sort((a, b) => a._id.localeCompare(b._id))
    .map((group) => ({ currency: group._id, orders: ordersByCurrency[group._id] ?? 0, totalMinor: group.totalMinor ?? 0, activeTotalMinor: active.get(group._id) ?? 0 }));
  return {
    users: { total: sum(byRole), byRole: byRole as PlatformStats['users']['byRole'] },
    companies: { total: companies, verified },
    products: { live, total: products },
    rfqs: { total: rfqs, byState: rfqsByState as PlatformStats['rfqs']['byState'] },
    quotes: { total: quotes },
    orders: {
      total: sum(ordersByState),
      byState: ordersByState as PlatformStats['orders']['byState'],
      valueByCurrency,
      valueByDay: byDay,
      valueByDayRange: window.range,
    },
    compliance: { checked, passed, failed: checked - passed, passRate: ratio(passed, checked) },
    matching: { rfqs, matched, withMatches, coverage: ratio(withMatches, rfqs) },
    generatedAt: now.toISOString(),
  };
}
