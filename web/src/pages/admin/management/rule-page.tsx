import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, unwrapPage } from '@/api/client';
import { ApiError, fieldErrors, messageOf } from '@/api/errors';
import { Button } from '@/components/ui/button';
import { EmptyState, ErrorNotice, Notice, Spinner } from '@/components/ui/feedback';
import { Field, Input, Textarea } from '@/components/ui/field';
import { Card, PageHeader, TableWrap } from '@/components/ui/layout';
import { dateTime } from '@/lib/format';
import { CERTIFICATIONS, EMPTY_FORM, MARKET_CODE, bodyOf, checkRuleForm, formOf, ruleFieldErrors, type Certification, type RuleForm, type RuleSet } from './rule-form';
import { AdminOnly, Pager } from './shared';

export function RulePage() {
  return (
    <AdminOnly>
      <Rule />
    </AdminOnly>
  );
}

function Rule() {
  const market = (useParams().market ?? '').toUpperCase();
  const valid = MARKET_CODE.test(market);
  const rule = useQuery({
    queryKey: ['compliance', 'rules', market],
    enabled: valid,
    retry: (count, error) => !(error instanceof ApiError && error.status === 404) && count < 2,
    queryFn: async () => unwrap(await api.GET('/api/v1/compliance/rules/{market}', { params: { path: { market } } })),
  });
  const missing = rule.error instanceof ApiError && rule.error.status === 404;

  if (!valid) {
    return (
      <EmptyState title="This is not a market code" action={<Link to="/admin/rules" className="text-sm font-medium text-emerald-800 underline">Back to market rules</Link>}>
        A market code is 2 to 8 capital letters, e.g. EU or GB.
      </EmptyState>
    );
  }
  return (
    <div className="space-y-6">
      <PageHeader
        title={rule.data ? `${rule.data.market} · ${rule.data.name}` : `Market ${market}`}
        description={rule.data ? `Version ${rule.data.version}, changed ${dateTime(rule.data.updatedAt)}` : missing ? 'No rule set yet: saving creates it (version 1).' : undefined}
        actions={
          <Link to="/admin/rules" className="text-sm font-medium text-emerald-800 underline-offset-2 hover:underline">
            All market rules
          </Link>
        }
      />
      {rule.isPending && !missing ? <Spinner label="Loading the rule set…" /> : null}
      {rule.error && !missing ? <ErrorNotice error={rule.error} onRetry={() => void rule.refetch()} /> : null}
      {rule.data || missing ? (
        <RuleEditor key={market} market={market} {...(rule.data ? { rule: rule.data } : {})} onReload={async () => (await rule.refetch()).data} />
      ) : null}
      {rule.data ? <Versions market={market} current={rule.data.version} /> : null}
    </div>
  );
}

