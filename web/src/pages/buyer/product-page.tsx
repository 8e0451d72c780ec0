import { Link, useParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import { useUser } from '@/auth/use-session';
import { Button } from '@/components/ui/button';
import { ErrorNotice, Spinner } from '@/components/ui/feedback';
import { Badge, Card, PageHeader, TableWrap } from '@/components/ui/layout';
import { label, money, quantity } from '@/lib/format';
import { categoryLabel, countryName } from './search-page';

export function ProductPage() {
  const { id = '' } = useParams();
  const user = useUser();
  const product = useQuery({
    queryKey: ['products', 'detail', id],
    queryFn: async () => unwrap(await api.GET('/api/v1/products/{id}', { params: { path: { id } } })),
  });
  const supplierId = product.data?.supplierCompanyId;
  const supplier = useQuery({
    queryKey: ['companies', 'detail', supplierId],
    queryFn: async () => unwrap(await api.GET('/api/v1/companies/{id}', { params: { path: { id: supplierId! } } })),
    enabled: Boolean(supplierId),
  });
  const categories = useQuery({
    queryKey: ['products', 'categories'],
    queryFn: async () => unwrap(await api.GET('/api/v1/categories')),
    staleTime: Infinity,
  });

  if (product.isPending) return <Spinner label="Loading the product…" />;
  if (product.error) return <ErrorNotice error={product.error} onRetry={() => void product.refetch()} title="This product could not be loaded" />;
  const p = product.data;
  const tiers = [...p.priceTiers].sort((a, b) => a.minQuantity - b.minQuantity);
  const ownProduct = user.companyId === p.supplierCompanyId;
  return (
    <div className="space-y-6">
      <PageHeader
        title={p.name}
        description={<>SKU {p.sku} · {categoryLabel(categories.data, p.category)}</>}
        actions={
          user.role === 'buyer' ? (
            <Button asChild>
              <Link to={`/rfqs/new?product=${encodeURIComponent(p.id)}`}>Request a quote</Link>
            </Button>
          ) : ownProduct ? (
            <Button asChild variant="secondary">
              <Link to={`/products/${p.id}/edit`}>Edit product</Link>
            </Button>
          ) : undefined
        }
      />
      <div className="grid gap-6 lg:grid-cols-[2fr_1fr]">
        <div className="space-y-6">
          {p.description ? (
            <Card>
              <h2 className="mb-2 text-lg font-semibold">Description</h2>
              <p className="whitespace-pre-line text-sm text-slate-800">{p.description}</p>
            </Card>
          ) : null}
          <section aria-labelledby="tiers-heading">
            <h2 id="tiers-heading" className="mb-2 text-lg font-semibold">Price tiers</h2>
            <TableWrap label="Price tiers">
              <thead className="bg-slate-50">
                <tr>
                  <th scope="col">From quantity</th>
                  <th scope="col">Unit price</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {tiers.map((tier) => (
                  <tr key={tier.minQuantity}>
                    <td>{quantity(tier.minQuantity, p.unit)}</td>
                    <td>{money(tier.unitPrice, tier.currency)} / {p.unit}</td>
                  </tr>
                ))}
              </tbody>
            </TableWrap>
            <p className="mt-2 text-sm text-slate-700">Minimum order: {quantity(p.moq, p.unit)}</p>
          </section>
        </div>
        <div className="space-y-6">
          <Card>
            <h2 className="mb-3 text-lg font-semibold">Details</h2>
            <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
              <dt className="text-slate-600">Origin</dt>
              <dd>{countryName(p.originCountry)}</dd>
              <dt className="text-slate-600">Storage</dt>
              <dd>{label(p.storage)}</dd>
              <dt className="text-slate-600">Unit</dt>
              <dd>{p.unit}</dd>
              <dt className="text-slate-600">Allergens</dt>
              <dd>{p.allergens.length ? p.allergens.map(label).join(', ') : 'None declared'}</dd>
              <dt className="text-slate-600">Certifications</dt>
              <dd className="flex flex-wrap gap-1">
                {p.certifications.length ? p.certifications.map((c) => <Badge key={c} tone="blue">{c.replace(/_/g, ' ')}</Badge>) : 'None claimed'}
              </dd>
            </dl>
          </Card>
          <Card>
            <h2 className="mb-2 text-lg font-semibold">Supplier</h2>
            {supplier.isPending ? <Spinner label="Loading the supplier…" className="py-2" /> : null}
            {supplier.error ? <ErrorNotice error={supplier.error} title="The supplier could not be loaded" /> : null}
            {supplier.data ? (
              <div className="space-y-1 text-sm">
                <Link to={`/companies/${supplier.data.id}`} className="font-medium underline-offset-2 hover:underline">
                  {supplier.data.name}
                </Link>{' '}
                {supplier.data.verified ? <Badge tone="green">Verified</Badge> : <Badge tone="amber">Not verified yet</Badge>}
                {'country' in supplier.data && typeof supplier.data.country === 'string' ? <p className="text-slate-700">{countryName(supplier.data.country)}</p> : null}
              </div>
            ) : null}
          </Card>
        </div>
      </div>
    </div>
  );
}
