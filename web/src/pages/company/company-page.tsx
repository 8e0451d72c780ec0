import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { Link } from 'react-router';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import { fieldErrors } from '@/api/errors';
import { isAdmin, useUser } from '@/auth/use-session';
import { Button } from '@/components/ui/button';
import { EmptyState, ErrorNotice, Notice, Spinner } from '@/components/ui/feedback';
import { Field, Input, Textarea } from '@/components/ui/field';
import { Badge, Card, PageHeader } from '@/components/ui/layout';
import { date, label } from '@/lib/format';
import { expiryWarnings, warningText } from './expiry';
import {
  COMPANY_TYPE_LABELS,
  KNOWN_MARKETS,
  countryName,
  formOf,
  isEmptyPatch,
  patchOf,
  readableErrors,
  unplacedErrors,
  type Certification,
  type FullCompany,
  type ProfileForm,
} from './profile-form';
import { AddCertificationForm, CertificationTable, WithdrawDialog } from './certifications';
import { Chips, Facts, VerificationBadge, companyKey, useCategoryLabels, useCompany } from './shared';

/** /company: the signed-in user's own company, its profile, verification and certificates. */
export function CompanyPage() {
  const user = useUser();
  const company = useCompany(user.companyId);

  if (!user.companyId) {
    return (
      <div>
        <PageHeader title="Company profile" />
        <EmptyState
          title="Your account belongs to no company"
          action={
            isAdmin(user) ? (
              <Link to="/admin/companies" className="text-sm font-medium text-emerald-800 underline">
                Look after the companies on FoodXchange
              </Link>
            ) : undefined
          }
        >
          {isAdmin(user)
            ? 'Platform admins act for no company. Open a company from the admin pages to see its profile.'
            : 'Ask FoodXchange support to attach your account to your company.'}
        </EmptyState>
      </div>
    );
  }

  return (
    <div>
      <PageHeader
        title="Company profile"
        description={company.data ? `${company.data.name} · ${COMPANY_TYPE_LABELS[company.data.type]} · ${countryName(company.data.country)}` : undefined}
        actions={
          company.data ? (
            <Button asChild variant="secondary">
              <Link to={`/companies/${company.data.id}`}>See your public profile</Link>
            </Button>
          ) : undefined
        }
      />
      {company.isPending ? <Spinner label="Loading your company…" /> : null}
      {company.error ? <ErrorNotice error={company.error} onRetry={() => void company.refetch()} /> : null}
      {company.data && company.data.view !== 'full' ? (
        <ErrorNotice error={new Error('FoodXchange answered with the public profile only: your account is not a member of this company.')} title="Your company could not be loaded" />
      ) : null}
      {company.data && company.data.view === 'full' ? <OwnCompany company={company.data} /> : null}
    </div>
  );
}