function RuleEditor({ market, rule, onReload }: { market: string; rule?: RuleSet; onReload: () => Promise<RuleSet | undefined> }) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState<RuleForm>(rule ? formOf(rule) : EMPTY_FORM);
  const [checked, setChecked] = useState(false);
  const expectedVersion = rule?.version ?? 0;
  const save = useMutation({
    mutationFn: async () => unwrap(await api.PUT('/api/v1/compliance/rules/{market}', { params: { path: { market } }, body: bodyOf(form, expectedVersion) })),
    onSuccess: (saved) => {
      queryClient.setQueryData(['compliance', 'rules', market], saved);
      void queryClient.invalidateQueries({ queryKey: ['compliance'] });
    },
  });
  const conflict = save.error instanceof ApiError && save.error.status === 409;
  const own = checked ? checkRuleForm(form) : {};
  const fromApi = ruleFieldErrors(fieldErrors(save.error), form);
  const errorsOf = (field: keyof RuleForm) => {
    const list = [...(own[field] ?? []), ...(fromApi.fields[field] ?? [])];
    return list.length ? list : undefined;
  };
  const set = <K extends keyof RuleForm>(key: K, value: RuleForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const toggle = (key: 'requiredCertifications' | 'anyOfCertifications', cert: Certification, on: boolean) =>
    setForm((f) => ({ ...f, [key]: on ? CERTIFICATIONS.filter((c) => c === cert || f[key].includes(c)) : f[key].filter((c) => c !== cert) }));

  return (
    <section aria-labelledby="edit-rules">
      <Card>
        <h2 id="edit-rules" className="mb-4 text-lg font-semibold text-slate-900">
          {rule ? `Edit version ${rule.version}` : 'Create the rule set'}
        </h2>
        <form
          noValidate
          className="space-y-4"
          onSubmit={(event) => {
            event.preventDefault();
            setChecked(true);
            if (Object.keys(checkRuleForm(form)).length === 0) save.mutate();
          }}
        >
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Name" errors={errorsOf('name')}>
              {(props) => <Input {...props} value={form.name} maxLength={120} onChange={(e) => set('name', e.target.value)} required />}
            </Field>
            <Field label="Expiry warning (days)" errors={errorsOf('expiryWarningDays')} hint="Warn when a certificate expires within this many days of delivery (0–365).">
              {(props) => <Input {...props} type="number" min={0} max={365} step={1} inputMode="numeric" value={form.expiryWarningDays} onChange={(e) => set('expiryWarningDays', e.target.value)} />}
            </Field>
          </div>
          <Field label="Description" errors={errorsOf('description')}>
            {(props) => <Textarea {...props} value={form.description} maxLength={2000} onChange={(e) => set('description', e.target.value)} />}
          </Field>
          <Field label="Countries" errors={errorsOf('countries')} hint="Two-letter codes separated by commas or spaces; leave empty for a baseline.">
            {(props) => <Textarea {...props} value={form.countries} className="min-h-16" onChange={(e) => set('countries', e.target.value)} />}
          </Field>
          <CertificationGroup legend="Required certificates (all of them)" selected={form.requiredCertifications} errors={errorsOf('requiredCertifications')} onToggle={(c, on) => toggle('requiredCertifications', c, on)} />
          <CertificationGroup legend="Alternatives (at least one of them)" selected={form.anyOfCertifications} errors={errorsOf('anyOfCertifications')} onToggle={(c, on) => toggle('anyOfCertifications', c, on)} />
          <fieldset className="space-y-3 rounded-md border border-slate-200 p-3">
            <legend className="px-1 text-sm font-medium text-slate-800">Allergen labelling</legend>
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" className="h-4 w-4 accent-emerald-700" checked={form.allergensRequired} onChange={(e) => set('allergensRequired', e.target.checked)} />
              Products must label their allergens
            </label>
            {errorsOf('allergensRequired') ? <p className="text-sm text-red-700" role="alert">{errorsOf('allergensRequired')!.join(' ')}</p> : null}
            <Field label="Allergens to declare" errors={errorsOf('allergens')} hint="Separated by commas, e.g. gluten, milk, tree nuts.">
              {(props) => <Textarea {...props} value={form.allergens} className="min-h-16" onChange={(e) => set('allergens', e.target.value)} />}
            </Field>
          </fieldset>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" className="h-4 w-4 accent-emerald-700" checked={form.originRequired} onChange={(e) => set('originRequired', e.target.checked)} />
            Products must state their country of origin
          </label>
          {errorsOf('originRequired') ? <p className="text-sm text-red-700" role="alert">{errorsOf('originRequired')!.join(' ')}</p> : null}

          <div aria-live="polite" className="space-y-2">
            {save.isSuccess ? <Notice tone="success">Saved as version {save.data.version}. New checks use it from now on.</Notice> : null}
            {conflict ? (
              <div role="alert" className="space-y-2 rounded-md border border-amber-300 bg-amber-50 p-4 text-amber-950">
                <p className="font-medium">Someone else changed this rule set while you were editing</p>
                <p className="text-sm">
                  {messageOf(save.error)} You edited version {expectedVersion}. Loading the latest version discards your changes here; note them first if you need them.
                </p>
                <Button
                  variant="secondary"
                  size="sm"
                  onClick={async () => {
                    const latest = await onReload();
                    if (latest) setForm(formOf(latest));
                    setChecked(false);
                    save.reset();
                  }}
                >
                  Load the latest version
                </Button>
              </div>
            ) : null}
            {save.error && !conflict ? (
              <ErrorNotice error={save.error} title="The rule set was not saved" />
            ) : null}
            {fromApi.other.length ? (
              <ul className="list-disc pl-5 text-sm text-red-700">
                {fromApi.other.map((m) => (
                  <li key={m}>{m}</li>
                ))}
              </ul>
            ) : null}
          </div>
          <div className="flex flex-wrap gap-2">
            <Button type="submit" busy={save.isPending}>
              {rule ? 'Save rules' : 'Create rules'}
            </Button>
            {rule ? (
              <Button type="button" variant="ghost" onClick={() => { setForm(formOf(rule)); setChecked(false); save.reset(); }}>
                Undo changes
              </Button>
            ) : null}
          </div>
        </form>
      </Card>
    </section>
  );
}

