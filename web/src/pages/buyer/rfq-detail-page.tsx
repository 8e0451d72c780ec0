import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Award } from 'lucide-react';
import { api, unwrap, unwrapPage } from '@/api/client';
import { fieldErrors } from '@/api/errors';
import { Button } from '@/components/ui/button';
import { Modal, ModalActions } from '@/components/ui/dialog';
import { EmptyState, ErrorNotice, Notice, Spinner } from '@/components/ui/feedback';
import { Field, Textarea } from '@/components/ui/field';
import { Badge, Card, PageHeader, TableWrap } from '@/components/ui/layout';
import { date, dateTime, label, money, quantity } from '@/lib/format';
import { cn } from '@/lib/cn';
import { orderStatus, quoteStatus, rfqStatus } from '@/lib/status';
import { compareQuotes, groupOf, isLive, lineOf, type Comparison } from './compare';
import { minorToMajor, type Quote, type Rfq } from './types';

/** While matching runs the page asks again at this pace; it stops once matchedAt is set. */
const MATCHING_POLL_MS = 1500;
const QUOTES_POLL_MS = 10_000;

export function RfqDetailPage() {
  const { id = '' } = useParams();
  const rfq = useQuery({
    queryKey: ['rfqs', 'detail', id],
    queryFn: async () => unwrap(await api.GET('/api/v1/rfqs/{id}', { params: { path: { id } } })),
    refetchInterval: (query) => (query.state.data && !query.state.data.matchedAt && query.state.data.status === 'open' ? MATCHING_POLL_MS : false),
  });
  const quotes = useQuery({
    queryKey: ['rfqs', 'quotes', id],
    queryFn: async () => unwrap(await api.GET('/api/v1/rfqs/{id}/quotes', { params: { path: { id } } })),
    enabled: rfq.isSuccess,
    refetchInterval: rfq.data?.status === 'open' ? QUOTES_POLL_MS : false,
  });
  const orders = useQuery({
    queryKey: ['orders', 'of-rfq', id],
    queryFn: async () => unwrapPage(await api.GET('/api/v1/orders', { params: { query: { page: 1, limit: 5, rfqId: id } } })),
    enabled: rfq.data?.status === 'awarded',
    refetchInterval: (query) => (query.state.data?.data.some((o) => o.status !== 'pending_compliance') ? false : 2000),
  });

  if (rfq.isPending) return <Spinner label="Loading the RFQ…" />;
  if (rfq.error) return <ErrorNotice error={rfq.error} onRetry={() => void rfq.refetch()} title="This RFQ could not be loaded" />;
  const r = rfq.data;
  const s = rfqStatus(r.status);
  return (
    <div className="space-y-6">
      <PageHeader
        title={r.title}
        description={<>{r.number} · <Badge tone={s.tone}>{s.text}</Badge> · delivery {date(r.deliveryDate)} to {r.deliveryCountry} ({r.market}) · quotes due {dateTime(r.responseDeadline)}</>}
        actions={r.status === 'open' ? <CancelRfq rfq={r} /> : undefined}
      />
      {orders.data?.data.length ? (
        <Notice tone="success">
          {orders.data.data.map((order) => (
            <span key={order.id} className="block">
              Order <Link to={`/orders/${order.id}`} className="font-medium underline">{order.orderNumber}</Link> was placed: {orderStatus(order.status).text}.
            </span>
          ))}
        </Notice>
      ) : null}
      <section aria-labelledby="items-heading">
        <h2 id="items-heading" className="mb-2 text-lg font-semibold">Items</h2>
        <TableWrap label="RFQ items">
          <thead className="bg-slate-50">
            <tr><th scope="col">Item</th><th scope="col">Category</th><th scope="col">Quantity</th><th scope="col">Target price</th></tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {r.items.map((item) => (
              <tr key={item.id}>
                <td>{item.name}{item.description ? <div className="text-xs text-slate-600">{item.description}</div> : null}</td>
                <td>{item.category}</td>
                <td>{quantity(item.quantity, item.unit)}</td>
                <td>{item.targetUnitPrice !== undefined && item.currency ? money(item.targetUnitPrice, item.currency) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </TableWrap>
        {r.requiredCertifications.length ? <p className="mt-2 text-sm">Required certifications: {r.requiredCertifications.map((c) => c.replace(/_/g, ' ')).join(', ')}</p> : null}
      </section>
      <Matches rfq={r} />
      <section aria-labelledby="quotes-heading">
        <h2 id="quotes-heading" className="mb-2 text-lg font-semibold">Quotes</h2>
        {quotes.isPending ? <Spinner label="Loading quotes…" /> : null}
        {quotes.error ? <ErrorNotice error={quotes.error} onRetry={() => void quotes.refetch()} title="The quotes could not be loaded" /> : null}
        {quotes.data ? <QuoteComparison rfq={r} quotes={quotes.data.quotes} /> : null}
      </section>
      {r.timeline?.length ? (
        <section aria-labelledby="timeline-heading">
          <h2 id="timeline-heading" className="mb-2 text-lg font-semibold">Timeline</h2>
          <ol className="space-y-2 border-l-2 border-slate-200 pl-4 text-sm">
            {r.timeline.map((entry, index) => (
              <li key={index}>
                <span className="font-medium">{label(entry.type.replace(/^rfq\./, ''))}</span> · {dateTime(entry.at)}
                {entry.note ? <span className="text-slate-700"> — {entry.note}</span> : null}
              </li>
            ))}
          </ol>
        </section>
      ) : null}
    </div>
  );
}

function Matches({ rfq }: { rfq: Rfq }) {
  return (
    <section aria-labelledby="matches-heading">
      <h2 id="matches-heading" className="mb-2 text-lg font-semibold">Matched suppliers</h2>
      {!rfq.matchedAt && rfq.status === 'open' ? <Spinner label="Matching suppliers to your RFQ…" /> : null}
      {rfq.matchedAt && rfq.matches.length === 0 ? (
        <EmptyState title="No supplier matched yet">No listed product or supplier fits these items and certifications. Suppliers who list a fitting product later are matched then.</EmptyState>
      ) : null}
      {rfq.matches.length ? (
        <ul className="grid gap-3 sm:grid-cols-2">
          {rfq.matches.map((match) => (
            <li key={match.supplierCompanyId} className="rounded-lg border border-slate-200 bg-white p-4 text-sm">
              <div className="flex flex-wrap items-center gap-2">
                <Link to={`/companies/${match.supplierCompanyId}`} className="font-medium underline-offset-2 hover:underline">{match.companyName}</Link>
                {match.verified ? <Badge tone="green">Verified</Badge> : <Badge tone="amber">Not verified</Badge>}
                <span className="text-slate-600">score {match.score.toFixed(2)}</span>
              </div>
              <ul className="mt-2 list-disc space-y-1 pl-5 text-slate-700">
                {match.matchedItems.map((item, i) => <li key={i}>{item.name}{item.reason ? `: ${item.reason}` : ''}</li>)}
              </ul>
              {match.missingCertifications.length ? <p className="mt-2 text-amber-800">Missing: {match.missingCertifications.join(', ')}</p> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

/** Quotes side by side: a column per quote, a row per item; the cheapest complete quote and the best price per item stand out. */
function QuoteComparison({ rfq, quotes }: { rfq: Rfq; quotes: Quote[] }) {
  const [awarding, setAwarding] = useState<Quote | undefined>();
  if (quotes.length === 0) {
    return <EmptyState title="No quotes yet">{rfq.status === 'open' ? 'Matched suppliers have been invited; their quotes appear here as they arrive.' : 'No supplier quoted on this RFQ.'}</EmptyState>;
  }
  const items = rfq.items.map((i) => ({ id: i.id, name: i.name, quantity: i.quantity, unit: i.unit }));
  const comparison: Comparison = compareQuotes(quotes, items);
  const ordered = [...quotes].sort((a, b) => Number(isLive(b)) - Number(isLive(a)) || a.currency.localeCompare(b.currency) || a.totalMinor - b.totalMinor);
  const cheapest = (quote: Quote) => groupOf(comparison, quote)?.cheapestCompleteId === quote.id;
  const best = (quote: Quote, itemId: string) => groupOf(comparison, quote)?.bestPerItem[itemId]?.includes(quote.id) ?? false;
  return (
    <>
      {comparison.mixedCurrencies ? <Notice tone="warning">Quotes are in more than one currency: prices are compared within each currency only.</Notice> : null}
      <TableWrap label="Quote comparison">
        <thead className="bg-slate-50 align-bottom">
          <tr>
            <th scope="col">Item</th>
            {ordered.map((quote) => {
              const st = quoteStatus(quote.status);
              return (
                <th key={quote.id} scope="col" className={cn('min-w-44', cheapest(quote) && 'bg-emerald-50')}>
                  <Link to={`/companies/${quote.supplierCompanyId}`} className="underline-offset-2 hover:underline">{quote.match?.companyName ?? 'Supplier'}</Link>
                  <div className="mt-1 flex flex-wrap gap-1 font-normal">
                    <Badge tone={st.tone}>{st.text}</Badge>
                    {cheapest(quote) ? <Badge tone="green"><Award className="mr-1 h-3 w-3" aria-hidden="true" />Cheapest complete</Badge> : null}
                    {!comparison.complete[quote.id] ? <Badge tone="amber">Incomplete</Badge> : null}
                  </div>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {rfq.items.map((item) => (
            <tr key={item.id}>
              <th scope="row" className="font-normal">{item.name}<div className="text-xs text-slate-600">{quantity(item.quantity, item.unit)}</div></th>
              {ordered.map((quote) => {
                const line = lineOf(quote, item.id);
                const isBest = line && isLive(quote) && best(quote, item.id);
                return (
                  <td key={quote.id} className={cn(cheapest(quote) && 'bg-emerald-50')}>
                    {line ? (
                      <>
                        <span className={cn(isBest && 'font-semibold text-emerald-800')}>{money(minorToMajor(line.unitPriceMinor, quote.currency), quote.currency)}</span>
                        {isBest ? <span className="sr-only"> (best price for this item)</span> : null}
                        <div className="text-xs text-slate-600">line {money(minorToMajor(line.lineTotalMinor, quote.currency), quote.currency)}</div>
                      </>
                    ) : (
                      <span className="text-slate-600">not quoted</span>
                    )}
                  </td>
                );
              })}
            </tr>
          ))}
          <tr className="bg-slate-50 font-medium">
            <th scope="row">Total</th>
            {ordered.map((quote) => <td key={quote.id} className={cn(cheapest(quote) && 'bg-emerald-100')}>{money(minorToMajor(quote.totalMinor, quote.currency), quote.currency)}</td>)}
          </tr>
          <tr>
            <th scope="row" className="font-normal">Lead time</th>
            {ordered.map((quote) => <td key={quote.id}>{quote.leadTimeDays} {quote.leadTimeDays === 1 ? 'day' : 'days'}</td>)}
          </tr>
          <tr>
            <th scope="row" className="font-normal">Valid until</th>
            {ordered.map((quote) => <td key={quote.id}>{date(quote.validUntil)}</td>)}
          </tr>
          <tr>
            <th scope="row" className="font-normal">Certifications</th>
            {ordered.map((quote) => (
              <td key={quote.id} className="text-xs">
                {quote.match?.heldRequiredCertifications.length ? <div className="text-emerald-800">Holds {quote.match.heldRequiredCertifications.join(', ')}</div> : null}
                {quote.match?.missingCertifications.length ? <div className="text-amber-800">Missing {quote.match.missingCertifications.join(', ')}</div> : null}
                {!quote.match?.heldRequiredCertifications.length && !quote.match?.missingCertifications.length ? '—' : null}
              </td>
            ))}
          </tr>
          <tr>
            <th scope="row" className="font-normal">Notes</th>
            {ordered.map((quote) => <td key={quote.id} className="max-w-60 text-xs whitespace-pre-line">{quote.notes ?? '—'}</td>)}
          </tr>
          {rfq.status === 'open' ? (
            <tr>
              <th scope="row" className="font-normal"><span className="sr-only">Actions</span></th>
              {ordered.map((quote) => (
                <td key={quote.id}>
                  {quote.status === 'submitted' ? (
                    <Button size="sm" onClick={() => setAwarding(quote)} aria-label={`Award the quote of ${quote.match?.companyName ?? 'this supplier'}`}>
                      Award
                    </Button>
                  ) : null}
                </td>
              ))}
            </tr>
          ) : null}
        </tbody>
      </TableWrap>
      {awarding ? <AwardDialog rfq={rfq} quote={awarding} complete={comparison.complete[awarding.id] ?? false} onClose={() => setAwarding(undefined)} /> : null}
    </>
  );
}

function AwardDialog({ rfq, quote, complete, onClose }: { rfq: Rfq; quote: Quote; complete: boolean; onClose: () => void }) {
  const queryClient = useQueryClient();
  const award = useMutation({
    // The revision pins the quote the buyer saw: a revision submitted meanwhile makes this a 409.
    mutationFn: async () => unwrap(await api.POST('/api/v1/rfqs/{id}/award', { params: { path: { id: rfq.id } }, body: { quoteId: quote.id, revision: quote.revision } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['rfqs'] });
      await queryClient.invalidateQueries({ queryKey: ['orders'] });
      onClose();
    },
  });
  return (
    <Modal open onOpenChange={(open) => !open && onClose()} title="Award this quote?" description={<>The quote of <strong>{quote.match?.companyName ?? 'this supplier'}</strong> for {money(minorToMajor(quote.totalMinor, quote.currency), quote.currency)} becomes an order; the other quotes are declined.</>}>
      {!complete ? <Notice tone="warning">This quote does not price every item: the order covers only the quoted ones.</Notice> : null}
      {award.error ? <ErrorNotice error={award.error} title="The award did not go through" /> : null}
      <ModalActions confirmLabel="Award quote" onConfirm={() => award.mutate()} busy={award.isPending} onCancel={onClose} />
    </Modal>
  );
}

function CancelRfq({ rfq }: { rfq: Rfq }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const queryClient = useQueryClient();
  const cancel = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/v1/rfqs/{id}/cancel', { params: { path: { id: rfq.id } }, body: reason.trim() ? { reason: reason.trim() } : {} })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['rfqs'] });
      setOpen(false);
    },
  });
  return (
    <>
      <Button variant="secondary" onClick={() => setOpen(true)}>Cancel RFQ</Button>
      <Modal open={open} onOpenChange={setOpen} title="Cancel this RFQ?" description="Matched suppliers are told, and no more quotes can be submitted or awarded.">
        <form onSubmit={(e) => { e.preventDefault(); cancel.mutate(); }}>
          <Field label="Reason (optional, shown to suppliers)" errors={fieldErrors(cancel.error).reason}>
            {(props) => <Textarea {...props} value={reason} maxLength={2000} onChange={(e) => setReason(e.target.value)} />}
          </Field>
          {cancel.error && !fieldErrors(cancel.error).reason ? <div className="mt-3"><ErrorNotice error={cancel.error} title="The RFQ was not cancelled" /></div> : null}
          <ModalActions confirmLabel="Cancel RFQ" tone="danger" busy={cancel.isPending} onCancel={() => setOpen(false)} />
        </form>
      </Modal>
    </>
  );
}

