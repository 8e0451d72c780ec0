import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, unwrapPage } from '@/api/client';
import { Button } from '@/components/ui/button';
import { EmptyState, ErrorNotice, Notice, Spinner } from '@/components/ui/feedback';
import { Field, Input, Select } from '@/components/ui/field';
import { Badge, PageHeader, TableWrap } from '@/components/ui/layout';
import { date, dateTime, label } from '@/lib/format';
import { COMPANY_TYPES, companyQuery, withChanges } from './filters';
import { AdminOnly, FilterForm, Pager } from './shared';

export function CompaniesPage() {
  return (
    <AdminOnly>
      <Companies />
    </AdminOnly>
  );
}

function Companies() {
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const query = companyQuery(params);

  const list = useQuery({
    queryKey: ['companies', 'admin-list', query],
    queryFn: async () => unwrapPage(await api.GET('/api/v1/companies', { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const verify = useMutation({
    mutationFn: async (company: { id: string; name: string }) =>
      unwrap(await api.POST('/api/v1/companies/{id}/verify', { params: { path: { id: company.id } }, body: {} })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['companies'] }),
  });

  const filtered = Boolean(query.q || query.type || query.verified !== undefined);

  return (
    <div>
      <PageHeader title="Companies" description={list.data ? `${list.data.pagination.total} ${filtered ? 'matching' : 'in all'}` : 'Every company on the platform, newest first'} />
      {/* Keyed by the address so Back and links reset the form; typing changes only the form. */}
      <CompanyFilters key={params.toString()} params={params} onApply={(changes) => setParams(withChanges(params, changes))} onClear={() => setParams(new URLSearchParams())} />

      <div aria-live="polite" className="mb-4 space-y-2 empty:hidden">
        {verify.isSuccess ? (
          <Notice tone="success">
            {verify.data.name} is verified{verify.data.verifiedAt ? ` (${dateTime(verify.data.verifiedAt)})` : ''}. Its members were told.
          </Notice>
        ) : null}
      </div>
      {verify.error ? <ErrorNotice error={verify.error} title={`Could not verify ${verify.variables?.name ?? 'the company'}`} /> : null}

      {list.isPending ? <Spinner label="Loading companies…" /> : null}
      {list.error ? <ErrorNotice error={list.error} onRetry={() => void list.refetch()} /> : null}
      {list.data && list.data.data.length === 0 ? (
        <EmptyState
          title={filtered ? 'No company matches these filters' : 'No companies yet'}
          action={
            filtered ? (
              <Button variant="secondary" onClick={() => setParams(new URLSearchParams())}>
                Clear filters
              </Button>
            ) : undefined
          }
        >
          {filtered ? 'Change or clear the filters to see more companies.' : 'Companies appear here as buyers and suppliers register.'}
        </EmptyState>
      ) : null}
      {list.data && list.data.data.length > 0 ? (
        <TableWrap label="Companies">
          <thead className="bg-slate-50">
            <tr>
              <th scope="col">Company</th>
              <th scope="col">Type</th>
              <th scope="col">Country</th>
              <th scope="col">Members</th>
              <th scope="col">Status</th>
              <th scope="col">Registered</th>
              <th scope="col" className="relative">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {list.data.data.map((company) => {
              const busy = verify.isPending && verify.variables?.id === company.id;
              return (
                <tr key={company.id}>
                  <td className="min-w-48">
                    <div className="font-medium text-slate-900">{company.name}</div>
                    {company.marketsServed.length ? <div className="text-xs text-slate-600">Serves {company.marketsServed.join(', ')}</div> : null}
                  </td>
                  <td>{label(company.type)}</td>
                  <td>{company.country}</td>
                  <td className="relative">
                    <Link to={`/admin/users?companyId=${encodeURIComponent(company.id)}`} className="text-emerald-800 underline-offset-2 hover:underline">
                      {company.memberCount}
                      <span className="sr-only"> members of {company.name}</span>
                    </Link>
                  </td>
                  <td>
                    {company.verified ? (
                      <span className="flex flex-col items-start gap-0.5">
                        <Badge tone="green">Verified</Badge>
                        {company.verifiedAt ? <span className="text-xs text-slate-600">{date(company.verifiedAt)}</span> : null}
                      </span>
                    ) : (
                      <Badge tone="amber">Not verified</Badge>
                    )}
                  </td>
                  <td className="whitespace-nowrap">{date(company.createdAt)}</td>
                  <td className="relative text-right">
                    {!company.verified ? (
                      <Button size="sm" busy={busy} disabled={verify.isPending} onClick={() => verify.mutate({ id: company.id, name: company.name })}>
                        Verify company<span className="sr-only"> {company.name}</span>
                      </Button>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </TableWrap>
      ) : null}
      {list.data ? <Pager pagination={{ ...list.data.pagination, page: query.page }} onPage={(page) => setParams(withChanges(params, { page }))} /> : null}
    </div>
  );
}

function CompanyFilters({ params, onApply, onClear }: { params: URLSearchParams; onApply: (changes: Record<string, string>) => void; onClear: () => void }) {
  const [form, setForm] = useState({ q: params.get('q') ?? '', verified: params.get('verified') ?? '', type: params.get('type') ?? '' });
  return (
    <FilterForm label="Filter companies" onSubmit={() => onApply(form)} onClear={onClear}>
      <Field label="Search by name">
        {(props) => <Input {...props} type="search" value={form.q} maxLength={200} onChange={(e) => setForm({ ...form, q: e.target.value })} placeholder="Company name" />}
      </Field>
      <Field label="Verification">
        {(props) => (
          <Select {...props} value={form.verified} onChange={(e) => setForm({ ...form, verified: e.target.value })}>
            <option value="">Any</option>
            <option value="false">Not verified</option>
            <option value="true">Verified</option>
          </Select>
        )}
      </Field>
      <Field label="Type">
        {(props) => (
          <Select {...props} value={form.type} onChange={(e) => setForm({ ...form, type: e.target.value })}>
            <option value="">Any</option>
            {COMPANY_TYPES.map((type) => (
              <option key={type} value={type}>
                {label(type)}
              </option>
            ))}
          </Select>
        )}
      </Field>
    </FilterForm>
  );
}
