import { Link, useParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import { ApiError } from '@/api/errors';
import { EmptyState, ErrorNotice, Spinner } from '@/components/ui/feedback';
import { Card, PageHeader } from '@/components/ui/layout';
import { dateTime } from '@/lib/format';
import { actorOf } from './audit-page';
import { AdminOnly, Detail, JsonBlock } from './shared';

export function AuditEventPage() {
  return (
    <AdminOnly>
      <AuditEvent />
    </AdminOnly>
  );
}

const back = (
  <Link to="/admin/audit" className="text-sm font-medium text-emerald-800 underline-offset-2 hover:underline">
    Back to the audit log
  </Link>
);

function AuditEvent() {
  const eventId = useParams().eventId ?? '';
  const event = useQuery({
    queryKey: ['admin', 'audit', 'event', eventId],
    enabled: eventId !== '',
    retry: (count, error) => !(error instanceof ApiError && error.status === 404) && count < 2,
    queryFn: async () => unwrap(await api.GET('/api/v1/admin/audit/{eventId}', { params: { path: { eventId } } })),
  });
  const missing = event.error instanceof ApiError && event.error.status === 404;
  const actor = event.data ? actorOf(event.data.data) : undefined;

  return (
    <div className="space-y-6">
      <PageHeader title={event.data ? `Event ${event.data.topic}` : 'Audit event'} description={event.data ? dateTime(event.data.time) : eventId} actions={back} />
      {event.isPending && eventId ? <Spinner label="Loading the event…" /> : null}
      {missing || !eventId ? (
        <EmptyState title="No such event" action={back}>
          No recorded event has the id {eventId || '(none)'}. It may be mistyped, or not recorded yet.
        </EmptyState>
      ) : null}
      {event.error && !missing ? <ErrorNotice error={event.error} onRetry={() => void event.refetch()} /> : null}
      {event.data ? (
        <>
          <Card>
            <h2 className="mb-3 text-lg font-semibold text-slate-900">Envelope</h2>
            <dl className="grid grid-cols-1 gap-3 sm:grid-cols-2">
              <Detail term="Event id">{event.data.id}</Detail>
              <Detail term="Topic">{event.data.topic}</Detail>
              <Detail term="Type">{event.data.type}</Detail>
              <Detail term="Source">{event.data.source}</Detail>
              <Detail term="Aggregate (subject)">{event.data.subject || '—'}</Detail>
              <Detail term="Actor">{actor ?? '—'}</Detail>
              <Detail term="Correlation id">
                {event.data.correlationId ? (
                  <Link to={`/admin/audit?correlationId=${encodeURIComponent(event.data.correlationId)}`} className="text-emerald-800 underline-offset-2 hover:underline">
                    {event.data.correlationId}
                    <span className="sr-only"> (all events of this correlation)</span>
                  </Link>
                ) : (
                  '—'
                )}
              </Detail>
              <Detail term="Time">{dateTime(event.data.time)}</Detail>
              <Detail term="Recorded">{dateTime(event.data.recordedAt)}</Detail>
              <Detail term="Data schema">{event.data.dataschema}</Detail>
              <Detail term="Companies">{event.data.companyIds.length ? event.data.companyIds.join(', ') : '—'}</Detail>
              <Detail term="Partition / offset">
                {event.data.partition} / {event.data.offset}
              </Detail>
            </dl>
          </Card>
          <section aria-labelledby="payload-heading">
            <h2 id="payload-heading" className="mb-2 text-lg font-semibold text-slate-900">
              Payload
            </h2>
            <JsonBlock value={event.data.data} label="Event payload" />
          </section>
        </>
      ) : null}
    </div>
  );
}
