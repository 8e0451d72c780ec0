import { createBrowserRouter, Link, type RouteObject } from 'react-router';
import { HomeRedirect, RequireRole } from '@/auth/guards';
import { Shell } from '@/layout/shell';
import { LoginPage } from '@/pages/account/login';
import { RegisterPage } from '@/pages/account/register';
import { NotificationsPage } from '@/pages/notifications/notifications-page';
import { EmptyState, Spinner } from '@/components/ui/feedback';
import { buyerRoutes } from '@/pages/buyer/routes';
import { supplierRoutes } from '@/pages/supplier/routes';
import { adminRoutes } from '@/pages/admin/routes';
import { companyRoutes } from '@/pages/company/routes';
import { orderRoutes } from '@/pages/orders/routes';
import { RouteError } from '@/pages/route-error';

function NotFound() {
  return (
    <EmptyState title="This page does not exist" action={<Link to="/" className="text-sm font-medium text-emerald-800 underline">Go to your start page</Link>}>
      The address may be mistyped, or the page has moved.
    </EmptyState>
  );
}

const signedIn: RouteObject = {
  element: (
    <RequireRole>
      <Shell />
    </RequireRole>
  ),
  errorElement: <RouteError />,
  // Shown while a lazy page's code arrives on the first load.
  hydrateFallbackElement: <Spinner label="Loading…" className="justify-center" />,
  children: [
    { path: '/notifications', element: <NotificationsPage /> },
    ...buyerRoutes,
    ...supplierRoutes,
    ...adminRoutes,
    ...companyRoutes,
    ...orderRoutes,
    { path: '*', element: <NotFound /> },
  ],
};

export const router = createBrowserRouter([
  { path: '/', element: <HomeRedirect />, errorElement: <RouteError /> },
  { path: '/login', element: <LoginPage />, errorElement: <RouteError /> },
  { path: '/register', element: <RegisterPage />, errorElement: <RouteError /> },
  signedIn,
]);
