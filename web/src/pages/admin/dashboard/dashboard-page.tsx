import { useId, type ReactNode } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api, unwrap } from '@/api/client';
import { RequireRole } from '@/auth/guards';
import { EmptyState, ErrorNotice, Spinner } from '@/components/ui/feedback';
import { Field, Select } from '@/components/ui/field';
import { Card, PageHeader } from '@/components/ui/layout';
import { dateTime, money } from '@/lib/format';
import { cn } from '@/lib/cn';
import {
  DASHBOARD_PERIODS,
  DEFAULT_PERIOD_DAYS,
  dayLabel,
  dayValuesOf,
  hasOrders,
  headlines,
  ordersByState,
  periodOf,
  ratioFigures,
  valueByCurrency,
  valueOverTime,
  type DayRange,
  type DayValue,
  type PlatformStats,
  type RatioFigure,
} from '../stats-charts';
import { withChanges } from '../management/filters';

/** How often the figures are fetched again, so the dashboard follows orders as they are placed. */
const REFRESH_MS = 15_000;

/** Line colours per currency, in the currencies' alphabetical order (dark enough on white). */
const LINE_COLOURS = ['#047857', '#1d4ed8', '#b45309', '#7c3aed', '#be123c', '#0f766e', '#4d7c0f', '#334155'];

const number = (value: number) => new Intl.NumberFormat().format(value);

export function DashboardPage() {
  return (
    <RequireRole roles={['admin', 'super_admin']}>
      <Dashboard />
    </RequireRole>
  );
}

function Dashboard() {
  const [params, setParams] = useSearchParams();
  const days = periodOf(params);
  const stats = useQuery({
    queryKey: ['admin', 'stats', days],
    queryFn: async () => unwrap(await api.GET('/api/v1/admin/stats', { params: { query: { days } } })),
    refetchInterval: REFRESH_MS,
    placeholderData: keepPreviousData,
  });

  return (
    <div>
      <PageHeader
        title="Platform dashboard"
        description={
          stats.data ? (
            <>
              Figures as of <time dateTime={stats.data.generatedAt}>{dateTime(stats.data.generatedAt)}</time>, refreshed every 15 seconds
              {stats.isFetching ? <span className="sr-only"> (refreshing)</span> : null}
            </>
          ) : (
            'Users, companies, products, RFQs, orders, compliance and matching across the platform'
          )
        }
      />
      {stats.isPending ? <Spinner label="Loading the platform figures…" /> : null}
      {stats.error && !stats.data ? <ErrorNotice error={stats.error} onRetry={() => void stats.refetch()} /> : null}
      {stats.error && stats.data ? (
        <ErrorNotice error={stats.error} title="The figures could not be refreshed (showing the last ones)" onRetry={() => void stats.refetch()} />
      ) : null}
      {stats.data ? (
        <Figures
          stats={stats.data}
          period={
            <PeriodSelect
              days={days}
              onChange={(next) => setParams(withChanges(params, { days: next === DEFAULT_PERIOD_DAYS ? undefined : next }), { replace: true })}
            />
          }
        />
      ) : null}
    </div>
  );
}

/** Which days the order value over time covers: kept in the address, so a reload or a shared link shows the same. */
function PeriodSelect({ days, onChange }: { days: number; onChange: (days: number) => void }) {
  return (
    <Field label="Period" className="w-44">
      {(props) => (
        <Select {...props} value={days} onChange={(event) => onChange(Number(event.target.value))}>
          {DASHBOARD_PERIODS.map((period) => (
            <option key={period} value={period}>
              Last {period} days
            </option>
          ))}
        </Select>
      )}
    </Field>
  );
}

