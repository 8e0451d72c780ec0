import { useState } from 'react';
import { Link } from 'react-router';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, unwrapPage } from '@/api/client';
import { useUser } from '@/auth/use-session';
import { EmptyState, ErrorNotice, Spinner } from '@/components/ui/feedback';
import { Badge, PageHeader, TableWrap } from '@/components/ui/layout';
import { Pager } from '@/components/ui/pager';
import { date, dateTime } from '@/lib/format';
import { rfqStatus } from '@/lib/status';

export function InboxPage() {
  const user = useUser();
  const [page, setPage] = useState(1);
  const [onlyQuotable, setOnlyQuotable] = useState(true);
  const list = useQuery({
    queryKey: ['rfqs', 'inbox', page, onlyQuotable],
    queryFn: async () => unwrapPage(await api.GET('/api/v1/rfqs', { params: { query: { page, limit: 20, ...(onlyQuotable ? { quotable: true } : {}) } } })),
    placeholderData: keepPreviousData,
    refetchInterval: 30_000,
  });
  return (
    <div>
      <PageHeader title="RFQ inbox" description="Requests for quotation your company was matched to, with why it matched." />
      <label className="mb-4 flex items-center gap-2 text-sm">
        <input type="checkbox" className="h-4 w-4 accent-emerald-700" checked={onlyQuotable} onChange={(e) => { setOnlyQuotable(e.target.checked); setPage(1); }} />
        Only RFQs still open for quotes
      </label>
      {list.isPending ? <Spinner label="Loading your inbox…" /> : null}
      {list.error ? <ErrorNotice error={list.error} onRetry={() => void list.refetch()} /> : null}
      {list.data && list.data.data.length === 0 ? (
        <EmptyState title={onlyQuotable ? 'No open RFQs for you right now' : 'No RFQs yet'} action={<Link to="/products" className="text-sm font-medium text-emerald-800 underline">Review your products</Link>}>
          Buyers' RFQs are matched to suppliers whose products, categories and valid certificates fit. Listing more products and keeping certificates current brings more RFQs.
        </EmptyState>
      ) : null}
      {list.data && list.data.data.length > 0 ? (
        <TableWrap label="Matched RFQs">
          <thead className="bg-slate-50">
            <tr>
              <th scope="col">RFQ</th>
              <th scope="col">Status</th>
              <th scope="col">Why you were matched</th>
              <th scope="col">Quotes due</th>
              <th scope="col">Delivery</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {list.data.data.map((rfq) => {
              const s = rfqStatus(rfq.status);
              const mine = rfq.matches.find((m) => m.supplierCompanyId === user.companyId);
              return (
                <tr key={rfq.id}>
                  <td>
                    <Link to={`/inbox/${rfq.id}`} className="font-medium underline-offset-2 hover:underline">{rfq.title}</Link>
                    <div className="text-xs text-slate-600">{rfq.number} · {rfq.items.length} {rfq.items.length === 1 ? 'item' : 'items'}</div>
                  </td>
                  <td><Badge tone={s.tone}>{s.text}</Badge>{rfq.quotingOpen ? null : <div className="text-xs text-slate-600">quoting closed</div>}</td>
                  <td className="max-w-80 text-xs">{mine ? mine.matchedItems.map((i) => i.reason ?? i.name).join('; ') || '—' : '—'}</td>
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
