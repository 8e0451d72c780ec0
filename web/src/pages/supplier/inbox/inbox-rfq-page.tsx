import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import { fieldErrors } from '@/api/errors';
import { useUser } from '@/auth/use-session';
import { Button } from '@/components/ui/button';
import { Modal, ModalActions } from '@/components/ui/dialog';
import { ErrorNotice, Notice, Spinner } from '@/components/ui/feedback';
import { Field, Input, Textarea } from '@/components/ui/field';
import { Badge, Card, PageHeader } from '@/components/ui/layout';
import { date, dateTime, money, quantity } from '@/lib/format';
import { quoteStatus, rfqStatus } from '@/lib/status';
import { minorToMajor, type Quote, type Rfq } from '@/pages/buyer/types';
import { initialQuoteForm, mapQuoteErrors, matchedProducts, quoteBody, validateQuote, type QuoteErrors, type QuoteFormState } from './quote-form';

export function InboxRfqPage() {
  const { rfqId = '' } = useParams();
  const user = useUser();
  const rfq = useQuery({
    queryKey: ['rfqs', 'detail', rfqId],
    queryFn: async () => unwrap(await api.GET('/api/v1/rfqs/{id}', { params: { path: { id: rfqId } } })),
  });
  const quotes = useQuery({
    queryKey: ['rfqs', 'quotes', rfqId],
    queryFn: async () => unwrap(await api.GET('/api/v1/rfqs/{id}/quotes', { params: { path: { id: rfqId } } })),
    enabled: rfq.isSuccess,
  });
  const [sent, setSent] = useState(false);
  if (rfq.isPending) return <Spinner label="Loading the RFQ…" />;
  if (rfq.error) return <ErrorNotice error={rfq.error} onRetry={() => void rfq.refetch()} title="This RFQ could not be loaded" />;
  const r = rfq.data;
  const s = rfqStatus(r.status);
  const match = r.matches.find((m) => m.supplierCompanyId === user.companyId);
  const own = quotes.data?.quotes.find((q) => q.supplierCompanyId === user.companyId);
  const productIds = matchedProducts(match?.matchedItems);
  return (
    <div className="space-y-6">
      <PageHeader title={r.title} description={<>{r.number} · <Badge tone={s.tone}>{s.text}</Badge> · delivery {date(r.deliveryDate)} to {r.deliveryCountry} ({r.market}) · quotes due {dateTime(r.responseDeadline)}</>} actions={<Button asChild variant="secondary"><Link to="/inbox">Back to the inbox</Link></Button>} />
      {match ? (
        <Card>
          <h2 className="mb-2 text-lg font-semibold">Why you were matched</h2>
          <ul className="list-disc space-y-1 pl-5 text-sm">
            {match.matchedItems.map((item, i) => <li key={i}>{item.name}{item.reason ? `: ${item.reason}` : ''}</li>)}
          </ul>
          {match.missingCertifications.length ? <p className="mt-2 text-sm text-amber-800">The buyer requires certifications you do not hold a valid certificate for: {match.missingCertifications.join(', ')}. <Link to="/company" className="underline">Add certificates</Link></p> : null}
        </Card>
      ) : null}
      {r.requiredCertifications.length ? <p className="text-sm">Required certifications: {r.requiredCertifications.map((c) => c.replace(/_/g, ' ')).join(', ')}</p> : null}
      {quotes.isPending ? <Spinner label="Loading your quote…" /> : null}
      {quotes.error ? <ErrorNotice error={quotes.error} onRetry={() => void quotes.refetch()} title="Your quote could not be loaded" /> : null}
      {sent ? <Notice tone="success">Quote sent: the buyer sees it now.</Notice> : null}
      {own ? <OwnQuote quote={own} rfq={r} /> : null}
      {quotes.isSuccess && r.quotingOpen && r.status === 'open' ? <QuoteForm key={own ? `${own.id}:${own.revision}:${own.status}` : 'new'} rfq={r} existing={own && own.status !== 'rejected' ? own : undefined} productIds={productIds} onSent={() => setSent(true)} onEdit={() => setSent(false)} /> : null}
      {quotes.isSuccess && !(r.quotingOpen && r.status === 'open') && !own ? <Notice>This RFQ no longer takes quotes.</Notice> : null}
    </div>
  );
}

