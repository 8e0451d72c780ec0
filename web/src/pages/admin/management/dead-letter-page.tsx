import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import { ApiError } from '@/api/errors';
import { Button } from '@/components/ui/button';
import { EmptyState, ErrorNotice, Notice, Spinner } from '@/components/ui/feedback';
import { Card, PageHeader } from '@/components/ui/layout';
import { dateTime } from '@/lib/format';
import { ReplayBadge } from './dead-letters-page';
import { AdminDialog, AdminOnly, Detail, DialogActions, JsonBlock } from './shared';

export function DeadLetterPage() {
  return (
    <AdminOnly>
      <DeadLetter />
    </AdminOnly>
  );
}

const back = (
  <Link to="/admin/dead-letters" className="text-sm font-medium text-emerald-800 underline-offset-2 hover:underline">
    Back to dead letters
  </Link>
);

/** The record's value as JSON when it parses, else the raw text. */
function valueOf(value: string | null): unknown {
  if (value === null) return null;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function DeadLetter() {
  const id = useParams().id ?? '';
  const queryClient = useQueryClient();
  const [confirm, setConfirm] = useState(false);
  const letter = useQuery({
    queryKey: ['admin', 'dead-letters', 'one', id],
    enabled: id !== '',
    retry: (count, error) => !(error instanceof ApiError && error.status === 404) && count < 2,
    queryFn: async () => unwrap(await api.GET('/api/v1/admin/dead-letters/{id}', { params: { path: { id } } })),
  });
  const replay = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/v1/admin/dead-letters/{id}/replay', { params: { path: { id } } })),
    onSuccess: (answer) => {
      setConfirm(false);
      queryClient.setQueryData(['admin', 'dead-letters', 'one', id], answer);
      void queryClient.invalidateQueries({ queryKey: ['admin', 'dead-letters'] });
    },
  });
  const missing = letter.error instanceof ApiError && letter.error.status === 404;
  const data = letter.data;

  return (
    <div className="space-y-6">
      <PageHeader
        title={data ? `Dead letter: ${data.originalTopic}` : 'Dead letter'}
        description={<span className="break-all">{id}</span>}
        actions={
          <>
            {data && data.status === 'pending' && !data.replayInFlight ? (
              <Button onClick={() => setConfirm(true)} busy={replay.isPending}>
                Replay
              </Button>
            ) : null}
            {back}
          </>
        }
      />
      <div aria-live="polite" className="empty:hidden">
        {replay.isSuccess ? (
          <Notice tone="success">
            Replayed: the original record was re-published to {replay.data.originalTopic}
            {replay.data.lastReplayedAt ? ` (${dateTime(replay.data.lastReplayedAt)})` : ''}. Its consumers will handle it again.
          </Notice>
        ) : null}
      </div>
      {replay.error && !confirm ? <ErrorNotice error={replay.error} title="Could not replay" /> : null}
      {letter.isPending && id ? <Spinner label="Loading the dead letter…" /> : null}
      {missing || !id ? (
        <EmptyState title="No such dead letter" action={back}>
          No dead letter has the id {id || '(none)'}.
        </EmptyState>
      ) : null}
      {letter.error && !missing ? <ErrorNotice error={letter.error} onRetry={() => void letter.refetch()} /> : null}
      {data ? (
        <>
          <Card>
            <h2 className="mb-3 text-lg font-semibold text-slate-900">Failure</h2>
            <dl className="grid grid-cols-1 gap-3 sm:grid-cols-2">
              <Detail term="Replay status">
                <ReplayBadge status={data.status} inFlight={data.replayInFlight} count={data.replayCount} />
                {data.lastReplayedAt ? <span className="ml-2 text-xs text-slate-600">last {dateTime(data.lastReplayedAt)}</span> : null}
              </Detail>
              <Detail term="Error">
                {data.error.name}: {data.error.message}
              </Detail>
              <Detail term="Consumer">{data.consumerGroup ?? '—'}</Detail>
              <Detail term="Attempts">{data.attempts ?? '—'}</Detail>
              <Detail term="Failed">{dateTime(data.failedAt)}</Detail>
              <Detail term="Recorded">{dateTime(data.recordedAt)}</Detail>
              <Detail term="Original topic / partition / offset">
                {data.originalTopic} / {data.originalPartition ?? '—'} / {data.originalOffset ?? '—'}
              </Detail>
              <Detail term="Dead-letter topic / partition / offset">
                {data.dlqTopic} / {data.dlqPartition} / {data.dlqOffset}
              </Detail>
              <Detail term="Event">
                {data.eventId ? (
                  <Link to={`/admin/audit/${encodeURIComponent(data.eventId)}`} className="text-emerald-800 underline-offset-2 hover:underline">
                    {data.eventId}
                    <span className="sr-only"> in the audit log</span>
                  </Link>
                ) : (
                  '—'
                )}
                {data.eventType ? <span className="block text-xs text-slate-600">{data.eventType}</span> : null}
              </Detail>
              <Detail term="Subject">{data.subject ?? '—'}</Detail>
              <Detail term="Correlation id">{data.correlationId ?? '—'}</Detail>
              <Detail term="Key">{data.key || '—'}</Detail>
              {data.replayOf ? <Detail term="Replay of">{data.replayOf}</Detail> : null}
              {data.quarantinedBy ? <Detail term="Quarantined by">{data.quarantinedBy}</Detail> : null}
            </dl>
          </Card>
          {data.error.stack ? (
            <section aria-labelledby="stack-heading">
              <h2 id="stack-heading" className="mb-2 text-lg font-semibold text-slate-900">
                Stack trace
              </h2>
              <JsonBlock value={data.error.stack} label="Stack trace" />
            </section>
          ) : null}
          <section aria-labelledby="value-heading">
            <h2 id="value-heading" className="mb-2 text-lg font-semibold text-slate-900">
              Record value
            </h2>
            <JsonBlock value={valueOf(data.value)} label="Record value" />
          </section>
          <section aria-labelledby="headers-heading">
            <h2 id="headers-heading" className="mb-2 text-lg font-semibold text-slate-900">
              Headers
            </h2>
            <JsonBlock value={data.headers} label="Record headers" />
          </section>
        </>
      ) : null}
      {confirm && data ? (
        <AdminDialog
          open
          onOpenChange={(open) => (open ? undefined : setConfirm(false))}
          title="Replay this dead letter?"
          description={`The original record is re-published to ${data.originalTopic}, once; its consumers handle it again. Do this after the cause of the failure is fixed.`}
        >
          {replay.error ? <ErrorNotice error={replay.error} title="Could not replay" /> : null}
          <DialogActions confirmLabel="Replay" busy={replay.isPending} onCancel={() => setConfirm(false)} onConfirm={() => replay.mutate()} />
        </AdminDialog>
      ) : null}
    </div>
  );
}
