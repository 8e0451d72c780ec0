import { useEffect, useId, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Plus, Trash2 } from 'lucide-react';
import { api, unwrap } from '@/api/client';
import { RequireRole } from '@/auth/guards';
import { useUser } from '@/auth/use-session';
import { Button } from '@/components/ui/button';
import { EmptyState, ErrorNotice, Spinner } from '@/components/ui/feedback';
import { Field, Input, Select, Textarea } from '@/components/ui/field';
import { Card, PageHeader } from '@/components/ui/layout';
import { label as labelOf } from '@/lib/format';
import { cn } from '@/lib/cn';
import { countryOptions } from './countries';
import {
  ALLERGEN_LABELS,
  ALLERGENS,
  CERTIFICATION_LABELS,
  CERTIFICATIONS,
  STORAGE_OPTIONS,
  currencyOptions,
  emptyProductForm,
  hasErrors,
  noErrors,
  productFormFrom,
  saveErrorsOf,
  toProductInput,
  toProductPatch,
  withTierAdded,
  withTierRemoved,
  type ProductFormErrors,
  type ProductFormValues,
  type ProductView,
  type TierField,
  type TierRow,
} from './product-form';

const UNITS = ['kg', 't', 'l', 'case', 'box', 'piece', 'pallet', 'crate', 'bag'];

/** /products/new: a new product for the supplier's company. */
export function NewProductPage() {
  return (
    <RequireRole roles={['supplier']}>
      <PageHeader title="New product" description="List a product for buyers to find. Prices are per unit, in tiers by quantity." />
      <ProductEditor />
    </RequireRole>
  );
}

/** /products/:id/edit: change one of the company's products. */
export function EditProductPage() {
  return (
    <RequireRole roles={['supplier']}>
      <EditProduct />
    </RequireRole>
  );
}

function EditProduct() {
  const { id = '' } = useParams();
  const user = useUser();
  const product = useQuery({
    queryKey: ['products', 'detail', id],
    queryFn: async () => unwrap(await api.GET('/api/v1/products/{id}', { params: { path: { id } } })),
    enabled: id !== '',
  });
  return (
    <>
      <PageHeader title="Edit product" description={product.data ? `${product.data.name} · sku ${product.data.sku}` : undefined} />
      {product.isPending ? <Spinner label="Loading the product…" /> : null}
      {product.error ? <ErrorNotice error={product.error} onRetry={() => void product.refetch()} /> : null}
      {product.data && product.data.supplierCompanyId !== user.companyId ? (
        <EmptyState title="This product is not one of yours" action={<BackLink />}>
          Only your company&apos;s products can be edited here.
        </EmptyState>
      ) : null}
      {product.data && product.data.supplierCompanyId === user.companyId ? <ProductEditor key={`${product.data.id}-${product.data.version}`} product={product.data} /> : null}
    </>
  );
}

function BackLink() {
  return (
    <Link to="/products" className="text-sm font-medium text-emerald-800 underline">
      Back to my products
    </Link>
  );
}

