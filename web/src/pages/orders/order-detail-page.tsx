import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { CheckCircle2, Circle, XCircle } from 'lucide-react';
import { api, unwrap } from '@/api/client';
import { fieldErrors } from '@/api/errors';
import { useUser } from '@/auth/use-session';
import { Button } from '@/components/ui/button';
import { Modal, ModalActions } from '@/components/ui/dialog';
import { ErrorNotice, Notice, Spinner } from '@/components/ui/feedback';
import { Field, Textarea } from '@/components/ui/field';
import { Badge, Card, PageHeader, TableWrap } from '@/components/ui/layout';
import { date, dateTime, money, quantity } from '@/lib/format';
import { orderStatus } from '@/lib/status';
import { minorToMajor, type Order } from '@/pages/buyer/types';
import { actionsFor, timelineOf, type OrderAction } from './order-actions';

/** An order waits for its compliance verdict a few seconds: the page asks again until it arrives. */
const PENDING_POLL_MS = 1500;

export function OrderDetailPage() {
  const { id = '' } = useParams();
  const user = useUser();
  const [acting, setActing] = useState<OrderAction | undefined>();
  const order = useQuery({
    queryKey: ['orders', 'detail', id],
    queryFn: async () => unwrap(await api.GET('/api/v1/orders/{id}', { params: { path: { id } } })),
    refetchInterval: (query) => (query.state.data?.status === 'pending_compliance' ? PENDING_POLL_MS : false),
  });
  if (order.isPending) return <Spinner label="Loading the order…" />;
  if (order.error) return <ErrorNotice error={order.error} onRetry={() => void order.refetch()} title="This order could not be loaded" />;
  const o = order.data;
  const s = orderStatus(o.status);
  const actions = actionsFor(o, user.companyId);
  return (
    <div className="space-y-6">
      <PageHeader
        title={`Order ${o.orderNumber}`}
        description={<><Badge tone={s.tone}>{s.text}</Badge> · {o.title ?? (o.createdFrom === 'rfq' ? 'From an RFQ' : 'From the catalogue')} · {o.supplierName ? `supplier ${o.supplierName}` : null}</>}
        actions={actions.map((action) => (
          <Button key={action.to} variant={action.tone === 'danger' ? 'secondary' : 'primary'} onClick={() => setActing(action)}>
            {action.label}
          </Button>
        ))}
      />
      <Compliance order={o} />
      <div className="grid gap-6 lg:grid-cols-[2fr_1fr]">
        <section aria-labelledby="lines-heading">
          <h2 id="lines-heading" className="mb-2 text-lg font-semibold">Items</h2>
          <TableWrap label="Order items">
            <thead className="bg-slate-50">
              <tr><th scope="col">Item</th><th scope="col">Quantity</th><th scope="col">Unit price</th><th scope="col">Line total</th></tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {o.items.map((line) => (
                <tr key={line.lineId}>
                  <td>
                    {line.productId ? <Link to={`/products/${line.productId}`} className="underline-offset-2 hover:underline">{line.name}</Link> : line.name}
                    {line.originCountry ? <div className="text-xs text-slate-600">origin {line.originCountry}</div> : null}
                  </td>
                  <td>{quantity(line.quantity, line.unit)}</td>
                  <td>{money(minorToMajor(line.unitPriceMinor, o.currency), o.currency)}</td>
                  <td>{money(minorToMajor(line.lineTotalMinor, o.currency), o.currency)}</td>
                </tr>
              ))}
              <tr className="bg-slate-50 font-medium">
                <th scope="row" colSpan={3}>Total</th>
                <td>{money(minorToMajor(o.totalMinor, o.currency), o.currency)}</td>
              </tr>
            </tbody>
          </TableWrap>
        </section>
        <Card>
          <h2 className="mb-3 text-lg font-semibold">Delivery</h2>
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
            <dt className="text-slate-600">Country</dt><dd>{o.deliveryCountry} ({o.market})</dd>
            <dt className="text-slate-600">Date</dt><dd>{date(o.deliveryDate)}</dd>
            <dt className="text-slate-600">Certifications</dt><dd>{o.requiredCertifications.length ? o.requiredCertifications.join(', ') : 'None required'}</dd>
            {o.rfqId && user.role === 'buyer' ? (<><dt className="text-slate-600">RFQ</dt><dd><Link to={`/rfqs/${o.rfqId}`} className="underline">Open the RFQ</Link></dd></>) : null}
            {o.note ? (<><dt className="text-slate-600">Note</dt><dd className="whitespace-pre-line">{o.note}</dd></>) : null}
          </dl>
        </Card>
      </div>
      <section aria-labelledby="timeline-heading">
        <h2 id="timeline-heading" className="mb-2 text-lg font-semibold">Status timeline</h2>
        <ol className="space-y-3">
          {timelineOf(o).map((step) => {
            const failed = step.status === 'rejected' || step.status === 'cancelled';
            const Icon = failed ? XCircle : step.done ? CheckCircle2 : Circle;
            return (
              <li key={step.status} className="flex items-start gap-3 text-sm">
                <Icon className={failed ? 'h-5 w-5 text-red-700' : step.done ? 'h-5 w-5 text-emerald-700' : 'h-5 w-5 text-slate-400'} aria-hidden="true" />
                <div>
                  <span className="font-medium">{orderStatus(step.status).text}</span>
                  <span className="sr-only">{step.done ? ' (done)' : ' (still ahead)'}</span>
                  {step.at ? <span className="text-slate-600"> · {dateTime(step.at)}</span> : null}
                  {step.note ? <p className="text-slate-700">{step.note}</p> : null}
                </div>
              </li>
            );
          })}
        </ol>
      </section>
      {acting ? <StatusDialog order={o} action={acting} onClose={() => setActing(undefined)} /> : null}
    </div>
  );
}

