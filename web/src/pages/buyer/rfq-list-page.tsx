import { useState } from 'react';
import { Link } from 'react-router';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, unwrapPage } from '@/api/client';
import { Button } from '@/components/ui/button';
import { Pager } from '@/components/ui/pager';
import { EmptyState, ErrorNotice, Spinner } from '@/components/ui/feedback';
import { Field, Select } from '@/components/ui/field';
import { Badge, PageHeader, TableWrap } from '@/components/ui/layout';
import { date, dateTime } from '@/lib/format';
import { rfqStatus } from '@/lib/status';

type Status = 'open' | 'awarded' | 'cancelled' | 'expired';

export function RfqListPage() {
  const [page, setPage] = useState(1);
  const [status, setStatus] = useState<Status | ''>('');
  const list = useQuery({
    queryKey: ['rfqs', 'list', page, status],
    queryFn: async () => unwrapPage(await api.GET('/api/v1/rfqs', { params: { query: { page, limit: 20, ...(status ? { status } : {}) } } })),
    placeholderData: keepPreviousData,
  });
  return (
    <div>
      <PageHeader title="My RFQs" description="Your company's requests for quotation, newest first." actions={<Button asChild><Link to="/rfqs/new">New RFQ</Link></Button>} />
      <div className="mb-4 max-w-xs">
        <Field label="Status">
          {(props) => (
            <Select {...props} value={status} onChange={(e) => { setStatus(e.target.value as Status | ''); setPage(1); }}>
              <option value="">All</option>
              <option value="open">Open</option>
              <option value="awarded">Awarded</option>
              <option value="cancelled">Cancelled</option>
              <option value="expired">Expired</option>
            </Select>
          )}
        </Field>
      </div>
      {list.isPending ? <Spinner label="Loading your RFQs…" /> : null}
      {list.error ? <ErrorNotice error={list.error} onRetry={() => void list.refetch()} /> : null}
      {list.data && list.data.data.length === 0 ? (
        <EmptyState title={status ? 'No RFQs in this state' : 'No RFQs yet'} action={<Button asChild><Link to="/rfqs/new">Post your first RFQ</Link></Button>}>
          An RFQ tells matched suppliers what you need; their quotes arrive here to compare.
        </EmptyState>
      ) : null}
      {list.data && list.data.data.length > 0 ? (
        <TableWrap label="RFQs">
          <thead className="bg-slate-50">
            <tr>
              <th scope="col">RFQ</th>
              <th scope="col">Status</th>
              <th scope="col">Items</th>
              <th scope="col">Matched suppliers</th>
              <th scope="col">Quotes due</th>
              <th scope="col">Delivery</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {list.data.data.map((rfq) => {
              const s = rfqStatus(rfq.status);
              return (
                <tr key={rfq.id}>
                  <td>
                    <Link to={`/rfqs/${rfq.id}`} className="font-medium underline-offset-2 hover:underline">{rfq.title}</Link>
                    <div className="text-xs text-slate-600">{rfq.number}</div>
                  </td>
                  <td><Badge tone={s.tone}>{s.text}</Badge></td>
                  <td>{rfq.items.length}</td>
                  <td>{rfq.matchedAt ? rfq.matches.length : <span className="text-slate-600">matching…</span>}</td>
                  <td>{dateTime(rfq.responseDeadline)}</td>
                  <td>{date(rfq.deliveryDate)} · {rfq.deliveryCountry}</td>
                </tr>
              );
            })}
          </tbody>
        </TableWrap>
      ) : null}
      {list.data ? <Pager page={page} pagination={list.data.pagination} onPage={setPage} /> : null}
    </div>
  );
}