/** The form itself: a new product without `product`, an edit of it with. */
function ProductEditor({ product }: { product?: ProductView }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<ProductFormValues>(() => (product ? productFormFrom(product) : emptyProductForm()));
  const [errors, setErrors] = useState<ProductFormErrors>(noErrors);
  const summaryRef = useRef<HTMLDivElement>(null);
  const categories = useQuery({
    queryKey: ['products', 'categories'],
    queryFn: async () => unwrap(await api.GET('/api/v1/categories')),
    staleTime: 60 * 60 * 1000,
  });
  const countries = useMemo(() => countryOptions(), []);
  const currencies = useMemo(() => currencyOptions(), []);

  const save = useMutation({
    mutationFn: async (): Promise<ProductView | null> => {
      if (product) {
        const { body, errors: local } = toProductPatch(values, product);
        if (!body) throw local;
        if (Object.keys(body).length === 0) return null;
        return unwrap(await api.PATCH('/api/v1/products/{id}', { params: { path: { id: product.id } }, body }));
      }
      const { body, errors: local } = toProductInput(values);
      if (!body) throw local;
      return unwrap(await api.POST('/api/v1/products', { body }));
    },
    onMutate: () => setErrors(noErrors()),
    onSuccess: async (saved) => {
      await queryClient.invalidateQueries({ queryKey: ['products'] });
      void navigate('/products', { state: { saved: saved?.name ?? product?.name ?? values.name, unchanged: saved === null } });
    },
    onError: (error) => {
      setErrors(isFormErrors(error) ? error : saveErrorsOf(error));
    },
  });

  // After a failed save, the summary at the top takes focus (so screen readers hear it).
  useEffect(() => {
    if (save.isError) summaryRef.current?.focus();
  }, [save.isError, errors]);

  const set = <K extends keyof ProductFormValues>(key: K, value: ProductFormValues[K]) => setValues((current) => ({ ...current, [key]: value }));
  const setTier = (key: string, field: TierField, value: string) =>
    setValues((current) => ({ ...current, priceTiers: current.priceTiers.map((row) => (row.key === key ? { ...row, [field]: value } : row)) }));
  const toggle = <T extends string>(list: readonly T[], item: T, on: boolean): T[] => (on ? [...list.filter((x) => x !== item), item] : list.filter((x) => x !== item));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };

  const failed = save.isError && (hasErrors(errors) || !isFormErrors(save.error));
  const apiFailure = save.error && !isFormErrors(save.error) ? save.error : undefined;

  return (
    <form onSubmit={submit} noValidate className="space-y-6" aria-label={product ? `Edit ${product.name}` : 'New product'}>
      <div ref={summaryRef} tabIndex={-1} className="outline-none">
        {failed ? (
          apiFailure ? (
            <ErrorNotice error={apiFailure} title="The product could not be saved" />
          ) : (
            <ErrorNotice error={new Error('Some fields need attention: see the messages beside them.')} title="The product could not be saved" />
          )
        ) : null}
        {errors.general.length > 0 ? (
          <ul className="mt-2 list-disc space-y-1 pl-5 text-sm text-red-700">
            {errors.general.map((message) => (
              <li key={message}>{message}</li>
            ))}
          </ul>
        ) : null}
      </div>

      <Card className="space-y-4">
        <h2 className="text-lg font-semibold text-slate-900">Product</h2>
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Name" errors={errors.fields.name}>
            {(props) => <Input {...props} value={values.name} maxLength={200} onChange={(e) => set('name', e.target.value)} autoComplete="off" />}
          </Field>
          <Field label="SKU" errors={errors.fields.sku} hint="Your stock-keeping unit, unique among your products">
            {(props) => <Input {...props} value={values.sku} maxLength={64} onChange={(e) => set('sku', e.target.value)} autoComplete="off" />}
          </Field>
        </div>
        <Field label="Description" errors={errors.fields.description} hint="Optional: variety, grade, packaging, harvest">
          {(props) => <Textarea {...props} value={values.description} maxLength={2000} onChange={(e) => set('description', e.target.value)} />}
        </Field>
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Category" errors={errors.fields.category}>
            {(props) =>
              categories.isPending ? (
                <Spinner label="Loading categories…" className="py-2" />
              ) : categories.error ? (
                <ErrorNotice error={categories.error} title="Categories could not be loaded" onRetry={() => void categories.refetch()} />
              ) : (
                <Select {...props} value={values.category} onChange={(e) => set('category', e.target.value)}>
                  <option value="">Choose a category</option>
                  {categories.data.map((group) => (
                    <optgroup key={group.slug} label={group.label}>
                      {group.children.map((leaf) => (
                        <option key={leaf.slug} value={leaf.slug}>
                          {leaf.label}
                        </option>
                      ))}
                    </optgroup>
                  ))}
                </Select>
              )
            }
          </Field>
          <Field label="Origin country" errors={errors.fields.originCountry}>
            {(props) => (
              <Select {...props} value={values.originCountry} onChange={(e) => set('originCountry', e.target.value)}>
                <option value="">Choose a country</option>
                {countries.map((country) => (
                  <option key={country.code} value={country.code}>
                    {country.name} ({country.code})
                  </option>
                ))}
              </Select>
            )}
          </Field>
        </div>
        <div className="grid gap-4 sm:grid-cols-3">
          <Field label="Unit" errors={errors.fields.unit} hint="Unit of measure: kg, t, l, case…">
            {(props) => (
              <>
                <Input {...props} value={values.unit} maxLength={32} list="product-units" onChange={(e) => set('unit', e.target.value)} autoComplete="off" />
                <datalist id="product-units">
                  {UNITS.map((unit) => (
                    <option key={unit} value={unit} />
                  ))}
                </datalist>
              </>
            )}
          </Field>
          <Field label="Minimum order quantity (MOQ)" errors={errors.fields.moq} hint={values.unit ? `In ${values.unit}` : undefined}>
            {(props) => <Input {...props} value={values.moq} inputMode="decimal" onChange={(e) => set('moq', e.target.value)} autoComplete="off" />}
          </Field>
          <Field label="Storage" errors={errors.fields.storage}>
            {(props) => (
              <Select {...props} value={values.storage} onChange={(e) => set('storage', e.target.value)}>
                <option value="">Choose storage</option>
                {STORAGE_OPTIONS.map((option) => (
                  <option key={option} value={option}>
                    {labelOf(option)}
                  </option>
                ))}
              </Select>
            )}
          </Field>
        </div>
      </Card>

      <Card className="space-y-4">
        <PriceTiers
          rows={values.priceTiers}
          errors={errors}
          currencies={currencies}
          unit={values.unit}
          onChange={setTier}
          onAdd={() => set('priceTiers', withTierAdded(values.priceTiers))}
          onRemove={(key) => set('priceTiers', withTierRemoved(values.priceTiers, key))}
        />
      </Card>

      <Card className="space-y-6">
        <CheckboxGroup
          legend="Allergens"
          hint="Tick every allergen the product contains."
          errors={errors.fields.allergens}
          options={ALLERGENS.map((value) => ({ value, label: ALLERGEN_LABELS[value] }))}
          checked={values.allergens}
          onToggle={(value, on) => set('allergens', toggle(values.allergens, value, on))}
        />
        <CheckboxGroup
          legend="Certifications claimed"
          hint="Your company must hold each with a certificate valid today (see your company page)."
          errors={errors.fields.certifications}
          options={CERTIFICATIONS.map((value) => ({ value, label: CERTIFICATION_LABELS[value] }))}
          checked={values.certifications}
          onToggle={(value, on) => set('certifications', toggle(values.certifications, value, on))}
        />
      </Card>

      <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <Button asChild variant="secondary">
          <Link to="/products">Cancel</Link>
        </Button>
        <Button type="submit" busy={save.isPending}>
          Save product
        </Button>
      </div>
    </form>
  );
}