function CertificationGroup({ legend, selected, errors, onToggle }: { legend: string; selected: Certification[]; errors?: string[] | undefined; onToggle: (cert: Certification, on: boolean) => void }) {
  return (
    <fieldset className="rounded-md border border-slate-200 p-3">
      <legend className="px-1 text-sm font-medium text-slate-800">{legend}</legend>
      <div className="grid grid-cols-2 gap-2 sm:grid-cols-3 lg:grid-cols-5">
        {CERTIFICATIONS.map((cert) => (
          <label key={cert} className="flex items-center gap-2 text-sm">
            <input type="checkbox" className="h-4 w-4 accent-emerald-700" checked={selected.includes(cert)} onChange={(e) => onToggle(cert, e.target.checked)} />
            {cert.replace(/_/g, ' ')}
          </label>
        ))}
      </div>
      {errors ? (
        <p className="mt-2 text-sm text-red-700" role="alert">
          {errors.join(' ')}
        </p>
      ) : null}
    </fieldset>
  );
}

function Versions({ market, current }: { market: string; current: number }) {
  const [page, setPage] = useState(1);
  const versions = useQuery({
    queryKey: ['compliance', 'rules', market, 'versions', page, current],
    queryFn: async () => unwrapPage(await api.GET('/api/v1/compliance/rules/{market}/versions', { params: { path: { market }, query: { page, limit: 10 } } })),
    placeholderData: keepPreviousData,
  });
  return (
    <section aria-labelledby="versions" className="space-y-3">
      <h2 id="versions" className="text-lg font-semibold text-slate-900">
        Version history
      </h2>
      {versions.isPending ? <Spinner label="Loading versions…" /> : null}
      {versions.error ? <ErrorNotice error={versions.error} onRetry={() => void versions.refetch()} /> : null}
      {versions.data && versions.data.data.length === 0 ? <EmptyState title="No versions recorded">Each save adds a version here.</EmptyState> : null}
      {versions.data && versions.data.data.length > 0 ? (
        <TableWrap label="Version history table">
          <thead className="bg-slate-50">
            <tr>
              <th scope="col">Version</th>
              <th scope="col">From</th>
              <th scope="col">Name</th>
              <th scope="col">Required</th>
              <th scope="col">One of</th>
              <th scope="col">Allergens</th>
              <th scope="col">Origin</th>
              <th scope="col">Countries</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {versions.data.data.map((v) => (
              <tr key={v.version}>
                <td className="whitespace-nowrap font-medium">
                  v{v.version}
                  {v.version === current ? <span className="ml-1 text-xs text-emerald-800">(current)</span> : null}
                </td>
                <td className="whitespace-nowrap">{dateTime(v.createdAt)}</td>
                <td className="min-w-36">{v.name}</td>
                <td>{v.requiredCertifications.join(', ') || '—'}</td>
                <td>{v.anyOfCertifications.join(', ') || '—'}</td>
                <td>{v.allergenLabelling.required ? v.allergenLabelling.allergens.length : 'Not required'}</td>
                <td>{v.originTracking.required ? 'Required' : 'Optional'}</td>
                <td>{v.countries.length}</td>
              </tr>
            ))}
          </tbody>
        </TableWrap>
      ) : null}
      {versions.data ? <Pager pagination={{ ...versions.data.pagination, page }} onPage={setPage} /> : null}
    </section>
  );
}
