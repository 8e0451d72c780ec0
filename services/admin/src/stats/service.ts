import { ORDER_STATUSES, RFQ_STATUSES, ROLES } from '@foodxchange/contracts';
import type { Model } from 'mongoose';
import type { StatsModels } from './model.js';
import type { PlatformStats } from './schemas.js';

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
export async function platformStats(models: StatsModels, now = new Date()): Promise<PlatformStats> {
  const [byRole, companies, verified, live, products, rfqsByState, withMatches, matched, quotes, ordersByState, ordersByCurrency, value, activeValue, checked, passed] =
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
    orders: { total: sum(ordersByState), byState: ordersByState as PlatformStats['orders']['byState'], valueByCurrency },
    compliance: { checked, passed, failed: checked - passed, passRate: ratio(passed, checked) },
    matching: { rfqs, matched, withMatches, coverage: ratio(withMatches, rfqs) },
    generatedAt: now.toISOString(),
  };
}
