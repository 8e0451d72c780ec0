import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, unwrapPage } from '@/api/client';
import { fieldErrors } from '@/api/errors';
import { Button } from '@/components/ui/button';
import { EmptyState, ErrorNotice, Notice, Spinner } from '@/components/ui/feedback';
import { Field, Input, Select } from '@/components/ui/field';
import { Badge, PageHeader, TableWrap } from '@/components/ui/layout';
import { dateTime, label } from '@/lib/format';
import { DEAD_LETTER_STATUSES, TOPICS, deadLetterQuery, isTopic, withChanges, type Topic } from './filters';
import { AdminDialog, AdminOnly, DialogActions, FilterForm, Pager } from './shared';

export function DeadLettersPage() {
  return (
    <AdminOnly>
      <DeadLetters />
    </AdminOnly>
  );
}

/** The replay state of a dead letter as a badge. */
export function ReplayBadge({ status, inFlight, count }: { status: 'pending' | 'replayed'; inFlight: boolean; count: number }) {
  if (inFlight) return <Badge tone="blue">Replay in progress</Badge>;
  if (status === 'replayed') return <Badge tone="green">Replayed{count > 1 ? ` ×${count}` : ''}</Badge>;
  return <Badge tone="amber">Pending</Badge>;
}

interface ReplayAllResult {
  topic: string;
  replayed: string[];
  skipped: { id: string; reason: string }[];
  remaining: number;
}