function OwnQuote({ quote, rfq }: { quote: Quote; rfq: Rfq }) {
  const st = quoteStatus(quote.status);
  const [withdrawing, setWithdrawing] = useState(false);
  const queryClient = useQueryClient();
  const withdraw = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/v1/rfqs/{id}/quotes/{quoteId}/withdraw', { params: { path: { id: rfq.id, quoteId: quote.id } } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['rfqs'] });
      setWithdrawing(false);
    },
  });
  return (
    <Card aria-labelledby="own-quote-heading">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 id="own-quote-heading" className="text-lg font-semibold">Your quote <Badge tone={st.tone}>{st.text}</Badge></h2>
        {quote.status === 'submitted' && rfq.status === 'open' ? <Button variant="secondary" onClick={() => setWithdrawing(true)}>Withdraw quote</Button> : null}
      </div>
      <p className="mt-2 text-sm">
        Total <strong>{money(minorToMajor(quote.totalMinor, quote.currency), quote.currency)}</strong> · {quote.complete ? 'every item priced' : 'some items not priced'} · lead time {quote.leadTimeDays} days · valid until {date(quote.validUntil)} · revision {quote.revision}, {dateTime(quote.updatedAt)}
      </p>
      {quote.status === 'accepted' ? <Notice tone="success">The buyer awarded your quote: the order is under <Link to="/orders" className="underline">Orders</Link>.</Notice> : null}
      {quote.status === 'rejected' ? <Notice>The buyer chose another quote.</Notice> : null}
      {quote.status === 'withdrawn' && rfq.status === 'open' ? <p className="mt-2 text-sm text-slate-700">Withdrawn: submitting again below brings it back.</p> : null}
      <Modal open={withdrawing} onOpenChange={setWithdrawing} title="Withdraw your quote?" description="The buyer can no longer award it. You can submit again while the RFQ is open.">
        {withdraw.error ? <ErrorNotice error={withdraw.error} title="The quote was not withdrawn" /> : null}
        <ModalActions confirmLabel="Withdraw quote" tone="danger" onConfirm={() => withdraw.mutate()} busy={withdraw.isPending} onCancel={() => setWithdrawing(false)} />
      </Modal>
    </Card>
  );
}

function QuoteForm({ rfq, existing, productIds, onSent, onEdit }: { rfq: Rfq; existing: Quote | undefined; productIds: Record<string, string>; onSent: () => void; onEdit: () => void }) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState<QuoteFormState>(() => initialQuoteForm(rfq.items, existing));
  const [errors, setErrors] = useState<QuoteErrors>({});
  const submit = useMutation({
    mutationFn: async (state: QuoteFormState) => unwrap(await api.POST('/api/v1/rfqs/{id}/quotes', { params: { path: { id: rfq.id } }, body: quoteBody(state, rfq.items, productIds) })),
    onSuccess: async () => {
      onSent();
      await queryClient.invalidateQueries({ queryKey: ['rfqs'] });
    },
    onError: (error, state) => setErrors(mapQuoteErrors(fieldErrors(error), quoteBody(state, rfq.items, productIds).items.map((i) => i.rfqItemId))),
  });
  const onSubmit = (event: React.FormEvent) => {
    event.preventDefault();
    onEdit();
    const found = validateQuote(form, rfq.items);
    setErrors(found);
    if (Object.keys(found).length === 0) submit.mutate(form);
  };
  const revising = existing && existing.status !== 'withdrawn';
  return (
    <form onSubmit={onSubmit} noValidate aria-labelledby="quote-form-heading">
      <Card className="space-y-4">
        <h2 id="quote-form-heading" className="text-lg font-semibold">{revising ? 'Revise your quote' : 'Your offer'}</h2>
        {submit.error && !Object.keys(fieldErrors(submit.error)).length ? <ErrorNotice error={submit.error} title="The quote was not sent" /> : null}
        {errors.items || errors.form ? <p className="text-sm text-red-700" role="alert">{[...(errors.items ?? []), ...(errors.form ?? [])].join(' ')}</p> : null}
        <div className="space-y-3">
          {rfq.items.map((item) => (
            <div key={item.id} className="grid gap-2 sm:grid-cols-[1fr_14rem] sm:items-end">
              <div className="text-sm">
                <p className="font-medium">{item.name}</p>
                <p className="text-slate-600">{quantity(item.quantity, item.unit)} · {item.category}{item.targetUnitPrice !== undefined && item.currency ? ` · target ${money(item.targetUnitPrice, item.currency)}` : ''}</p>
              </div>
              <Field label={`Unit price for ${item.name}`} errors={errors[`price.${item.id}`]} hint={`per ${item.unit}, blank if you do not offer it`}>
                {(props) => <Input {...props} inputMode="decimal" value={form.prices[item.id] ?? ''} onChange={(e) => setForm({ ...form, prices: { ...form.prices, [item.id]: e.target.value } })} />}
              </Field>
            </div>
          ))}
        </div>
        <div className="grid gap-3 sm:grid-cols-3">
          <Field label="Currency" errors={errors.currency}>
            {(props) => <Input {...props} value={form.currency} maxLength={3} onChange={(e) => setForm({ ...form, currency: e.target.value.toUpperCase() })} />}
          </Field>
          <Field label="Lead time (days)" errors={errors.leadTimeDays}>
            {(props) => <Input {...props} inputMode="numeric" value={form.leadTimeDays} onChange={(e) => setForm({ ...form, leadTimeDays: e.target.value })} />}
          </Field>
          <Field label="Valid until" errors={errors.validUntil}>
            {(props) => <Input {...props} type="date" value={form.validUntil} onChange={(e) => setForm({ ...form, validUntil: e.target.value })} />}
          </Field>
        </div>
        <Field label="Notes" errors={errors.notes}>
          {(props) => <Textarea {...props} value={form.notes} maxLength={2000} onChange={(e) => setForm({ ...form, notes: e.target.value })} placeholder="Packaging, Incoterms, payment terms…" />}
        </Field>
        <Button type="submit" busy={submit.isPending}>{revising ? 'Update quote' : 'Submit quote'}</Button>
      </Card>
    </form>
  );
}