function Compliance({ order }: { order: Order }) {
  if (order.status === 'pending_compliance' && !order.compliance) return <Spinner label="Checking the order against the market's compliance rules…" />;
  const c = order.compliance;
  if (!c) return null;
  return (
    <section aria-labelledby="compliance-heading" className={c.passed ? 'rounded-lg border border-emerald-200 bg-emerald-50 p-4' : 'rounded-lg border border-red-200 bg-red-50 p-4'}>
      <h2 id="compliance-heading" className="font-semibold">
        {c.passed ? `Compliance check passed (${c.market})` : `Compliance check failed (${c.market})`}
      </h2>
      {c.violations.length ? (
        <ul className="mt-2 list-disc space-y-1 pl-5 text-sm text-red-900">
          {c.violations.map((v, i) => <li key={i}>{v.message}</li>)}
        </ul>
      ) : null}
      {c.warnings.length ? (
        <ul className="mt-2 list-disc space-y-1 pl-5 text-sm text-amber-900">
          {c.warnings.map((w, i) => <li key={i}>Warning: {w.message}</li>)}
        </ul>
      ) : null}
      {c.truncated ? <p className="mt-1 text-xs">More findings were recorded than are shown here.</p> : null}
      <p className="mt-2 text-xs text-slate-700">Checked {dateTime(c.checkedAt ?? c.receivedAt)}{c.ruleSetVersion ? ` against rule set version ${c.ruleSetVersion}` : ''}.</p>
    </section>
  );
}

function StatusDialog({ order, action, onClose }: { order: Order; action: OrderAction; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [note, setNote] = useState('');
  const move = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/v1/orders/{id}/status', { params: { path: { id: order.id } }, body: { status: action.to, ...(note.trim() ? { note: note.trim() } : {}) } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['orders'] });
      onClose();
    },
  });
  return (
    <Modal open onOpenChange={(open) => !open && onClose()} title={`${action.label}?`} description={action.confirm}>
      <form onSubmit={(e) => { e.preventDefault(); move.mutate(); }}>
        <Field label="Note (optional)" errors={fieldErrors(move.error).note}>
          {(props) => <Textarea {...props} value={note} maxLength={2000} onChange={(e) => setNote(e.target.value)} />}
        </Field>
        {move.error && !fieldErrors(move.error).note ? <div className="mt-3"><ErrorNotice error={move.error} title="The order did not change" /></div> : null}
        {action.tone === 'danger' ? <div className="mt-3"><Notice tone="warning">This cannot be undone.</Notice></div> : null}
        <ModalActions confirmLabel={action.label} tone={action.tone} busy={move.isPending} onCancel={onClose} />
      </form>
    </Modal>
  );
}