function DeadLetters() {
  const [params, setParams] = useSearchParams();
  const query = deadLetterQuery(params);
  const [replayAll, setReplayAll] = useState(false);
  const [result, setResult] = useState<ReplayAllResult | null>(null);
  const list = useQuery({
    queryKey: ['admin', 'dead-letters', query],
    queryFn: async () => unwrapPage(await api.GET('/api/v1/admin/dead-letters', { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const filtered = Boolean(query.topic || query.status || query.eventId);
  const clear = () => setParams(new URLSearchParams());

  return (
    <div>
      <PageHeader
        title="Dead letters"
        description={list.data ? `${list.data.pagination.total} ${filtered ? 'matching' : 'in all'}, newest first` : 'Records consumers gave up on, newest first'}
        actions={
          <Button variant="secondary" onClick={() => setReplayAll(true)}>
            Replay all of this topic
          </Button>
        }
      />
      <DeadLetterFilters key={params.toString()} params={params} onApply={(changes) => setParams(withChanges(params, changes))} onClear={clear} />
      <div aria-live="polite" className="mb-4 empty:hidden">
        {result ? <ReplayAllSummary result={result} /> : null}
      </div>

      {list.isPending ? <Spinner label="Loading dead letters…" /> : null}
      {list.error ? <ErrorNotice error={list.error} onRetry={() => void list.refetch()} /> : null}
      {list.data && list.data.data.length === 0 ? (
        <EmptyState
          title={filtered ? 'No dead letter matches these filters' : 'No dead letters: every event was handled'}
          action={
            filtered ? (
              <Button variant="secondary" onClick={clear}>
                Clear filters
              </Button>
            ) : undefined
          }
        >
          {filtered ? 'Change or clear the filters to see more.' : 'When a consumer gives up on a record, it lands here to be inspected and replayed.'}
        </EmptyState>
      ) : null}
      {list.data && list.data.data.length > 0 ? (
        <TableWrap label="Dead letters">
          <thead className="bg-slate-50">
            <tr>
              <th scope="col">Topic</th>
              <th scope="col">Consumer</th>
              <th scope="col">Error</th>
              <th scope="col">Attempts</th>
              <th scope="col">Failed</th>
              <th scope="col">Replay</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {list.data.data.map((letter) => (
              <tr key={letter.id}>
                <td className="min-w-40">
                  <Link to={`/admin/dead-letters/${encodeURIComponent(letter.id)}`} className="font-medium text-emerald-800 underline-offset-2 hover:underline">
                    {letter.originalTopic}
                    <span className="sr-only"> dead letter {letter.id}</span>
                  </Link>
                  {letter.eventType ? <div className="text-xs break-all text-slate-600">{letter.eventType}</div> : null}
                </td>
                <td className="min-w-32 text-xs break-all">{letter.consumerGroup ?? '—'}</td>
                <td className="max-w-80 min-w-48">
                  <div className="text-xs font-medium text-slate-900">{letter.error.name}</div>
                  <div className="line-clamp-2 text-xs break-words text-slate-700">{letter.error.message}</div>
                </td>
                <td>{letter.attempts ?? '—'}</td>
                <td className="whitespace-nowrap">{dateTime(letter.failedAt ?? letter.recordedAt)}</td>
                <td className="whitespace-nowrap">
                  <ReplayBadge status={letter.status} inFlight={letter.replayInFlight} count={letter.replayCount} />
                </td>
              </tr>
            ))}
          </tbody>
        </TableWrap>
      ) : null}
      {list.data ? <Pager pagination={{ ...list.data.pagination, page: query.page }} onPage={(page) => setParams(withChanges(params, { page }))} /> : null}

      {replayAll ? (
        <ReplayAllDialog
          initialTopic={query.topic}
          onClose={() => setReplayAll(false)}
          onDone={(answer) => {
            setReplayAll(false);
            setResult(answer);
          }}
        />
      ) : null}
    </div>
  );
}

function ReplayAllSummary({ result }: { result: ReplayAllResult }) {
  return (
    <Notice tone={result.skipped.length ? 'warning' : 'success'}>
      <p>
        {result.replayed.length === 0 && result.skipped.length === 0 && result.remaining === 0
          ? `${result.topic}: nothing was pending, so nothing was replayed.`
          : `${result.topic}: ${result.replayed.length} replayed, ${result.skipped.length} skipped, ${result.remaining} still pending${result.remaining > 0 ? ' (replay again for the rest)' : ''}.`}
      </p>
      {result.skipped.length ? (
        <ul className="mt-1 list-disc pl-5">
          {result.skipped.slice(0, 10).map((skip) => (
            <li key={skip.id} className="break-all">
              {skip.id}: {skip.reason}
            </li>
          ))}
          {result.skipped.length > 10 ? <li>…and {result.skipped.length - 10} more</li> : null}
        </ul>
      ) : null}
    </Notice>
  );
}

function ReplayAllDialog({ initialTopic, onClose, onDone }: { initialTopic: Topic | undefined; onClose: () => void; onDone: (result: ReplayAllResult) => void }) {
  const queryClient = useQueryClient();
  const [topic, setTopic] = useState<string>(initialTopic ?? '');
  const [limit, setLimit] = useState('');
  const [checked, setChecked] = useState(false);
  const limitNumber = limit.trim() === '' ? undefined : Number(limit);
  const topicProblem = isTopic(topic) ? undefined : 'Choose the topic to replay.';
  const limitProblem = limitNumber === undefined || (Number.isInteger(limitNumber) && limitNumber >= 1 && limitNumber <= 250) ? undefined : 'A whole number from 1 to 250, or empty for the default.';
  const replay = useMutation({
    mutationFn: async (body: { topic: Topic; limit?: number }) => unwrap(await api.POST('/api/v1/admin/dead-letters/replay', { body })),
    onSuccess: (answer) => {
      void queryClient.invalidateQueries({ queryKey: ['admin', 'dead-letters'] });
      onDone(answer);
    },
  });
  const apiErrors = fieldErrors(replay.error);
  const otherError = replay.error && !apiErrors.topic && !apiErrors.limit ? replay.error : null;
  const topicErrors = [...(checked && topicProblem ? [topicProblem] : []), ...(apiErrors.topic ?? [])];
  const limitErrors = [...(checked && limitProblem ? [limitProblem] : []), ...(apiErrors.limit ?? [])];

  return (
    <AdminDialog
      open
      onOpenChange={(open) => (open ? undefined : onClose())}
      title="Replay all of this topic?"
      description="Every pending dead letter of the topic is re-published to its original topic, each once. Do this after the cause of the failures is fixed."
    >
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          setChecked(true);
          if (!topicProblem && !limitProblem && isTopic(topic)) replay.mutate({ topic, ...(limitNumber !== undefined ? { limit: limitNumber } : {}) });
        }}
        className="space-y-3"
      >
        <Field label="Topic" errors={topicErrors.length ? topicErrors : undefined}>
          {(props) => (
            <Select {...props} value={topic} onChange={(e) => setTopic(e.target.value)} required>
              <option value="">Choose a topic</option>
              {TOPICS.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field label="At most (optional)" hint="1 to 250 dead letters in one go." errors={limitErrors.length ? limitErrors : undefined}>
          {(props) => <Input {...props} type="number" inputMode="numeric" min={1} max={250} value={limit} onChange={(e) => setLimit(e.target.value)} />}
        </Field>
        {otherError ? <ErrorNotice error={otherError} title="Could not replay" /> : null}
        <DialogActions confirmLabel="Replay topic" busy={replay.isPending} onCancel={onClose} />
      </form>
    </AdminDialog>
  );
}

function DeadLetterFilters({ params, onApply, onClear }: { params: URLSearchParams; onApply: (changes: Record<string, string>) => void; onClear: () => void }) {
  const [form, setForm] = useState({ topic: params.get('topic') ?? '', status: params.get('status') ?? '', eventId: params.get('eventId') ?? '' });
  return (
    <FilterForm label="Filter dead letters" onSubmit={() => onApply(form)} onClear={onClear}>
      <Field label="Topic">
        {(props) => (
          <Select {...props} value={form.topic} onChange={(e) => setForm({ ...form, topic: e.target.value })}>
            <option value="">Any</option>
            {TOPICS.map((topic) => (
              <option key={topic} value={topic}>
                {topic}
              </option>
            ))}
          </Select>
        )}
      </Field>
      <Field label="Replay status">
        {(props) => (
          <Select {...props} value={form.status} onChange={(e) => setForm({ ...form, status: e.target.value })}>
            <option value="">Any</option>
            {DEAD_LETTER_STATUSES.map((status) => (
              <option key={status} value={status}>
                {label(status)}
              </option>
            ))}
          </Select>
        )}
      </Field>
      <Field label="Event id">{(props) => <Input {...props} value={form.eventId} maxLength={200} onChange={(e) => setForm({ ...form, eventId: e.target.value })} />}</Field>
    </FilterForm>
  );
}
