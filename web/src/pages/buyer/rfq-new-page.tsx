import { useEffect, useRef, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Plus, Trash2 } from 'lucide-react';
import { api, unwrap } from '@/api/client';
import { fieldErrors } from '@/api/errors';
import { Button } from '@/components/ui/button';
import { ErrorNotice } from '@/components/ui/feedback';
import { Field, Input, Select, Textarea } from '@/components/ui/field';
import { Card, PageHeader } from '@/components/ui/layout';
import { CERTIFICATIONS, type Certification } from './types';
import { mapApiErrors, newRow, toBody, validate, type FormErrors, type ItemRow, type RfqFormState } from './rfq-form';

const UNITS = ['kg', 't', 'g', 'l', 'piece', 'box', 'case', 'crate', 'pallet', 'dozen'];

function initialState(): RfqFormState {
  const inThreeWeeks = new Date(Date.now() + 21 * 86_400_000).toISOString().slice(0, 10);
  const inAWeek = new Date(Date.now() + 7 * 86_400_000);
  inAWeek.setMinutes(0, 0, 0);
  // datetime-local wants the local wall-clock time without a zone.
  const local = new Date(inAWeek.getTime() - inAWeek.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  return { title: '', deliveryCountry: '', deliveryDate: inThreeWeeks, responseDeadline: local, requiredCertifications: [], items: [newRow('r1')] };
}

export function RfqNewPage() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [params] = useSearchParams();
  const productId = params.get('product');
  const [form, setForm] = useState<RfqFormState>(initialState);
  const [errors, setErrors] = useState<FormErrors>({});
  const nextKey = useRef(2);
  const categories = useQuery({
    queryKey: ['products', 'categories'],
    queryFn: async () => unwrap(await api.GET('/api/v1/categories')),
    staleTime: Infinity,
  });
  const seedProduct = useQuery({
    queryKey: ['products', 'detail', productId],
    queryFn: async () => unwrap(await api.GET('/api/v1/products/{id}', { params: { path: { id: productId! } } })),
    enabled: Boolean(productId),
  });
  // "Request a quote" on a product page starts the RFQ with that product as its first item.
  useEffect(() => {
    const p = seedProduct.data;
    if (!p) return;
    setForm((current) => ({
      ...current,
      title: current.title || p.name,
      requiredCertifications: current.requiredCertifications.length ? current.requiredCertifications : p.certifications.filter((c): c is Certification => (CERTIFICATIONS as string[]).includes(c)),
      items: [newRow('r1', { name: p.name, category: p.category, quantity: String(p.moq), unit: p.unit, currency: p.currency })],
    }));
  }, [seedProduct.data]);

  const create = useMutation({
    mutationFn: async (state: RfqFormState) => unwrap(await api.POST('/api/v1/rfqs', { body: toBody(state) })),
    onSuccess: async (rfq) => {
      await queryClient.invalidateQueries({ queryKey: ['rfqs'] });
      navigate(`/rfqs/${rfq.id}`);
    },
    onError: (error) => setErrors(mapApiErrors(fieldErrors(error), form.items)),
  });

  const set = <K extends keyof RfqFormState>(key: K, value: RfqFormState[K]) => setForm((f) => ({ ...f, [key]: value }));
  const setRow = (key: string, patch: Partial<ItemRow>) => setForm((f) => ({ ...f, items: f.items.map((row) => (row.key === key ? { ...row, ...patch } : row)) }));
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    const found = validate(form);
    setErrors(found);
    if (Object.keys(found).length === 0) create.mutate(form);
  };
  const leafCategories = (categories.data ?? []).flatMap((group) => group.children.map((leaf) => ({ group: group.label, ...leaf })));

  return (
    <div>
      <PageHeader title="New request for quotation" description="Suppliers whose catalogue and certificates fit are matched and invited to quote." />
      <form onSubmit={submit} noValidate className="space-y-6">
        {create.error && !Object.keys(fieldErrors(create.error)).length ? <ErrorNotice error={create.error} title="The RFQ was not posted" /> : null}
        {errors.form ? <ErrorNotice error={new Error(errors.form.join(' '))} title="The RFQ was not posted" /> : null}
        <Card className="grid gap-4 sm:grid-cols-2">
          <Field label="Title" errors={errors.title} className="sm:col-span-2">
            {(props) => <Input {...props} value={form.title} onChange={(e) => set('title', e.target.value)} maxLength={300} placeholder="e.g. Cherry tomatoes for the spring season" />}
          </Field>
          <Field label="Delivery country" errors={errors.deliveryCountry} hint="Two-letter code, e.g. DE. It decides the market whose rules apply.">
            {(props) => <Input {...props} value={form.deliveryCountry} onChange={(e) => set('deliveryCountry', e.target.value.toUpperCase())} maxLength={2} autoComplete="country" />}
          </Field>
          <Field label="Delivery date" errors={errors.deliveryDate}>
            {(props) => <Input {...props} type="date" value={form.deliveryDate} onChange={(e) => set('deliveryDate', e.target.value)} />}
          </Field>
          <Field label="Quotes due by" errors={errors.responseDeadline} hint="Your local time">
            {(props) => <Input {...props} type="datetime-local" value={form.responseDeadline} onChange={(e) => set('responseDeadline', e.target.value)} />}
          </Field>
          <fieldset className="sm:col-span-2">
            <legend className="mb-2 text-sm font-medium text-slate-800">Required certifications</legend>
            <div className="flex flex-wrap gap-x-4 gap-y-2">
              {CERTIFICATIONS.map((c) => (
                <label key={c} className="flex items-center gap-2 text-sm">
                  <input
                    type="checkbox"
                    className="h-4 w-4 accent-emerald-700"
                    checked={form.requiredCertifications.includes(c)}
                    onChange={(e) => set('requiredCertifications', e.target.checked ? [...form.requiredCertifications, c] : form.requiredCertifications.filter((x) => x !== c))}
                  />
                  {c.replace(/_/g, ' ')}
                </label>
              ))}
            </div>
            {errors.requiredCertifications ? <p className="mt-1 text-sm text-red-700" role="alert">{errors.requiredCertifications.join(' ')}</p> : null}
          </fieldset>
        </Card>
        <section aria-labelledby="items-heading" className="space-y-3">
          <h2 id="items-heading" className="text-lg font-semibold">Items</h2>
          {errors.items ? <p className="text-sm text-red-700" role="alert">{errors.items.join(' ')}</p> : null}
          {form.items.map((row, index) => {
            const at = `items.${row.key}`;
            return (
              <Card key={row.key} className="grid gap-3 sm:grid-cols-6" aria-label={`Item ${index + 1}`} role="group">
                <Field label={`Item ${index + 1} name`} errors={errors[`${at}.name`]} className="sm:col-span-3">
                  {(props) => <Input {...props} value={row.name} onChange={(e) => setRow(row.key, { name: e.target.value })} maxLength={200} />}
                </Field>
                <Field label={`Item ${index + 1} category`} errors={errors[`${at}.category`]} className="sm:col-span-3">
                  {(props) => (
                    <Select {...props} value={row.category} onChange={(e) => setRow(row.key, { category: e.target.value })}>
                      <option value="">Choose a category</option>
                      {(categories.data ?? []).map((group) => (
                        <optgroup key={group.slug} label={group.label}>
                          {group.children.map((leaf) => <option key={leaf.slug} value={leaf.slug}>{leaf.label}</option>)}
                        </optgroup>
                      ))}
                      {row.category && !leafCategories.some((c) => c.slug === row.category) ? <option value={row.category}>{row.category}</option> : null}
                    </Select>
                  )}
                </Field>
                <Field label={`Item ${index + 1} quantity`} errors={errors[`${at}.quantity`]} className="sm:col-span-2">
                  {(props) => <Input {...props} inputMode="decimal" value={row.quantity} onChange={(e) => setRow(row.key, { quantity: e.target.value })} />}
                </Field>
                <Field label={`Item ${index + 1} unit`} errors={errors[`${at}.unit`]} className="sm:col-span-1">
                  {(props) => (
                    <Select {...props} value={row.unit} onChange={(e) => setRow(row.key, { unit: e.target.value })}>
                      {[...new Set([row.unit, ...UNITS])].filter(Boolean).map((u) => <option key={u} value={u}>{u}</option>)}
                    </Select>
                  )}
                </Field>
                <Field label={`Item ${index + 1} target unit price (optional)`} errors={errors[`${at}.targetUnitPrice`]} className="sm:col-span-2">
                  {(props) => <Input {...props} inputMode="decimal" value={row.targetUnitPrice} onChange={(e) => setRow(row.key, { targetUnitPrice: e.target.value })} />}
                </Field>
                <Field label={`Item ${index + 1} currency`} errors={errors[`${at}.currency`]} className="sm:col-span-1">
                  {(props) => <Input {...props} value={row.currency} maxLength={3} onChange={(e) => setRow(row.key, { currency: e.target.value.toUpperCase() })} />}
                </Field>
                <Field label={`Item ${index + 1} notes (optional)`} errors={errors[`${at}.description`]} className="sm:col-span-5">
                  {(props) => <Textarea {...props} className="min-h-10" value={row.description} maxLength={300} onChange={(e) => setRow(row.key, { description: e.target.value })} />}
                </Field>
                <div className="flex items-end sm:col-span-1">
                  <Button type="button" variant="ghost" disabled={form.items.length === 1} onClick={() => set('items', form.items.filter((r) => r.key !== row.key))} aria-label={`Remove item ${index + 1}`}>
                    <Trash2 className="h-4 w-4" aria-hidden="true" /> Remove
                  </Button>
                </div>
              </Card>
            );
          })}
          <Button type="button" variant="secondary" onClick={() => set('items', [...form.items, newRow(`r${nextKey.current++}`)])}>
            <Plus className="h-4 w-4" aria-hidden="true" /> Add item
          </Button>
        </section>
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" size="lg" busy={create.isPending}>Post RFQ</Button>
          {Object.keys(errors).length ? <p className="text-sm text-red-700" role="status">Some fields need attention: see the messages above.</p> : null}
        </div>
      </form>
    </div>
  );
}