/** What the mutation throws for checks made before sending (not an API failure). */
function isFormErrors(value: unknown): value is ProductFormErrors {
  return typeof value === 'object' && value !== null && 'fields' in value && 'tiers' in value && 'general' in value && !(value instanceof Error);
}

function Messages({ id, messages }: { id: string; messages: string[] | undefined }) {
  if (!messages?.length) return null;
  return (
    <p id={id} className="text-sm text-red-700" role="alert">
      {messages.join(' ')}
    </p>
  );
}

function PriceTiers({
  rows,
  errors,
  currencies,
  unit,
  onChange,
  onAdd,
  onRemove,
}: {
  rows: TierRow[];
  errors: ProductFormErrors;
  currencies: string[];
  unit: string;
  onChange: (key: string, field: TierField, value: string) => void;
  onAdd: () => void;
  onRemove: (key: string) => void;
}) {
  const listErrorId = useId();
  const listErrors = errors.fields.priceTiers;
  return (
    <fieldset className="space-y-3" aria-describedby={listErrors?.length ? listErrorId : undefined}>
      <legend className="text-lg font-semibold text-slate-900">Price tiers</legend>
      <p className="text-sm text-slate-600">
        One row per volume price, smallest quantity first: the first tier must start at or below the MOQ, and all tiers use one currency.
      </p>
      <Messages id={listErrorId} messages={listErrors} />
      <ol className="space-y-3">
        {rows.map((row, index) => (
          <TierRowEditor
            key={row.key}
            row={row}
            index={index}
            errors={errors.tiers[index]}
            currencies={currencies}
            unit={unit}
            onChange={onChange}
            onRemove={rows.length > 1 ? () => onRemove(row.key) : undefined}
          />
        ))}
      </ol>
      <Button type="button" variant="secondary" size="sm" onClick={onAdd} disabled={rows.length >= 20}>
        <Plus className="h-4 w-4" aria-hidden="true" />
        Add price tier
      </Button>
    </fieldset>
  );
}

