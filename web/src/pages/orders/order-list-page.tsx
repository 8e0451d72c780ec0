import { useState } from 'react';
import { Link } from 'react-router';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, unwrapPage } from '@/api/client';
import { useUser } from '@/auth/use-session';
import { EmptyState, ErrorNotice, Spinner } from '@/components/ui/feedback';
import { Field, Select } from '@/components/ui/field';
import { Badge, PageHeader, TableWrap } from '@/components/ui/layout';
import { Pager } from '@/components/ui/pager';
import { date, dateTime, money } from '@/lib/format';
import { orderStatus } from '@/lib/status';
import { minorToMajor } from '@/pages/buyer/types';
import type { OrderStatus } from './order-actions';

const STATUSES: OrderStatus[] = ['pending_compliance', 'confirmed', 'shipped', 'delivered', 'rejected', 'cancelled'];

export function OrderListPage() {
  const user = useUser();
  const [page, setPage] = useState(1);
  const [status, setStatus] = useState<OrderStatus | ''>('');
  const list = useQuery({
    queryKey: ['orders', 'list', page, status],
    queryFn: async () => unwrapPage(await api.GET('/api/v1/orders', { params: { query: { page, limit: 20, ...(status ? { status } : {}) } } })),
    placeholderData: keepPreviousData,
  });
  const supplierView = user.role === 'supplier';
  return (
    <div>
      <PageHeader title="Orders" description={supplierView ? 'Orders placed with your company: ship confirmed ones.' : "Your company's orders, with their compliance check and delivery."} />
      <div className="mb-4 max-w-xs">
        <Field label="Status">
          {(props) => (
            <Select {...props} value={status} onChange={(e) => { setStatus(e.target.value as OrderStatus | ''); setPage(1); }}>
              <option value="">All</option>
              {STATUSES.map((s) => <option key={s} value={s}>{orderStatus(s).text}</option>)}
            </Select>
          )}
        </Field>
      </div>
      {list.isPending ? <Spinner label="Loading orders…" /> : null}
      {list.error ? <ErrorNotice error={list.error} onRetry={() => void list.refetch()} /> : null}
      {list.data && list.data.data.length === 0 ? (
        <EmptyState title={status ? 'No orders in this state' : 'No orders yet'}>
          {supplierView ? 'When a buyer awards one of your quotes, the order appears here.' : 'Award a quote on one of your RFQs and it becomes an order here.'}
        </EmptyState>
      ) : null}
      {list.data && list.data.data.length > 0 ? (
        <TableWrap label="Orders">
          <thead className="bg-slate-50">
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Status</th>
              <th scope="col">{supplierView ? 'Items' : 'Supplier'}</th>
              <th scope="col">Total</th>
              <th scope="col">Delivery</th>
              <th scope="col">Placed</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {list.data.data.map((order) => {
              const s = orderStatus(order.status);
              return (
                <tr key={order.id}>
                  <td>
                    <Link to={`/orders/${order.id}`} className="font-medium underline-offset-2 hover:underline">{order.orderNumber}</Link>
                    {order.title ? <div className="text-xs text-slate-600">{order.title}</div> : null}
                  </td>
                  <td><Badge tone={s.tone}>{s.text}</Badge></td>
                  <td>{supplierView ? order.items.map((i) => i.name).join(', ') : order.supplierName ?? '—'}</td>
                  <td>{money(minorToMajor(order.totalMinor, order.currency), order.currency)}</td>
                  <td>{date(order.deliveryDate)} · {order.deliveryCountry}</td>
                  <td>{dateTime(order.createdAt)}</td>
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
