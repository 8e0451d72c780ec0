import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import { Button } from '@/components/ui/button';
import { EmptyState, ErrorNotice, Spinner } from '@/components/ui/feedback';
import { Field, Input } from '@/components/ui/field';
import { Badge, Card, PageHeader, TableWrap } from '@/components/ui/layout';
import { dateTime } from '@/lib/format';
import { MARKET_CODE } from './rule-form';
import { AdminOnly } from './shared';

export function RulesPage() {
  return (
    <AdminOnly>
      <Rules />
    </AdminOnly>
  );
}

function Rules() {
  const rules = useQuery({
    queryKey: ['compliance', 'rules'],
    queryFn: async () => unwrap(await api.GET('/api/v1/compliance/rules', { params: { query: {} } })),
  });
  const markets = useQuery({
    queryKey: ['compliance', 'markets'],
    queryFn: async () => unwrap(await api.GET('/api/v1/compliance/markets')),
  });

  return (
    <div className="space-y-6">
      <PageHeader title="Market rules" description="What each market requires of a supply: certificates, allergen labelling, origin tracking. Every change is a new version." />
      <section aria-labelledby="rule-sets" className="space-y-3">
        <h2 id="rule-sets" className="text-lg font-semibold text-slate-900">
          Rule sets
        </h2>
        {rules.isPending ? <Spinner label="Loading rule sets…" /> : null}
        {rules.error ? <ErrorNotice error={rules.error} onRetry={() => void rules.refetch()} /> : null}
        {rules.data && rules.data.length === 0 ? <EmptyState title="No rule sets yet">Add a market below to give it its rules.</EmptyState> : null}
        {rules.data && rules.data.length > 0 ? (
          <TableWrap label="Rule sets table">
            <thead className="bg-slate-50">
              <tr>
                <th scope="col">Market</th>
                <th scope="col">Required certificates</th>
                <th scope="col">One of</th>
                <th scope="col">Allergens</th>
                <th scope="col">Origin</th>
                <th scope="col">Expiry warning</th>
                <th scope="col">Version</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {rules.data.map((rule) => (
                <tr key={rule.market}>
                  <td className="min-w-44">
                    <Link to={`/admin/rules/${encodeURIComponent(rule.market)}`} className="font-medium text-emerald-800 underline-offset-2 hover:underline">
                      {rule.market} · {rule.name}
                    </Link>
                    <div className="text-xs text-slate-600">{rule.countries.length ? `${rule.countries.length} countries` : 'Baseline (countries without a rule set)'}</div>
                  </td>
                  <td>{rule.requiredCertifications.join(', ') || '—'}</td>
                  <td>{rule.anyOfCertifications.join(', ') || '—'}</td>
                  <td>{rule.allergenLabelling.required ? `${rule.allergenLabelling.allergens.length} to label` : 'Not required'}</td>
                  <td>{rule.originTracking.required ? <Badge tone="blue">Required</Badge> : 'Optional'}</td>
                  <td className="whitespace-nowrap">{rule.expiryWarningDays} days</td>
                  <td className="whitespace-nowrap">
                    v{rule.version}
                    <div className="text-xs text-slate-600">{dateTime(rule.updatedAt)}</div>
                  </td>
                </tr>
              ))}
            </tbody>
          </TableWrap>
        ) : null}
      </section>

      <section aria-labelledby="markets" className="space-y-3">
        <h2 id="markets" className="text-lg font-semibold text-slate-900">
          Markets and their countries
        </h2>
        {markets.isPending ? <Spinner label="Loading markets…" /> : null}
        {markets.error ? <ErrorNotice error={markets.error} onRetry={() => void markets.refetch()} /> : null}
        {markets.data ? (
          <Card>
            <ul className="space-y-2 text-sm">
              {markets.data.blocs.map((bloc) => (
                <li key={bloc.market}>
                  <span className="font-medium">{bloc.market}</span>: {bloc.countries.join(', ')}
                </li>
              ))}
              <li>
                <span className="font-medium">{markets.data.baseline}</span>: every other delivery country (the baseline)
              </li>
            </ul>
          </Card>
        ) : null}
      </section>

      <NewMarket />
    </div>
  );
}

function NewMarket() {
  const navigate = useNavigate();
  const [code, setCode] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  return (
    <section aria-labelledby="new-market" className="space-y-3">
      <h2 id="new-market" className="text-lg font-semibold text-slate-900">
        Add a market
      </h2>
      <Card>
        <form
          className="flex flex-col gap-3 sm:flex-row sm:items-end"
          onSubmit={(event) => {
            event.preventDefault();
            const market = code.trim().toUpperCase();
            if (!MARKET_CODE.test(market)) {
              setProblem('A market code is 2 to 8 letters, e.g. CH or GCC.');
              return;
            }
            void navigate(`/admin/rules/${market}`);
          }}
        >
          <Field label="Market code" errors={problem ? [problem] : undefined} hint="A bloc (2–8 letters) or a country code; an existing market opens its rule set." className="sm:w-80">
            {(props) => <Input {...props} value={code} maxLength={8} onChange={(e) => { setCode(e.target.value); setProblem(undefined); }} />}
          </Field>
          <Button type="submit" variant="secondary">
            Open editor
          </Button>
        </form>
      </Card>
    </section>
  );
}