function OwnCompany({ company }: { company: FullCompany }) {
  const user = useUser();
  const [withdrawing, setWithdrawing] = useState<Certification | undefined>();
  // Members edit the profile (company:update); certificates are the supplier users' (certification:manage).
  const canEdit = user.role === 'buyer' || user.role === 'supplier' || isAdmin(user);
  const canManageCertificates = user.role === 'supplier';
  const warning = warningText(expiryWarnings(company.certifications));

  return (
    <div className="space-y-8">
      {warning ? (
        <Notice tone="warning">
          <strong className="font-semibold">Certificates need attention. </strong>
          {warning}
        </Notice>
      ) : null}

      <section aria-labelledby="profile-heading" className="space-y-3">
        <h2 id="profile-heading" className="text-lg font-semibold text-slate-900">
          Profile
        </h2>
        <ProfileSection company={company} canEdit={canEdit} />
      </section>

      <section aria-labelledby="verification-heading" className="space-y-3">
        <h2 id="verification-heading" className="text-lg font-semibold text-slate-900">
          Verification
        </h2>
        <Card className="space-y-2">
          <VerificationBadge verified={company.verification.verified} verifiedAt={company.verification.verifiedAt} />
          {company.verification.verified ? (
            <p className="text-sm text-slate-700">
              FoodXchange checked your company{company.verification.verifiedAt ? ` on ${date(company.verification.verifiedAt)}` : ''}. Buyers see the verified badge
              next to your name and can filter for verified suppliers.
              {company.verification.note ? <span className="mt-1 block text-slate-600">Note: {company.verification.note}</span> : null}
            </p>
          ) : (
            <p className="text-sm text-slate-700">
              Your company is awaiting verification by FoodXchange. Our team checks the company registration; until then buyers see your profile without the
              verified badge. Keep your name and address complete to speed this up.
            </p>
          )}
        </Card>
      </section>

      <section aria-labelledby="certifications-heading" className="space-y-3">
        <h2 id="certifications-heading" tabIndex={-1} className="text-lg font-semibold text-slate-900 focus:outline-none">
          Certifications
        </h2>
        <CertificationTable
          certifications={company.certifications}
          {...(canManageCertificates || isAdmin(user) ? { onWithdraw: setWithdrawing } : {})}
          emptyText={
            canManageCertificates
              ? 'Add the food-safety and market certificates you hold (HACCP, IFS, organic …): buyers and RFQs that require them look for them here.'
              : 'Your company holds no certificates on FoodXchange.'
          }
        />
        <WithdrawDialog companyId={company.id} certificate={withdrawing} onClose={() => setWithdrawing(undefined)} focusAfterId="certifications-heading" />
        {canManageCertificates ? (
          <Card>
            <AddCertificationForm companyId={company.id} />
          </Card>
        ) : (
          <Notice tone="info">Certificates are added and withdrawn by your company&apos;s supplier users.</Notice>
        )}
      </section>

      <section aria-labelledby="members-heading" className="space-y-3">
        <h2 id="members-heading" className="text-lg font-semibold text-slate-900">
          Members
        </h2>
        {company.members.length === 0 ? (
          <EmptyState title="No members listed">People who register for your company appear here.</EmptyState>
        ) : (
          <ul className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white" aria-label="Members">
            {company.members.map((member) => (
              <li key={member.userId} className="flex flex-col gap-1 p-4 sm:flex-row sm:items-center sm:justify-between">
                <div className="min-w-0">
                  <p className="font-medium text-slate-900">
                    {member.name ?? member.email ?? member.userId}
                    {member.userId === user.id ? <span className="ml-2 text-sm font-normal text-slate-600">(you)</span> : null}
                  </p>
                  {member.email && member.name ? <p className="text-sm break-all text-slate-700">{member.email}</p> : null}
                </div>
                <div className="flex items-center gap-2 text-sm text-slate-600">
                  <Badge tone="neutral">{label(member.role)}</Badge>
                  <span>since {date(member.joinedAt)}</span>
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

function ProfileSection({ company, canEdit }: { company: FullCompany; canEdit: boolean }) {
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState(false);
  const categories = useCategoryLabels();
  if (editing) {
    return (
      <ProfileEditor
        company={company}
        onDone={(didSave) => {
          setEditing(false);
          setSaved(didSave);
        }}
      />
    );
  }
  const address = company.address;
  return (
    <Card className="space-y-4">
      {saved ? <Notice tone="success">Profile saved.</Notice> : null}
      <Facts
        items={[
          ['Name', company.name],
          ['Type', COMPANY_TYPE_LABELS[company.type]],
          ['Country', `${countryName(company.country)} (${company.country})`],
          [
            'Website',
            company.website ? (
              <a href={company.website} className="text-emerald-800 underline" target="_blank" rel="noreferrer noopener">
                {company.website}
              </a>
            ) : (
              <span className="text-slate-600">Not given</span>
            ),
          ],
          ['Phone', company.phone ?? <span className="text-slate-600">Not given</span>],
          [
            'Address',
            address ? (
              <span className="whitespace-pre-line">
                {[address.line1, address.line2, [address.postalCode, address.city].filter(Boolean).join(' '), countryName(address.country)].filter(Boolean).join('\n')}
              </span>
            ) : (
              <span className="text-slate-600">Not given</span>
            ),
          ],
          ['Markets served', <Chips key="markets" values={company.marketsServed} empty="None declared" />],
          ['Product categories', <Chips key="categories" values={company.categories} labels={categories.data?.labels} empty="None declared" />],
        ]}
      />
      <div>
        <h3 className="text-xs font-medium tracking-wide text-slate-600 uppercase">About</h3>
        <p className="mt-0.5 text-sm whitespace-pre-line text-slate-900">{company.description || <span className="text-slate-600">No description yet.</span>}</p>
      </div>
      <p className="text-xs text-slate-600">Last changed {date(company.updatedAt)}</p>
      {canEdit ? (
        <Button
          variant="secondary"
          onClick={() => {
            setSaved(false);
            setEditing(true);
          }}
        >
          Edit profile
        </Button>
      ) : null}
    </Card>
  );
}

const PROFILE_FIELDS = [
  'name',
  'description',
  'website',
  'phone',
  'address',
  'address.line1',
  'address.line2',
  'address.city',
  'address.postalCode',
  'address.country',
  'marketsServed',
  'categories',
];

function FieldsetErrors({ messages }: { messages: string[] | undefined }) {
  if (!messages?.length) return null;
  return (
    <p className="text-sm text-red-700" role="alert">
      {messages.join(' ')}
    </p>
  );
}

function CheckboxGrid({ legend, hint, errors, children }: { legend: string; hint?: string; errors?: string[] | undefined; children: ReactNode }) {
  return (
    <fieldset className="space-y-2" aria-invalid={Boolean(errors?.length) || undefined}>
      <legend className="text-sm font-medium text-slate-800">{legend}</legend>
      {hint ? <p className="text-xs text-slate-600">{hint}</p> : null}
      <div className="grid grid-cols-1 gap-2 sm:grid-cols-2 lg:grid-cols-3">{children}</div>
      <FieldsetErrors messages={errors} />
    </fieldset>
  );
}

function Checkbox({ checked, onChange, children }: { checked: boolean; onChange: (checked: boolean) => void; children: ReactNode }) {
  return (
    <label className="flex min-h-8 items-center gap-2 text-sm text-slate-800">
      <input type="checkbox" className="h-4 w-4 rounded border-slate-300 accent-emerald-700" checked={checked} onChange={(event) => onChange(event.target.checked)} />
      {children}
    </label>
  );
}

function ProfileEditor({ company, onDone }: { company: FullCompany; onDone: (saved: boolean) => void }) {
  const queryClient = useQueryClient();
  const categories = useCategoryLabels();
  const [form, setForm] = useState<ProfileForm>(() => formOf(company));
  const [unchanged, setUnchanged] = useState(false);
  const save = useMutation({
    mutationFn: async (body: ReturnType<typeof patchOf>) => unwrap(await api.PATCH('/api/v1/companies/{id}', { params: { path: { id: company.id } }, body })),
    onSuccess: async (updated) => {
      queryClient.setQueryData(companyKey(company.id), updated);
      await queryClient.invalidateQueries({ queryKey: ['companies'] });
      onDone(true);
    },
  });
  const set = (key: keyof ProfileForm) => (event: { target: { value: string } }) => {
    setForm({ ...form, [key]: event.target.value });
    setUnchanged(false);
  };
  const toggle = (key: 'markets' | 'categories', value: string) => (checked: boolean) => {
    const list = form[key].filter((item) => item !== value);
    setForm({ ...form, [key]: checked ? [...list, value] : list });
    setUnchanged(false);
  };
  const errors = readableErrors(fieldErrors(save.error));
  const unplaced = unplacedErrors(errors, PROFILE_FIELDS);
  const formRef = useRef<HTMLFormElement>(null);
  // A refused save takes the keyboard to the first field the API found fault with.
  useEffect(() => {
    if (save.error) formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [save.error]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = patchOf(form, company);
    if (isEmptyPatch(body)) {
      setUnchanged(true);
      return;
    }
    save.mutate(body);
  };

  const groups = categories.data?.groups ?? [];
  const known = new Set(groups.map((group) => group.slug));
  const extraCategories = form.categories.filter((slug) => !known.has(slug));

  return (
    <Card>
      <form ref={formRef} onSubmit={submit} noValidate className="space-y-6" aria-label="Edit company profile">
        <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
          <Field label="Company name" errors={errors.name} className="sm:col-span-2">
            {(props) => <Input {...props} value={form.name} onChange={set('name')} maxLength={200} autoComplete="organization" required />}
          </Field>
          <Field label="About the company" errors={errors.description} hint="What you grow, make or buy; up to 2,000 characters." className="sm:col-span-2">
            {(props) => <Textarea {...props} value={form.description} onChange={set('description')} maxLength={2000} rows={4} />}
          </Field>
          <Field label="Website" errors={errors.website} hint="Starting with https://">
            {(props) => <Input {...props} type="url" inputMode="url" value={form.website} onChange={set('website')} placeholder="https://" autoComplete="url" />}
          </Field>
          <Field label="Phone" errors={errors.phone} hint="With the country code, e.g. +34 950 123 456">
            {(props) => <Input {...props} type="tel" value={form.phone} onChange={set('phone')} autoComplete="tel" />}
          </Field>
        </div>

        <fieldset className="space-y-4">
          <legend className="text-base font-semibold text-slate-900">Address</legend>
          <p className="text-xs text-slate-600">Leave every address field empty to remove the address.</p>
          <FieldsetErrors messages={errors.address} />
          <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
            <Field label="Street and number" errors={errors['address.line1']} className="sm:col-span-2">
              {(props) => <Input {...props} value={form.line1} onChange={set('line1')} autoComplete="address-line1" />}
            </Field>
            <Field label="Address line 2 (optional)" errors={errors['address.line2']} className="sm:col-span-2">
              {(props) => <Input {...props} value={form.line2} onChange={set('line2')} autoComplete="address-line2" />}
            </Field>
            <Field label="Postal code" errors={errors['address.postalCode']}>
              {(props) => <Input {...props} value={form.postalCode} onChange={set('postalCode')} autoComplete="postal-code" />}
            </Field>
            <Field label="City" errors={errors['address.city']}>
              {(props) => <Input {...props} value={form.city} onChange={set('city')} autoComplete="address-level2" />}
            </Field>
            <Field
              label="Country code"
              errors={errors['address.country']}
              hint={form.country.length === 2 ? countryName(form.country.toUpperCase()) : 'Two letters, e.g. ES, DE, US'}
            >
              {(props) => (
                <Input
                  {...props}
                  value={form.country}
                  onChange={(event) => set('country')({ target: { value: event.target.value.toUpperCase() } })}
                  maxLength={2}
                  autoComplete="country"
                  className="uppercase"
                />
              )}
            </Field>
          </div>
        </fieldset>

        <CheckboxGrid legend="Markets served" hint="The compliance markets you sell into or buy for." errors={errors.marketsServed}>
          {KNOWN_MARKETS.map((market) => (
            <Checkbox key={market.code} checked={form.markets.includes(market.code)} onChange={toggle('markets', market.code)}>
              {market.label}
            </Checkbox>
          ))}
        </CheckboxGrid>
        <Field label="Other markets" hint="Further country codes, separated by commas, e.g. CH, NO" className="max-w-md">
          {(props) => <Input {...props} value={form.otherMarkets} onChange={set('otherMarkets')} />}
        </Field>

        <CheckboxGrid legend="Product categories" hint="What your company deals in." errors={errors.categories}>
          {categories.isPending ? <Spinner label="Loading categories…" className="py-2" /> : null}
          {categories.error ? <ErrorNotice error={categories.error} title="The categories could not be loaded" onRetry={() => void categories.refetch()} /> : null}
          {groups.map((group) => (
            <Checkbox key={group.slug} checked={form.categories.includes(group.slug)} onChange={toggle('categories', group.slug)}>
              {group.label}
            </Checkbox>
          ))}
          {extraCategories.map((slug) => (
            <Checkbox key={slug} checked onChange={toggle('categories', slug)}>
              {categories.data?.labels.get(slug) ?? label(slug)}
            </Checkbox>
          ))}
        </CheckboxGrid>

        {unchanged ? <Notice tone="info">Nothing to save: no field was changed.</Notice> : null}
        {save.error && (unplaced.length || Object.keys(errors).length === 0) ? <ErrorNotice error={save.error} title="The profile was not saved" /> : null}
        {save.error && unplaced.length ? (
          <ul className="list-disc pl-5 text-sm text-red-700">
            {unplaced.map((message) => (
              <li key={message}>{message}</li>
            ))}
          </ul>
        ) : null}
        {save.error && !unplaced.length && Object.keys(errors).length > 0 ? (
          <p className="text-sm text-red-700" role="alert">
            The profile was not saved: check the fields marked above.
          </p>
        ) : null}
        <div className="flex flex-col-reverse gap-2 sm:flex-row">
          <Button type="button" variant="secondary" onClick={() => onDone(false)} disabled={save.isPending}>
            Cancel
          </Button>
          <Button type="submit" busy={save.isPending}>
            Save profile
          </Button>
        </div>
      </form>
    </Card>
  );
}
