import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Search } from 'lucide-react';
import { api, unwrap, unwrapPage } from '@/api/client';
import { Button } from '@/components/ui/button';
import { Pager } from '@/components/ui/pager';
import { EmptyState, ErrorNotice, Spinner } from '@/components/ui/feedback';
import { Field, Input, Select } from '@/components/ui/field';
import { Badge, PageHeader } from '@/components/ui/layout';
import { label, money } from '@/lib/format';
import { cn } from '@/lib/cn';
import { paramsFromState, queryFromState, stateFromParams, toggle, type SearchState } from './search-params';

/** How long typing must pause before the search runs (keeps a query per word, not per key). */
const DEBOUNCE_MS = 250;

const SORT_LABELS: Record<SearchState['sort'], string> = {
  relevance: 'Best match',
  price_asc: 'Price, lowest first',
  price_desc: 'Price, highest first',
  newest: 'Newest',
};

export function SearchPage() {
  const [params, setParams] = useSearchParams();
  const state = stateFromParams(params);
  const [text, setText] = useState(state.q);

  // The address bar is the source of truth; typing reaches it after a pause.
  useEffect(() => {
    if (text.trim() === state.q.trim()) return;
    const timer = setTimeout(() => setParams(paramsFromState({ ...state, q: text, page: 1 }), { replace: true }), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, state, setParams]);
  // Back/forward changes the address: the box follows it.
  useEffect(() => setText(state.q), [state.q]);

  const update = (next: SearchState) => setParams(paramsFromState(next));
  const query = queryFromState(state);
  const results = useQuery({
    queryKey: ['products', 'search', query],
    queryFn: async () => unwrapPage(await api.GET('/api/v1/products', { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const categories = useQuery({
    queryKey: ['products', 'categories'],
    queryFn: async () => unwrap(await api.GET('/api/v1/categories')),
    staleTime: Infinity,
  });
  const categoryName = (value: string) => categoryLabel(categories.data, value);

  const facets = results.data?.facets;
  return (
    <div>
      <PageHeader title="Catalogue" description="Search the products suppliers list on FoodXchange, then ask them for quotes." actions={<Button asChild><Link to="/rfqs/new">New RFQ</Link></Button>} />
      <form role="search" className="mb-4 flex flex-col gap-3 sm:flex-row sm:items-end" onSubmit={(event) => { event.preventDefault(); update({ ...state, q: text, page: 1 }); }}>
        <Field label="Search products" className="flex-1">
          {(props) => (
            <div className="relative">
              <Search className="pointer-events-none absolute top-2.5 left-3 h-4 w-4 text-slate-500" aria-hidden="true" />
              <Input {...props} type="search" className="pl-9" value={text} onChange={(event) => setText(event.target.value)} placeholder="e.g. cherry tomatoes, organic olive oil" maxLength={200} />
            </div>
          )}
        </Field>
        <Field label="Sort by" className="sm:w-56">
          {(props) => (
            <Select {...props} value={state.sort} onChange={(event) => update({ ...state, sort: event.target.value as SearchState['sort'], page: 1 })}>
              {Object.entries(SORT_LABELS).map(([value, name]) => (
                <option key={value} value={value}>{name}</option>
              ))}
            </Select>
          )}
        </Field>
      </form>
      <div className="grid gap-6 lg:grid-cols-[16rem_1fr]">
        <aside aria-label="Filters" className="space-y-5">
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={state.verifiedOnly} onChange={(event) => update({ ...state, verifiedOnly: event.target.checked, page: 1 })} className="h-4 w-4 accent-emerald-700" />
            Verified suppliers only
          </label>
          {state.category ? (
            <div className="text-sm">
              <span className="font-medium">Category:</span> {categoryName(state.category)}{' '}
              <Button variant="link" size="sm" onClick={() => { const { category: _omit, ...rest } = state; update({ ...rest, page: 1 }); }}>Clear</Button>
            </div>
          ) : null}
          {facets ? (
            <>
              <FacetList title="Category" values={facets.category.filter((f) => !f.value.includes('.') || state.category?.split('.')[0] === f.value.split('.')[0])} isOn={(v) => state.category === v} name={categoryName} onToggle={(v) => update(state.category === v ? { ...withoutCategory(state), page: 1 } : { ...state, category: v, page: 1 })} />
              <FacetList title="Certification" values={facets.certification} isOn={(v) => state.certification.includes(v)} name={(v) => v.replace(/_/g, ' ')} onToggle={(v) => update(toggle(state, 'certification', v))} />
              <FacetList title="Origin" values={facets.origin} isOn={(v) => state.origin.includes(v)} name={countryName} onToggle={(v) => update(toggle(state, 'origin', v))} />
              <FacetList title="Storage" values={facets.storage} isOn={(v) => state.storage === v} name={label} onToggle={(v) => update(state.storage === v ? { ...withoutStorage(state), page: 1 } : { ...state, storage: v as SearchState['storage'], page: 1 })} />
            </>
          ) : null}
        </aside>
        <section aria-label="Results" aria-busy={results.isFetching}>
          {results.isPending ? <Spinner label="Searching the catalogue…" /> : null}
          {results.error ? <ErrorNotice error={results.error} onRetry={() => void results.refetch()} title="The search did not run" /> : null}
          {results.data ? (
            <>
              <p className="mb-3 text-sm text-slate-700" aria-live="polite">
                {results.data.pagination.total.toLocaleString()} {results.data.pagination.total === 1 ? 'product' : 'products'}
                {state.q ? <> for “{state.q}”</> : null}
                {results.isFetching ? ' · updating…' : ''}
              </p>
              {results.data.data.length === 0 ? (
                <EmptyState title="No products match" action={<Button variant="secondary" onClick={() => setParams(new URLSearchParams())}>Clear search and filters</Button>}>
                  Try fewer words or filters. You can still post an RFQ: suppliers who do not list the product yet may quote.
                </EmptyState>
              ) : (
                <ul className={cn('grid gap-3 sm:grid-cols-2 xl:grid-cols-3', results.isFetching && 'opacity-70')}>
                  {results.data.data.map((product) => (
                    <li key={product.id} className="flex flex-col rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
                      <Link to={`/products/${product.id}`} className="font-medium text-slate-900 underline-offset-2 hover:underline">
                        {product.name}
                      </Link>
                      <p className="text-sm text-slate-600">
                        {product.supplierName ?? 'Supplier'} {product.supplierVerified ? <Badge tone="green">Verified</Badge> : null}
                      </p>
                      <p className="mt-2 text-sm text-slate-700">
                        {categoryName(product.category)} · {countryName(product.originCountry)}
                        {product.storage ? ` · ${label(product.storage)}` : ''}
                      </p>
                      <p className="mt-auto pt-3 text-sm">
                        from <span className="font-semibold">{money(product.priceFrom, product.currency)}</span> / {product.unit} · MOQ {product.moq.toLocaleString()} {product.unit}
                      </p>
                      {product.certifications.length ? (
                        <p className="mt-2 flex flex-wrap gap-1">
                          {product.certifications.map((c) => <Badge key={c} tone="blue">{c.replace(/_/g, ' ')}</Badge>)}
                        </p>
                      ) : null}
                    </li>
                  ))}
                </ul>
              )}
              <Pager page={state.page} pagination={results.data.pagination} onPage={(page) => update({ ...state, page })} label="Result pages" />
            </>
          ) : null}
        </section>
      </div>
    </div>
  );
}

function withoutCategory({ category: _omit, ...rest }: SearchState): SearchState {
  return rest;
}
function withoutStorage({ storage: _omit, ...rest }: SearchState): SearchState {
  return rest;
}

function FacetList({ title, values, isOn, name, onToggle }: { title: string; values: { value: string; count: number }[]; isOn: (v: string) => boolean; name: (v: string) => string; onToggle: (v: string) => void }) {
  if (values.length === 0) return null;
  return (
    <fieldset>
      <legend className="mb-2 text-sm font-semibold text-slate-900">{title}</legend>
      <ul className="space-y-1">
        {values.slice(0, 12).map((facet) => (
          <li key={facet.value}>
            <label className="flex items-center gap-2 text-sm text-slate-800">
              <input type="checkbox" checked={isOn(facet.value)} onChange={() => onToggle(facet.value)} className="h-4 w-4 accent-emerald-700" />
              <span className="flex-1">{name(facet.value)}</span>
              <span className="text-xs text-slate-600">{facet.count}</span>
            </label>
          </li>
        ))}
      </ul>
    </fieldset>
  );
}

const regionNames = typeof Intl.DisplayNames === 'function' ? new Intl.DisplayNames(undefined, { type: 'region' }) : undefined;
export function countryName(code: string): string {
  try {
    return regionNames?.of(code) ?? code;
  } catch {
    return code;
  }
}

type CategoryTree = { slug: string; label: string; children: { slug: string; label: string }[] }[];
/** The category's display name from GET /categories, or a readable form of its path. */
export function categoryLabel(tree: CategoryTree | undefined, value: string): string {
  for (const group of tree ?? []) {
    if (group.slug === value) return group.label;
    for (const leaf of group.children) if (leaf.slug === value) return `${group.label} › ${leaf.label}`;
  }
  return value.split('.').map(label).join(' › ');
}
