import { useState } from 'react';
import { Link } from 'react-router';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, unwrapPage } from '@/api/client';
import { consolePathOf } from '@/notifications/stream';
import { Button } from '@/components/ui/button';
import { Pager } from '@/components/ui/pager';
import { EmptyState, ErrorNotice, Spinner } from '@/components/ui/feedback';
import { Badge, PageHeader } from '@/components/ui/layout';
import { dateTime } from '@/lib/format';
import { cn } from '@/lib/cn';

const PAGE_SIZE = 20;

export function NotificationsPage() {
  const queryClient = useQueryClient();
  const [page, setPage] = useState(1);
  const [onlyUnread, setOnlyUnread] = useState(false);
  const list = useQuery({
    queryKey: ['notifications', 'list', page, onlyUnread],
    queryFn: async () =>
      unwrapPage(await api.GET('/api/v1/notifications/', { params: { query: { page, limit: PAGE_SIZE, ...(onlyUnread ? { unread: true } : {}) } } })),
    placeholderData: keepPreviousData,
  });
  const invalidate = () => queryClient.invalidateQueries({ queryKey: ['notifications'] });
  const readAll = useMutation({ mutationFn: async () => unwrap(await api.POST('/api/v1/notifications/read-all', { body: {} })), onSuccess: invalidate });
  const readOne = useMutation({
    mutationFn: async (id: string) => unwrap(await api.POST('/api/v1/notifications/{id}/read', { params: { path: { id } }, body: {} })),
    onSuccess: invalidate,
  });

  return (
    <div>
      <PageHeader
        title="Notifications"
        description={list.data ? `${list.data.unreadCount} unread` : undefined}
        actions={
          <>
            <Button variant="secondary" onClick={() => { setOnlyUnread(!onlyUnread); setPage(1); }} aria-pressed={onlyUnread}>
              {onlyUnread ? 'Show all' : 'Only unread'}
            </Button>
            <Button onClick={() => readAll.mutate()} busy={readAll.isPending} disabled={!list.data?.unreadCount}>
              Mark all read
            </Button>
          </>
        }
      />
      {list.isPending ? <Spinner label="Loading notifications…" /> : null}
      {list.error ? <ErrorNotice error={list.error} onRetry={() => void list.refetch()} /> : null}
      {readAll.error ? <ErrorNotice error={readAll.error} title="Could not mark them read" /> : null}
      {list.data && list.data.data.length === 0 ? (
        <EmptyState title={onlyUnread ? 'Nothing unread' : 'No notifications yet'}>
          Matches, quotes, awards and order updates appear here as they happen.
        </EmptyState>
      ) : null}
      {list.data && list.data.data.length > 0 ? (
        <ul className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white" aria-label="Notifications">
          {list.data.data.map((notification) => (
            <li key={notification.id} className={cn('flex flex-col gap-2 p-4 sm:flex-row sm:items-start', !notification.read && 'bg-emerald-50/50')}>
              <div className="flex-1 space-y-1">
                <div className="flex items-center gap-2">
                  {!notification.read ? <Badge tone="green">New</Badge> : null}
                  <Link to={consolePathOf(notification.link)} className="font-medium text-slate-900 underline-offset-2 hover:underline">
                    {notification.title}
                  </Link>
                </div>
                <p className="text-sm text-slate-700">{notification.body}</p>
                <p className="text-xs text-slate-600">{dateTime(notification.createdAt)}</p>
              </div>
              {!notification.read ? (
                <Button size="sm" variant="secondary" onClick={() => readOne.mutate(notification.id)} aria-label={`Mark read: ${notification.title}`}>
                  Mark read
                </Button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      {list.data ? <Pager page={page} pagination={list.data.pagination} onPage={setPage} /> : null}
    </div>
  );
}