function Figures({ stats, period }: { stats: PlatformStats; period: ReactNode }) {
  const byDay = dayValuesOf(stats);
  return (
    <div className="space-y-8">
      <section aria-labelledby="dashboard-headlines">
        <h2 id="dashboard-headlines" className="sr-only">
          Headline numbers
        </h2>
        <dl className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6">
          {headlines(stats).map((headline) => (
            <div key={headline.label} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
              <dt className="text-sm text-slate-600">{headline.label}</dt>
              <dd className="mt-1 text-2xl font-semibold text-slate-900">{number(headline.value)}</dd>
              {headline.detail ? <dd className="text-xs text-slate-600">{headline.detail}</dd> : null}
            </div>
          ))}
        </dl>
      </section>

      <section aria-labelledby="dashboard-orders" className="space-y-4">
        <div className="flex flex-wrap items-end justify-between gap-3">
          <h2 id="dashboard-orders" className="text-lg font-semibold text-slate-900">
            Orders
          </h2>
          {period}
        </div>
        {hasOrders(stats) ? (
          <div className="grid gap-4 lg:grid-cols-2">
            <OrdersByStateChart stats={stats} />
            <ValueByCurrencyTable stats={stats} />
            {byDay ? (
              <div className="lg:col-span-2">
                <ValueOverTimeChart entries={byDay.entries} range={byDay.range} />
              </div>
            ) : null}
          </div>
        ) : (
          <EmptyState title="No orders yet">
            Orders appear here as soon as a buyer awards a quote or buys from the catalogue: their states and their value per
            currency, refreshed every 15 seconds.
          </EmptyState>
        )}
      </section>

      <section aria-labelledby="dashboard-quality" className="space-y-4">
        <h2 id="dashboard-quality" className="text-lg font-semibold text-slate-900">
          Compliance and matching
        </h2>
        <div className="grid gap-4 sm:grid-cols-2">
          {ratioFigures(stats).map((figure) => (
            <RatioCard key={figure.label} figure={figure} />
          ))}
        </div>
      </section>
    </div>
  );
}

/** A chart with its accessible name (figcaption) and its numbers as a table for screen readers. */
function ChartFigure({ caption, children, table }: { caption: string; children: ReactNode; table: ReactNode }) {
  const id = useId();
  return (
    <Card className="min-w-0">
      <figure aria-labelledby={id} className="space-y-3">
        <figcaption id={id} className="font-medium text-slate-900">
          {caption}
        </figcaption>
        {/* The drawing is for the eye; the table below carries the same numbers for everyone else. */}
        <div aria-hidden="true" className="h-64 w-full min-w-0">
          {children}
        </div>
        <div className="sr-only">{table}</div>
      </figure>
    </Card>
  );
}

function OrdersByStateChart({ stats }: { stats: PlatformStats }) {
  const bars = ordersByState(stats);
  return (
    <ChartFigure
      caption="Orders by state"
      table={
        <table>
          <caption>Orders by state</caption>
          <thead>
            <tr>
              <th scope="col">State</th>
              <th scope="col">Orders</th>
            </tr>
          </thead>
          <tbody>
            {bars.map((bar) => (
              <tr key={bar.state}>
                <th scope="row">{bar.label}</th>
                <td>{bar.orders}</td>
              </tr>
            ))}
          </tbody>
        </table>
      }
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={bars} margin={{ top: 8, right: 8, bottom: 8, left: 36 }} accessibilityLayer={false}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" interval={0} tick={{ fontSize: 11 }} angle={-35} textAnchor="end" height={72} />
          <YAxis allowDecimals={false} width={32} tick={{ fontSize: 12 }} />
          <Tooltip />
          <Bar dataKey="orders" name="Orders" fill="#047857" radius={[4, 4, 0, 0]} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </ChartFigure>
  );
}

