import { Type, type Static } from '@sinclair/typebox';
import { ORDER_STATUSES, RFQ_STATUSES, ROLES } from '@foodxchange/contracts';
import { Envelope } from '@foodxchange/service-kit';

const Count = Type.Integer({ minimum: 0 });
const countsOf = (keys: readonly string[], description: string) =>
  Type.Object(Object.fromEntries(keys.map((key) => [key, Count])), { additionalProperties: false, description });
const Ratio = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], { description: 'Between 0 and 1; null when nothing was counted yet' });

export const STATS_DAYS_DEFAULT = 30;
export const STATS_DAYS_MAX = 366;

export const StatsQuerySchema = Type.Object(
  {
    days: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: STATS_DAYS_MAX,
        default: STATS_DAYS_DEFAULT,
        description: `How many UTC days orders.valueByDay covers, today included (1–${STATS_DAYS_MAX}, default ${STATS_DAYS_DEFAULT})`,
      }),
    ),
  },
  { additionalProperties: false },
);
export type StatsQuery = Static<typeof StatsQuerySchema>;

const Day = Type.String({ format: 'date', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'A UTC calendar day, YYYY-MM-DD' });

export const PlatformStatsSchema = Type.Object(
  {
    users: Type.Object({ total: Count, byRole: countsOf(ROLES, 'Registered users by role') }),
    companies: Type.Object({ total: Count, verified: Count }),
    products: Type.Object({
      live: Type.Integer({ minimum: 0, description: 'Listed, active and not deleted' }),
      total: Type.Integer({ minimum: 0, description: 'Every product ever listed, deleted ones included' }),
    }),
    rfqs: Type.Object({ total: Count, byState: countsOf(RFQ_STATUSES, 'RFQs by state') }),
    quotes: Type.Object({ total: Count }),
    orders: Type.Object({
      total: Count,
      byState: countsOf(ORDER_STATUSES, 'Orders by state'),
      valueByCurrency: Type.Array(
        Type.Object({
          currency: Type.String({ minLength: 3, maxLength: 3 }),
          orders: Count,
          totalMinor: Type.Integer({ minimum: 0, description: 'Sum of the order totals, in minor units, whatever their state' }),
          activeTotalMinor: Type.Integer({ minimum: 0, description: 'The same over orders neither rejected nor cancelled' }),
        }),
        { description: 'Order value per currency (integer minor units), currencies in alphabetical order' },
      ),
      valueByDay: Type.Array(
        Type.Object({
          day: { ...Day, description: 'The UTC day the orders were created, YYYY-MM-DD' },
          currency: Type.String({ minLength: 3, maxLength: 3 }),
          orders: Type.Integer({ minimum: 1, description: 'Orders created that day in this currency' }),
          totalMinor: Type.Integer({ minimum: 0, description: 'Sum of their totals, in minor units, whatever their state now' }),
        }),
        {
          description:
            'Order value per currency over time: one entry per UTC day and currency with at least one order created that day, ' +
            'over the days of valueByDayRange (days without orders are omitted, never sent as zeros), ordered by day then currency. ' +
            'Orders whose order.created event the read model has not seen have no creation day and are not in it.',
        },
      ),
      valueByDayRange: Type.Object(
        {
          days: Type.Integer({ minimum: 1, maximum: STATS_DAYS_MAX, description: 'The days query parameter' }),
          from: { ...Day, description: 'The first day covered (UTC), YYYY-MM-DD' },
          to: { ...Day, description: 'The last day covered: today (UTC), YYYY-MM-DD' },
        },
        { description: 'The UTC days valueByDay covers, both ends included' },
      ),
    }),
    compliance: Type.Object(
      { checked: Count, passed: Count, failed: Count, passRate: Ratio },
      { description: 'The latest compliance verdict of each checked order' },
    ),
    matching: Type.Object(
      {
        rfqs: Type.Integer({ minimum: 0, description: 'RFQs counted above' }),
        matched: Type.Integer({ minimum: 0, description: 'RFQs whose matching has run' }),
        withMatches: Type.Integer({ minimum: 0, description: 'RFQs whose latest matching found at least one supplier' }),
        coverage: { ...Ratio, description: 'withMatches / rfqs; null without RFQs' },
      },
      { description: 'Matching coverage: how many RFQs found at least one supplier' },
    ),
    generatedAt: Type.String({ format: 'date-time' }),
  },
  { description: 'Platform figures computed from the current state of each aggregate, as its events describe it' },
);
export type PlatformStats = Static<typeof PlatformStatsSchema>;

export const PlatformStatsEnvelope = Envelope(PlatformStatsSchema);
