import { useId, useMemo, useState, type FormEvent } from 'react';
import { Link, useLocation } from 'react-router';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import * as Dialog from '@radix-ui/react-dialog';
import { Plus, Search, X } from 'lucide-react';
import { api, unwrap, unwrapPage } from '@/api/client';
import { RequireRole } from '@/auth/guards';
import { Button } from '@/components/ui/button';
import { EmptyState, ErrorNotice, Notice, Spinner } from '@/components/ui/feedback';
import { Input } from '@/components/ui/field';
import { Badge, PageHeader, TableWrap } from '@/components/ui/layout';
import { date, label as labelOf, money, quantity } from '@/lib/format';
import { priceFrom, type ProductView } from './product-form';

const PAGE_SIZE = 20;

/** /products: the supplier's own products (from the database, not search), to edit or delete. */
export function MyProductsPage() {
  return (
    <RequireRole roles={['supplier']}>
      <MyProducts />
    </RequireRole>
  );
}

function NewProductButton() {
  return (
    <Button asChild>
      <Link to="/products/new">
        <Plus className="h-4 w-4" aria-hidden="true" />
        New product
      </Link>
    </Button>
  );
}

function MyProducts() {
  const location = useLocation();
  const queryClient = useQueryClient();
  const [page, setPage] = useState(1);
  const [draft, setDraft] = useState('');
  const [q, setQ] = useState('');
  const [deleting, setDeleting] = useState<ProductView | null>(null);
  const [deletedName, setDeletedName] = useState<string | null>(null);
  const searchId = useId();
  const saved = (location.state as { saved?: string; unchanged?: boolean } | null) ?? null;

  const list = useQuery({
    queryKey: ['products', 'mine', page, q],
    queryFn: async () => unwrapPage(await api.GET('/api/v1/products/mine', { params: { query: { page, limit: PAGE_SIZE, ...(q ? { q } : {}) } } })),
    placeholderData: keepPreviousData,
  });
  const categories = useQuery({
    queryKey: ['products', 'categories'],
    queryFn: async () => unwrap(await api.GET('/api/v1/categories')),
    staleTime: 60 * 60 * 1000,
  });
  const categoryLabels = useMemo(() => {
    const labels = new Map<string, string>();
    for (const group of categories.data ?? []) for (const leaf of group.children) labels.set(leaf.slug, `${group.label} · ${leaf.label}`);
    return labels;
  }, [categories.data]);

  const remove = useMutation({
    mutationFn: async (product: ProductView) => unwrap(await api.DELETE('/api/v1/products/{id}', { params: { path: { id: product.id } } })),
    onSuccess: async (_result, product) => {
      setDeleting(null);
      setDeletedName(product.name);
      // The last product of a page going away: show the page before it.
      if (list.data && list.data.data.length === 1 && page > 1) setPage(page - 1);
      await queryClient.invalidateQueries({ queryKey: ['products'] });
    },
  });

  const search = (event: FormEvent) => {
    event.preventDefault();
    setQ(draft.trim());
    setPage(1);
  };
  const clearSearch = () => {
    setDraft('');
    setQ('');
    setPage(1);
  };

  const items = list.data?.data ?? [];
  const total = list.data?.pagination.total;

  return (
    <div>
      <PageHeader
        title="My products"
        description={
          total === undefined
            ? 'The products your company lists'
            : q
              ? `${total} product${total === 1 ? '' : 's'} matching “${q}”`
              : `${total} product${total === 1 ? '' : 's'} listed by your company`
        }
        actions={<NewProductButton />}
      />

      {saved?.saved && !deletedName ? <Notice tone="success">{saved.unchanged ? `Nothing changed in “${saved.saved}”.` : `Saved “${saved.saved}”.`}</Notice> : null}
      {deletedName ? <Notice tone="success">Deleted “{deletedName}”.</Notice> : null}

      <form onSubmit={search} role="search" className="my-4 flex flex-col gap-2 sm:flex-row sm:items-end">
        <div className="flex-1 space-y-1">
          <label htmlFor={searchId} className="block text-sm font-medium text-slate-800">
            Search my products
          </label>
          <Input id={searchId} type="search" value={draft} maxLength={100} placeholder="Name or SKU" onChange={(e) => setDraft(e.target.value)} />
        </div>
        <div className="flex gap-2">
          <Button type="submit" variant="secondary">
            <Search className="h-4 w-4" aria-hidden="true" />
            Search
          </Button>
          {q ? (
            <Button type="button" variant="ghost" onClick={clearSearch}>
              <X className="h-4 w-4" aria-hidden="true" />
              Clear search
            </Button>
          ) : null}
        </div>
      </form>

      {list.isPending ? <Spinner label="Loading your products…" /> : null}
      {list.error ? <ErrorNotice error={list.error} onRetry={() => void list.refetch()} /> : null}
      {list.data && items.length === 0 && !q ? (
        <EmptyState title="List your first product" action={<NewProductButton />}>
          Buyers find your products in the catalogue and RFQs are matched to them. Add one with its prices by quantity.
        </EmptyState>
      ) : null}
      {list.data && items.length === 0 && q ? (
        <EmptyState title={`No product matches “${q}”`} action={<Button variant="secondary" onClick={clearSearch}>Clear search</Button>}>
          Search looks at product names and SKUs.
        </EmptyState>
      ) : null}

      {items.length > 0 ? (
        <TableWrap label="My products">
          <thead className="bg-slate-50 [&_th]:whitespace-nowrap">
            <tr>
              <th scope="col">Product</th>
              <th scope="col">Category</th>
              <th scope="col">Status</th>
              <th scope="col">Price from</th>
              <th scope="col">MOQ</th>
              <th scope="col">Updated</th>
              {/* relative: the visually hidden text stays inside the scrolling table on a phone */}
              <th scope="col" className="relative">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-200" aria-busy={list.isFetching || undefined}>
            {items.map((product) => {
              const from = priceFrom(product);
              const nameId = `product-${product.id}-name`;
              return (
                <tr key={product.id}>
                  <td className="min-w-48">
                    <p id={nameId} className="font-medium text-slate-900">
                      {product.name}
                    </p>
                    <p className="text-xs text-slate-600">SKU {product.sku}</p>
                  </td>
                  <td className="min-w-36 text-slate-700">{categoryLabels.get(product.category) ?? labelOf(product.category.split('.').pop() ?? product.category)}</td>
                  <td>
                    <Badge tone={product.status === 'active' ? 'green' : 'neutral'}>{product.status === 'active' ? 'Listed' : labelOf(product.status)}</Badge>
                  </td>
                  <td className="whitespace-nowrap">{from ? `${money(from.amount, from.currency)} / ${product.unit}` : '—'}</td>
                  <td className="whitespace-nowrap">{quantity(product.moq, product.unit)}</td>
                  <td className="whitespace-nowrap text-slate-700">{date(product.updatedAt)}</td>
                  <td>
                    <div className="flex justify-end gap-1">
                      <Button asChild variant="secondary" size="sm">
                        <Link to={`/products/${encodeURIComponent(product.id)}/edit`} aria-describedby={nameId}>
                          Edit
                        </Link>
                      </Button>
                      <Button
                        variant="ghost"
                        size="sm"
                        className="whitespace-nowrap text-red-800 hover:bg-red-50"
                        aria-describedby={nameId}
                        onClick={() => {
                          remove.reset();
                          setDeleting(product);
                        }}
                      >
                        Delete product
                      </Button>
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </TableWrap>
      ) : null}

      {list.data && list.data.pagination.totalPages > 1 ? (
        <nav className="mt-4 flex items-center justify-between" aria-label="Pages">
          <Button variant="secondary" disabled={!list.data.pagination.hasPrev} onClick={() => setPage(page - 1)}>
            Previous
          </Button>
          <span className="text-sm text-slate-700">
            Page {page} of {list.data.pagination.totalPages}
          </span>
          <Button variant="secondary" disabled={!list.data.pagination.hasNext} onClick={() => setPage(page + 1)}>
            Next
          </Button>
        </nav>
      ) : null}

      <Dialog.Root
        open={deleting !== null}
        onOpenChange={(open) => {
          if (!open && !remove.isPending) setDeleting(null);
        }}
      >
        <Dialog.Portal>
          <Dialog.Overlay className="fixed inset-0 z-40 bg-slate-900/40" />
          <Dialog.Content className="fixed top-1/2 left-1/2 z-50 max-h-[90vh] w-[calc(100vw-2rem)] max-w-md -translate-x-1/2 -translate-y-1/2 overflow-y-auto rounded-lg bg-white p-6 shadow-xl">
            <Dialog.Title className="text-lg font-semibold text-slate-900">Delete this product?</Dialog.Title>
            <Dialog.Description className="mt-2 text-sm text-slate-700">
              “{deleting?.name}” (SKU {deleting?.sku}) leaves the catalogue: buyers no longer find it and new RFQs are not matched to it. Its SKU becomes free for a new product.
            </Dialog.Description>
            {remove.error ? (
              <div className="mt-4">
                <ErrorNotice error={remove.error} title="The product could not be deleted" />
              </div>
            ) : null}
            <div className="mt-5 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
              <Dialog.Close asChild>
                <Button variant="secondary" disabled={remove.isPending}>
                  Cancel
                </Button>
              </Dialog.Close>
              <Button variant="danger" busy={remove.isPending} onClick={() => deleting && remove.mutate(deleting)}>
                Delete product
              </Button>
            </div>
          </Dialog.Content>
        </Dialog.Portal>
      </Dialog.Root>
    </div>
  );
}
