import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, unwrapPage } from '@/api/client';
import { fieldErrors } from '@/api/errors';
import { useUser } from '@/auth/use-session';
import { Button } from '@/components/ui/button';
import { EmptyState, ErrorNotice, Notice, Spinner } from '@/components/ui/feedback';
import { Field, Input, Select, Textarea } from '@/components/ui/field';
import { Badge, PageHeader, TableWrap } from '@/components/ui/layout';
import { date, dateTime, label } from '@/lib/format';
import { ROLES, USER_STATUSES, reasonProblem, userQuery, withChanges } from './filters';
import { AdminDialog, AdminOnly, DialogActions, FilterForm, Pager } from './shared';

export function UsersPage() {
  return (
    <AdminOnly>
      <Users />
    </AdminOnly>
  );
}

interface Target {
  id: string;
  name: string;
  email: string;
  action: 'suspend' | 'unsuspend';
}

function Users() {
  const me = useUser();
  const [params, setParams] = useSearchParams();
  const query = userQuery(params);
  const [target, setTarget] = useState<Target | null>(null);
  const [done, setDone] = useState<string | null>(null);
  // The suspension is decided by auth and reaches the user service's list through an event: until
  // the list agrees, each row shows what this page just did, and the list is asked again every second.
  const [changed, setChanged] = useState<Record<string, 'active' | 'suspended'>>({});

  const list = useQuery({
    queryKey: ['users', 'admin-list', query],
    queryFn: async () => unwrapPage(await api.GET('/api/v1/users', { params: { query } })),
    placeholderData: keepPreviousData,
    refetchInterval: (current) => (current.state.data?.data.some((user) => changed[user.id] !== undefined && changed[user.id] !== user.status) ? 1000 : false),
  });
  const filtered = Boolean(query.q || query.role || query.companyId || query.status);
  const statusOf = (user: { id: string; status: string }) => changed[user.id] ?? user.status;

  return (
    <div>
      <PageHeader title="Users" description={list.data ? `${list.data.pagination.total} ${filtered ? 'matching' : 'in all'}` : 'Every registered user, newest first'} />
      <UserFilters key={params.toString()} params={params} onApply={(changes) => setParams(withChanges(params, changes))} onClear={() => setParams(new URLSearchParams())} />
      <div aria-live="polite" className="mb-4 empty:hidden">
        {done ? <Notice tone="success">{done}</Notice> : null}
      </div>

      {list.isPending ? <Spinner label="Loading users…" /> : null}
      {list.error ? <ErrorNotice error={list.error} onRetry={() => void list.refetch()} /> : null}
      {list.data && list.data.data.length === 0 ? (
        <EmptyState
          title={filtered ? 'No user matches these filters' : 'No users yet'}
          action={
            filtered ? (
              <Button variant="secondary" onClick={() => setParams(new URLSearchParams())}>
                Clear filters
              </Button>
            ) : undefined
          }
        >
          {filtered ? 'Change or clear the filters to see more users.' : 'Users appear here as they register.'}
        </EmptyState>
      ) : null}
      {list.data && list.data.data.length > 0 ? (
        <TableWrap label="Users">
          <thead className="bg-slate-50">
            <tr>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">Company</th>
              <th scope="col">Status</th>
              <th scope="col">Registered</th>
              <th scope="col" className="relative">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {list.data.data.map((user) => (
              <tr key={user.id}>
                <td className="min-w-48">
                  <div className="font-medium text-slate-900">{user.name}</div>
                  <div className="text-xs break-all text-slate-600">{user.email}</div>
                </td>
                <td>{label(user.role)}</td>
                <td className="min-w-36">
                  {user.company ? (
                    <span>
                      {user.company.name} {user.company.verified ? null : <Badge tone="amber">Not verified</Badge>}
                    </span>
                  ) : (
                    '—'
                  )}
                </td>
                <td className="min-w-36">
                  {statusOf(user) === 'suspended' ? (
                    <div className="space-y-0.5">
                      <Badge tone="red">Suspended</Badge>
                      {user.status === 'suspended' && user.suspension ? (
                        <p className="text-xs text-slate-600">
                          {dateTime(user.suspension.suspendedAt)}: {user.suspension.reason}
                        </p>
                      ) : null}
                    </div>
                  ) : (
                    <Badge tone="green">Active</Badge>
                  )}
                </td>
                <td className="whitespace-nowrap">{date(user.registeredAt ?? user.createdAt)}</td>
                <td className="relative text-right">
                  {user.id === me.id ? (
                    <span className="text-xs text-slate-600">You</span>
                  ) : statusOf(user) === 'suspended' ? (
                    <Button size="sm" variant="secondary" onClick={() => setTarget({ id: user.id, name: user.name, email: user.email, action: 'unsuspend' })}>
                      Unsuspend user<span className="sr-only"> {user.name}</span>
                    </Button>
                  ) : (
                    <Button size="sm" variant="danger" onClick={() => setTarget({ id: user.id, name: user.name, email: user.email, action: 'suspend' })}>
                      Suspend user<span className="sr-only"> {user.name}</span>
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </TableWrap>
      ) : null}
      {list.data ? <Pager pagination={{ ...list.data.pagination, page: query.page }} onPage={(page) => setParams(withChanges(params, { page }))} /> : null}

      {target ? (
        <StatusDialog
          key={`${target.id}-${target.action}`}
          target={target}
          onClose={() => setTarget(null)}
          onDone={(message, status) => {
            setChanged((before) => ({ ...before, [target.id]: status }));
            setTarget(null);
            setDone(message);
          }}
        />
      ) : null}
    </div>
  );
}

/** Asks for the reason (both routes require one) and suspends or lifts the suspension. */
function StatusDialog({ target, onClose, onDone }: { target: Target; onClose: () => void; onDone: (message: string, status: 'active' | 'suspended') => void }) {
  const queryClient = useQueryClient();
  const [reason, setReason] = useState('');
  const [checked, setChecked] = useState(false);
  const suspend = target.action === 'suspend';
  const change = useMutation({
    mutationFn: async () => {
      const options = { params: { path: { id: target.id } }, body: { reason: reason.trim() } };
      return unwrap(suspend ? await api.POST('/api/v1/admin/users/{id}/suspend', options) : await api.POST('/api/v1/admin/users/{id}/unsuspend', options));
    },
    onSuccess: (user) => {
      void queryClient.invalidateQueries({ queryKey: ['users'] });
      const status = user.status === 'suspended' ? 'suspended' : 'active';
      onDone(status === 'suspended' ? `${user.name} is suspended: their sessions end and they cannot sign in.` : `${user.name} may sign in again.`, status);
    },
  });
  const problem = reasonProblem(reason);
  const apiErrors = fieldErrors(change.error);
  const errors = [...(checked && problem ? [problem] : []), ...(apiErrors.reason ?? [])];
  const otherError = change.error && !apiErrors.reason ? change.error : null;

  return (
    <AdminDialog
      open
      onOpenChange={(open) => (open ? undefined : onClose())}
      title={suspend ? `Suspend ${target.name}?` : `Unsuspend ${target.name}?`}
      description={
        suspend
          ? `${target.email} is signed out everywhere and cannot sign in until the suspension is lifted. The reason is recorded in the audit log.`
          : `${target.email} may sign in again. The reason is recorded in the audit log.`
      }
    >
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setChecked(true);
          if (!problem) change.mutate();
        }}
        noValidate
      >
        <Field label="Reason" errors={errors.length ? errors : undefined} hint="3 to 2000 characters.">
          {(props) => <Textarea {...props} value={reason} maxLength={2000} onChange={(e) => setReason(e.target.value)} required />}
        </Field>
        {otherError ? (
          <div className="mt-3">
            <ErrorNotice error={otherError} title={suspend ? 'Could not suspend' : 'Could not lift the suspension'} />
          </div>
        ) : null}
        <DialogActions confirmLabel={suspend ? 'Suspend user' : 'Unsuspend user'} tone={suspend ? 'danger' : 'primary'} busy={change.isPending} onCancel={onClose} />
      </form>
    </AdminDialog>
  );
}

function UserFilters({ params, onApply, onClear }: { params: URLSearchParams; onApply: (changes: Record<string, string>) => void; onClear: () => void }) {
  const [form, setForm] = useState({ q: params.get('q') ?? '', role: params.get('role') ?? '', companyId: params.get('companyId') ?? '', status: params.get('status') ?? '' });
  return (
    <FilterForm label="Filter users" onSubmit={() => onApply(form)} onClear={onClear}>
      <Field label="Search e-mail or name">
        {(props) => <Input {...props} type="search" value={form.q} maxLength={200} onChange={(e) => setForm({ ...form, q: e.target.value })} />}
      </Field>
      <Field label="Role">
        {(props) => (
          <Select {...props} value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })}>
            <option value="">Any</option>
            {ROLES.map((role) => (
              <option key={role} value={role}>
                {label(role)}
              </option>
            ))}
          </Select>
        )}
      </Field>
      <Field label="Status">
        {(props) => (
          <Select {...props} value={form.status} onChange={(e) => setForm({ ...form, status: e.target.value })}>
            <option value="">Any</option>
            {USER_STATUSES.map((status) => (
              <option key={status} value={status}>
                {label(status)}
              </option>
            ))}
          </Select>
        )}
      </Field>
      <Field label="Company id">
        {(props) => <Input {...props} value={form.companyId} maxLength={128} onChange={(e) => setForm({ ...form, companyId: e.target.value })} />}
      </Field>
    </FilterForm>
  );
}
