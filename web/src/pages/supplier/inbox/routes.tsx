import type { RouteObject } from 'react-router';
import { RequireRole } from '@/auth/guards';

function suppliersOnly(Page: () => React.ReactNode) {
  return {
    Component: () => (
      <RequireRole roles={['supplier']}>
        <Page />
      </RequireRole>
    ),
  };
}

/** The supplier's RFQ inbox and quote pages. */
export const inboxRoutes: RouteObject[] = [
  { path: '/inbox', lazy: async () => suppliersOnly((await import('./inbox-page')).InboxPage) },
  { path: '/inbox/:rfqId', lazy: async () => suppliersOnly((await import('./inbox-rfq-page')).InboxRfqPage) },
];
