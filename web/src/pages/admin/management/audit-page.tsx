import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, unwrapPage } from '@/api/client';
import { Button } from '@/components/ui/button';
import { EmptyState, ErrorNotice, Notice, Spinner } from '@/components/ui/feedback';
import { Field, Input, Select } from '@/components/ui/field';
import { PageHeader, TableWrap } from '@/components/ui/layout';
import { dateTime } from '@/lib/format';
import { TOPICS, auditQuery, rangeProblem, withChanges } from './filters';
import { AdminOnly, FilterForm, Pager } from './shared';

export function AuditPage() {
  return (
    <AdminOnly>
      <Audit />
    </AdminOnly>
  );
}

/** Who did it, when the payload names them (userId or a "…By" field). */
export function actorOf(data: unknown): string | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const record = data as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (/By$/.test(key) && typeof value === 'string') return value;
  }
  return typeof record.userId === 'string' ? record.userId : undefined;
}

/** An address-bar time (datetime-local or ISO) as a datetime-local input value. */
function localInput(value: string | null): string {
  if (!value) return '';
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return value;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const FILTER_KEYS = ['topic', 'type', 'source', 'subject', 'correlationId', 'companyId', 'from', 'to'] as const;

function Audit() {
  const [params, setParams] = useSearchParams();
  const query = auditQuery(params);
  const problem = rangeProblem(query.from, query.to);
  const list = useQuery({
    queryKey: ['admin', 'audit', query],
    enabled: !problem,
    queryFn: async () => unwrapPage(await api.GET('/api/v1/admin/audit', { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const filtered = FILTER_KEYS.some((key) => query[key] !== undefined);
  const clear = () => setParams(new URLSearchParams());

  return (
    <div>
      <PageHeader title="Audit log" description={list.data && !problem ? `${list.data.pagination.total} events ${filtered ? 'matching' : 'in all'}, newest first` : 'Every event published on the platform, newest first'} />
      <AuditFilters key={params.toString()} params={params} onApply={(changes) => setParams(withChanges(params, changes))} onClear={clear} />

      {problem ? <Notice tone="warning">{problem}</Notice> : null}
      {!problem && list.isPending ? <Spinner label="Loading the audit log…" /> : null}
      {!problem && list.error ? <ErrorNotice error={list.error} onRetry={() => void list.refetch()} /> : null}
      {!problem && list.data && list.data.data.length === 0 ? (
        <EmptyState
          title={filtered ? 'No event matches these filters' : 'No events recorded yet'}
          action={
            filtered ? (
              <Button variant="secondary" onClick={clear}>
                Clear filters
              </Button>
            ) : undefined
          }
        >
          {filtered ? 'Change or clear the filters to see more events.' : 'Events appear here as users and services act on the platform.'}
        </EmptyState>
      ) : null}
      {!problem && list.data && list.data.data.length > 0 ? (
        <TableWrap label="Audit events">
          <thead className="bg-slate-50">
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Topic</th>
              <th scope="col">Aggregate</th>
              <th scope="col">Actor / source</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {list.data.data.map((event) => {
              const actor = actorOf(event.data);
              return (
                <tr key={event.id}>
                  <td className="whitespace-nowrap">
                    <Link to={`/admin/audit/${encodeURIComponent(event.id)}`} className="font-medium text-emerald-800 underline-offset-2 hover:underline">
                      {dateTime(event.time)}
                      <span className="sr-only"> {event.topic} event details</span>
                    </Link>
                  </td>
                  <td className="min-w-40">
                    <div className="font-medium text-slate-900">{event.topic}</div>
                    <div className="text-xs break-all text-slate-600">{event.type}</div>
                  </td>
                  <td className="min-w-40 text-xs break-all">{event.subject || '—'}</td>
                  <td className="min-w-40 text-xs break-all">
                    {actor ? <div className="text-slate-900">{actor}</div> : null}
                    <div className="text-slate-600">{event.source}</div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </TableWrap>
      ) : null}
      {!problem && list.data ? <Pager pagination={{ ...list.data.pagination, page: query.page }} onPage={(page) => setParams(withChanges(params, { page }))} /> : null}
    </div>
  );
}

function AuditFilters({ params, onApply, onClear }: { params: URLSearchParams; onApply: (changes: Record<string, string>) => void; onClear: () => void }) {
  const [form, setForm] = useState({
    topic: params.get('topic') ?? '',
    type: params.get('type') ?? '',
    subject: params.get('subject') ?? '',
    source: params.get('source') ?? '',
    correlationId: params.get('correlationId') ?? '',
    companyId: params.get('companyId') ?? '',
    from: localInput(params.get('from')),
    to: localInput(params.get('to')),
  });
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value });
  return (
    <FilterForm label="Filter the audit log" onSubmit={() => onApply(form)} onClear={onClear}>
      <Field label="Topic">
        {(props) => (
          <Select {...props} value={form.topic} onChange={set('topic')}>
            <option value="">Any</option>
            {TOPICS.map((topic) => (
              <option key={topic} value={topic}>
                {topic}
              </option>
            ))}
          </Select>
        )}
      </Field>
      <Field label="Event type">{(props) => <Input {...props} value={form.type} maxLength={200} onChange={set('type')} placeholder="com.foodxchange.rfq.created" />}</Field>
      <Field label="Aggregate id (subject)">{(props) => <Input {...props} value={form.subject} maxLength={200} onChange={set('subject')} />}</Field>
      <Field label="Source">{(props) => <Input {...props} value={form.source} maxLength={200} onChange={set('source')} placeholder="/foodxchange/auth" />}</Field>
      <Field label="Correlation id">{(props) => <Input {...props} value={form.correlationId} maxLength={200} onChange={set('correlationId')} />}</Field>
      <Field label="Company id">{(props) => <Input {...props} value={form.companyId} maxLength={200} onChange={set('companyId')} />}</Field>
      <Field label="From">{(props) => <Input {...props} type="datetime-local" value={form.from} onChange={set('from')} />}</Field>
      <Field label="To">{(props) => <Input {...props} type="datetime-local" value={form.to} onChange={set('to')} />}</Field>
    </FilterForm>
  );
}
