import { useId, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import * as Dialog from '@radix-ui/react-dialog';
import { X } from 'lucide-react';
import { api, unwrap } from '@/api/client';
import { fieldErrors } from '@/api/errors';
import { Button } from '@/components/ui/button';
import { EmptyState, ErrorNotice, Notice } from '@/components/ui/feedback';
import { Field, Input, Select } from '@/components/ui/field';
import { TableWrap } from '@/components/ui/layout';
import { date } from '@/lib/format';
import { standingOf } from './expiry';
import {
  CERTIFICATION_TYPES,
  EMPTY_CERTIFICATION,
  certificationBody,
  certificationTypeLabel,
  checkCertification,
  readableErrors,
  unplacedErrors,
  type Certification,
  type CertificationForm,
} from './profile-form';
import { StandingBadge, certificateName } from './shared';

/** Soonest to lapse first: what needs attention is at the top. */
function byLapse(a: Certification, b: Certification): number {
  return a.validUntil.localeCompare(b.validUntil) || a.type.localeCompare(b.type);
}

/**
 * A company's certificates with their standing. `onWithdraw` adds a "Withdraw certification"
 * button to each row (the company's own users).
 */
export function CertificationTable({
  certifications,
  onWithdraw,
  emptyText,
  label = 'Certificates held',
}: {
  certifications: readonly Certification[];
  onWithdraw?: (certificate: Certification) => void;
  emptyText: string;
  label?: string;
}) {
  const baseId = useId();
  if (!certifications.length) return <EmptyState title="No certifications yet">{emptyText}</EmptyState>;
  const now = Date.now();
  return (
    <TableWrap label={label}>
      <thead className="bg-slate-50">
        <tr>
          <th scope="col">Type</th>
          <th scope="col">Certificate number</th>
          <th scope="col">Issued by</th>
          <th scope="col">Valid from</th>
          <th scope="col">Valid until</th>
          <th scope="col">Standing</th>
          {onWithdraw ? (
            <th scope="col" className="relative">
              <span className="sr-only">Actions</span>
            </th>
          ) : null}
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-200">
        {[...certifications].sort(byLapse).map((certificate) => {
          const nameId = `${baseId}-${certificate.id}`;
          return (
            <tr key={certificate.id}>
              <td className="font-medium whitespace-nowrap text-slate-900" id={`${nameId}-type`}>
                {certificationTypeLabel(certificate.type)}
              </td>
              <td className="whitespace-nowrap" id={`${nameId}-number`}>
                {certificate.number}
              </td>
              <td>{certificate.issuedBy}</td>
              <td className="whitespace-nowrap">{date(certificate.validFrom)}</td>
              <td className="whitespace-nowrap">{date(certificate.validUntil)}</td>
              <td className="whitespace-nowrap">
                <StandingBadge certificate={certificate} now={now} />
              </td>
              {onWithdraw ? (
                <td className="text-right whitespace-nowrap">
                  <Button size="sm" variant="secondary" aria-describedby={`${nameId}-type ${nameId}-number`} onClick={() => onWithdraw(certificate)}>
                    Withdraw certification
                  </Button>
                </td>
              ) : null}
            </tr>
          );
        })}
      </tbody>
    </TableWrap>
  );
}

/** The confirmation before a certificate is withdrawn: a modal with its title, the consequence in words. */
export function WithdrawDialog({
  companyId,
  certificate,
  onClose,
  focusAfterId,
}: {
  companyId: string;
  certificate: Certification | undefined;
  onClose: () => void;
  /** Where focus goes once the certificate (and with it the button that opened this) is gone. */
  focusAfterId?: string;
}) {
  const queryClient = useQueryClient();
  const done = useRef(false);
  const withdraw = useMutation({
    mutationFn: async (certId: string) =>
      unwrap(await api.DELETE('/api/v1/companies/{id}/certifications/{certId}', { params: { path: { id: companyId, certId } } })),
    onSuccess: async () => {
      done.current = true;
      await queryClient.invalidateQueries({ queryKey: ['companies'] });
      onClose();
    },
  });
  const open = certificate !== undefined;
  return (
    <Dialog.Root
      open={open}
      onOpenChange={(next) => {
        if (!next && !withdraw.isPending) {
          withdraw.reset();
          onClose();
        }
      }}
    >
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 z-40 bg-slate-900/40" />
        <Dialog.Content
          onCloseAutoFocus={(event) => {
            if (!done.current) return;
            done.current = false;
            const target = focusAfterId ? document.getElementById(focusAfterId) : null;
            if (target) {
              event.preventDefault();
              target.focus();
            }
          }}
          className="fixed top-1/2 left-1/2 z-50 max-h-[90vh] w-[calc(100vw-2rem)] max-w-md -translate-x-1/2 -translate-y-1/2 overflow-y-auto rounded-lg bg-white p-6 shadow-xl">
          <div className="mb-3 flex items-start justify-between gap-4">
            <Dialog.Title className="text-lg font-semibold text-slate-900">Withdraw this certification?</Dialog.Title>
            <Dialog.Close asChild>
              <Button variant="ghost" size="icon" aria-label="Close">
                <X className="h-4 w-4" aria-hidden="true" />
              </Button>
            </Dialog.Close>
          </div>
          <Dialog.Description className="text-sm text-slate-700">
            {certificate ? (
              <>
                <strong>{certificateName(certificate)}</strong>, issued by {certificate.issuedBy}, valid until {date(certificate.validUntil)}, will be
                removed from your company. Buyers will no longer see it, and products or RFQs that require it will no longer count it.
              </>
            ) : null}
          </Dialog.Description>
          {withdraw.error ? (
            <div className="mt-4">
              <ErrorNotice error={withdraw.error} title="The certification was not withdrawn" />
            </div>
          ) : null}
          <div className="mt-5 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
            <Dialog.Close asChild>
              <Button variant="secondary" disabled={withdraw.isPending}>
                Cancel
              </Button>
            </Dialog.Close>
            <Button variant="danger" busy={withdraw.isPending} onClick={() => certificate && withdraw.mutate(certificate.id)}>
              Withdraw certification
            </Button>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

const CERTIFICATION_FIELDS = ['type', 'number', 'issuedBy', 'validFrom', 'validUntil'];

/** POST /companies/{id}/certifications, with the form's own checks and the API's field errors. */
export function AddCertificationForm({ companyId, onAdded }: { companyId: string; onAdded?: (certificate: Certification) => void }) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState<CertificationForm>(EMPTY_CERTIFICATION);
  const [checked, setChecked] = useState<Record<string, string[]>>({});
  const add = useMutation({
    mutationFn: async (body: ReturnType<typeof certificationBody>) =>
      unwrap(await api.POST('/api/v1/companies/{id}/certifications', { params: { path: { id: companyId } }, body })),
    onSuccess: async (certificate) => {
      setForm(EMPTY_CERTIFICATION);
      await queryClient.invalidateQueries({ queryKey: ['companies'] });
      onAdded?.(certificate);
    },
  });
  const set = (key: keyof CertificationForm) => (event: { target: { value: string } }) => {
    setForm({ ...form, [key]: event.target.value });
    if (checked[key]) setChecked({ ...checked, [key]: [] });
    if (add.isSuccess) add.reset();
  };
  const apiErrors = readableErrors(fieldErrors(add.error));
  const errors = (key: string) => (checked[key]?.length ? checked[key] : apiErrors[key]);
  const unplaced = unplacedErrors(apiErrors, CERTIFICATION_FIELDS);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const problems = checkCertification(form);
    setChecked(problems);
    if (Object.keys(problems).length) return;
    add.mutate(certificationBody(form));
  };
  const standing = form.validFrom && form.validUntil && form.validUntil >= form.validFrom ? standingOf(form) : undefined;

  return (
    <form onSubmit={submit} noValidate className="space-y-4" aria-labelledby="add-certification-heading">
      <h3 id="add-certification-heading" className="text-base font-semibold text-slate-900">
        Add a certification
      </h3>
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
        <Field label="Certification type" errors={errors('type')}>
          {(props) => (
            <Select {...props} value={form.type} onChange={set('type')}>
              <option value="">Choose…</option>
              {CERTIFICATION_TYPES.map((type) => (
                <option key={type} value={type}>
                  {certificationTypeLabel(type)}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field label="Certificate number" errors={errors('number')} hint="As printed on the certificate.">
          {(props) => <Input {...props} value={form.number} onChange={set('number')} maxLength={200} autoComplete="off" />}
        </Field>
        <Field label="Issued by" errors={errors('issuedBy')} hint="The certification body, e.g. SGS, Bureau Veritas, TÜV.">
          {(props) => <Input {...props} value={form.issuedBy} onChange={set('issuedBy')} maxLength={200} />}
        </Field>
        <div className="hidden sm:block" aria-hidden="true" />
        <Field label="Valid from" errors={errors('validFrom')}>
          {(props) => <Input {...props} type="date" value={form.validFrom} onChange={set('validFrom')} max={form.validUntil || undefined} />}
        </Field>
        <Field label="Valid until" errors={errors('validUntil')} hint="The last day the certificate is valid.">
          {(props) => <Input {...props} type="date" value={form.validUntil} onChange={set('validUntil')} min={form.validFrom || undefined} />}
        </Field>
      </div>
      {standing && standing.tone !== 'green' ? (
        <Notice tone={standing.tone === 'blue' ? 'info' : 'warning'}>
          {standing.tone === 'red'
            ? 'This certificate has already expired: buyers will not see it.'
            : standing.tone === 'amber'
              ? `This certificate ${standing.text.toLowerCase()}.`
              : 'This certificate is not valid yet: buyers will see it from its first day.'}
        </Notice>
      ) : null}
      {add.error && (unplaced.length || Object.keys(apiErrors).length === 0) ? (
        <ErrorNotice error={add.error} title="The certification was not added" />
      ) : null}
      {add.error && unplaced.length ? (
        <ul className="list-disc pl-5 text-sm text-red-700">
          {unplaced.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      ) : null}
      {add.isSuccess && !add.isPending ? <Notice tone="success">Certification {add.data ? certificateName(add.data) : ''} added.</Notice> : null}
      <div>
        <Button type="submit" busy={add.isPending}>
          Add certification
        </Button>
      </div>
    </form>
  );
}