function ValueByCurrencyTable({ stats }: { stats: PlatformStats }) {
  const rows = valueByCurrency(stats);
  return (
    <Card className="min-w-0 space-y-3">
      <h3 className="font-medium text-slate-900">Order value per currency</h3>
      <div className="overflow-x-auto" role="region" aria-label="Order value per currency" tabIndex={0}>
        <table className="min-w-full text-sm [&_td]:py-2 [&_td]:pr-3 [&_th]:py-2 [&_th]:pr-3 [&_th]:text-left [&_th]:font-medium [&_th]:text-slate-700">
          <thead>
            <tr>
              <th scope="col">Currency</th>
              <th scope="col">Orders</th>
              <th scope="col">Total</th>
              <th scope="col">Not rejected or cancelled</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {rows.map((row) => (
              <tr key={row.currency}>
                <th scope="row">{row.currency}</th>
                <td>{number(row.orders)}</td>
                <td className="tabular-nums">{money(row.total, row.currency)}</td>
                <td className="tabular-nums">{money(row.active, row.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}

function ValueOverTimeChart({ entries, range }: { entries: DayValue[]; range?: DayRange | undefined }) {
  const { currencies, points } = valueOverTime(entries, range);
  const caption = range
    ? `Order value per currency per day, ${dayLabel(range.from)} to ${dayLabel(range.to)} (UTC, by the day each order was created)`
    : 'Order value per currency per day (UTC, by the day each order was created)';
  if (currencies.length === 0) {
    return (
      <Card className="space-y-3">
        <h3 className="font-medium text-slate-900">Order value per currency over time</h3>
        <EmptyState title="No orders created in this period">Orders created in the period shown appear here per day and currency.</EmptyState>
      </Card>
    );
  }
  // The screen reader table lists the days with orders only; the lines show every day.
  const withOrders = points.filter((point) => currencies.some((currency) => (point[currency] as number) > 0));
  return (
    <ChartFigure
      caption={caption}
      table={
        <table>
          <caption>Order value per currency per day, days with orders</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              {currencies.map((currency) => (
                <th key={currency} scope="col">
                  {currency}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {withOrders.map((point) => (
              <tr key={point.day}>
                <th scope="row">{dayLabel(point.day)}</th>
                {currencies.map((currency) => (
                  <td key={currency}>{money(point[currency] as number, currency)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      }
    >
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={points} margin={{ top: 8, right: 12, bottom: 8, left: 8 }} accessibilityLayer={false}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="day" tickFormatter={dayLabel} tick={{ fontSize: 11 }} minTickGap={16} />
          <YAxis tick={{ fontSize: 11 }} width={64} tickFormatter={(value: number) => new Intl.NumberFormat(undefined, { notation: 'compact' }).format(value)} />
          <Tooltip
            labelFormatter={(day) => dayLabel(String(day))}
            formatter={(value, name) => [money(Number(value), String(name)), String(name)]}
          />
          <Legend />
          {currencies.map((currency, index) => (
            <Line
              key={currency}
              type="monotone"
              dataKey={currency}
              name={currency}
              stroke={LINE_COLOURS[index % LINE_COLOURS.length]}
              strokeWidth={2}
              dot={points.length <= 31}
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </ChartFigure>
  );
}

function RatioCard({ figure }: { figure: RatioFigure }) {
  const id = useId();
  const share = figure.ratio === null ? 0 : Math.round(figure.ratio * 1000) / 10;
  return (
    <Card className="space-y-3">
      <h3 id={id} className="font-medium text-slate-900">
        {figure.label}
      </h3>
      <p className="text-3xl font-semibold text-slate-900">{figure.value}</p>
      <div
        role="progressbar"
        aria-labelledby={id}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={figure.ratio === null ? undefined : share}
        aria-valuetext={figure.ratio === null ? 'Nothing counted yet' : figure.value}
        className="h-3 w-full overflow-hidden rounded-full bg-slate-200"
      >
        <div className={cn('h-full rounded-full bg-emerald-700', figure.ratio === null && 'hidden')} style={{ width: `${share}%` }} />
      </div>
      <p className="text-sm text-slate-600">{figure.detail}</p>
    </Card>
  );
}
