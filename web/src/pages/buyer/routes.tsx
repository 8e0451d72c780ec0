import type { RouteObject } from 'react-router';
import { Navigate, useParams } from 'react-router';
import { RequireRole } from '@/auth/guards';
import { useUser } from '@/auth/use-session';

/** The buyer pages, mounted inside the signed-in shell by src/router.tsx (lazy: each page is its own chunk). */
export const buyerRoutes: RouteObject[] = [
  { path: '/search', lazy: async () => ({ Component: (await import('./search-page')).SearchPage }) },
  // Every signed-in role may open a product (suppliers see their own listings this way too).
  { path: '/products/:id', lazy: async () => ({ Component: (await import('./product-page')).ProductPage }) },
  { path: '/rfqs', lazy: async () => buyersOnly((await import('./rfq-list-page')).RfqListPage) },
  { path: '/rfqs/new', lazy: async () => buyersOnly((await import('./rfq-new-page')).RfqNewPage) },
  {
    path: '/rfqs/:id',
    lazy: async () => {
      const { RfqDetailPage } = await import('./rfq-detail-page');
      return { Component: () => <RfqOrInbox Page={RfqDetailPage} /> };
    },
  },
];

function buyersOnly(Page: () => React.ReactNode) {
  return {
    Component: () => (
      <RequireRole roles={['buyer']}>
        <Page />
      </RequireRole>
    ),
  };
}

/** Links to an RFQ (notifications, e-mails) are the same for everyone: a supplier sees it in its inbox. */
function RfqOrInbox({ Page }: { Page: () => React.ReactNode }) {
  const user = useUser();
  const { id = '' } = useParams();
  if (user.role === 'supplier') return <Navigate to={`/inbox/${encodeURIComponent(id)}`} replace />;
  return (
    <RequireRole roles={['buyer']}>
      <Page />
    </RequireRole>
  );
}