function TierRowEditor({
  row,
  index,
  errors,
  currencies,
  unit,
  onChange,
  onRemove,
}: {
  row: TierRow;
  index: number;
  errors: ProductFormErrors['tiers'][number] | undefined;
  currencies: string[];
  unit: string;
  onChange: (key: string, field: TierField, value: string) => void;
  onRemove: (() => void) | undefined;
}) {
  const id = useId();
  const n = index + 1;
  const cell = (field: TierField, title: ReactNode, control: (props: { id: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ReactNode) => {
    const messages = errors?.[field];
    const errorId = `${id}-${field}-error`;
    return (
      <div className="space-y-1">
        <label htmlFor={`${id}-${field}`} className="block text-sm font-medium text-slate-800">
          {title}
          <span className="sr-only"> (tier {n})</span>
        </label>
        {control({ id: `${id}-${field}`, 'aria-invalid': Boolean(messages?.length), ...(messages?.length ? { 'aria-describedby': errorId } : {}) })}
        <Messages id={errorId} messages={messages} />
      </div>
    );
  };
  return (
    <li className={cn('rounded-md border border-slate-200 p-3', errors && 'border-red-300')}>
      <div className="mb-2 flex items-center justify-between">
        <span className="text-sm font-medium text-slate-700">Tier {n}</span>
        {onRemove ? (
          <Button type="button" variant="ghost" size="sm" onClick={onRemove} aria-label={`Remove tier ${n}`}>
            <Trash2 className="h-4 w-4" aria-hidden="true" />
            Remove
          </Button>
        ) : null}
      </div>
      <div className="grid gap-3 sm:grid-cols-3">
        {cell('minQuantity', `From quantity${unit ? ` (${unit})` : ''}`, (props) => (
          <Input {...props} value={row.minQuantity} inputMode="decimal" autoComplete="off" onChange={(e) => onChange(row.key, 'minQuantity', e.target.value)} />
        ))}
        {cell('unitPrice', `Unit price${unit ? ` per ${unit}` : ''}`, (props) => (
          <Input {...props} value={row.unitPrice} inputMode="decimal" autoComplete="off" placeholder="e.g. 8.45" onChange={(e) => onChange(row.key, 'unitPrice', e.target.value)} />
        ))}
        {cell('currency', 'Currency', (props) => (
          <Select {...props} value={row.currency} onChange={(e) => onChange(row.key, 'currency', e.target.value)}>
            {!currencies.includes(row.currency) ? <option value={row.currency}>{row.currency || 'Choose'}</option> : null}
            {currencies.map((code) => (
              <option key={code} value={code}>
                {code}
              </option>
            ))}
          </Select>
        ))}
      </div>
      <Messages id={`${id}-row-error`} messages={errors?.row} />
    </li>
  );
}

function CheckboxGroup<T extends string>({
  legend,
  hint,
  errors,
  options,
  checked,
  onToggle,
}: {
  legend: string;
  hint: string;
  errors: string[] | undefined;
  options: Array<{ value: T; label: string }>;
  checked: readonly T[];
  onToggle: (value: T, on: boolean) => void;
}) {
  const id = useId();
  return (
    <fieldset aria-describedby={`${id}-hint${errors?.length ? ` ${id}-error` : ''}`}>
      <legend className="text-base font-semibold text-slate-900">{legend}</legend>
      <p id={`${id}-hint`} className="mb-2 text-sm text-slate-600">
        {hint}
      </p>
      <div className="grid grid-cols-1 gap-2 min-[400px]:grid-cols-2 sm:grid-cols-3">
        {options.map((option) => (
          <label key={option.value} className="flex min-h-8 items-center gap-2 text-sm text-slate-800">
            <input
              type="checkbox"
              className="h-4 w-4 rounded border-slate-400 accent-emerald-700"
              checked={checked.includes(option.value)}
              onChange={(e) => onToggle(option.value, e.target.checked)}
            />
            {option.label}
          </label>
        ))}
      </div>
      <Messages id={`${id}-error`} messages={errors} />
    </fieldset>
  );
}
