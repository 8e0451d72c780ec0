import type { RouteObject } from 'react-router';

/** The admin dashboard (stats read model charts), lazy: recharts loads with this page only. */
export const dashboardRoutes: RouteObject[] = [
  { path: '/admin', lazy: async () => ({ Component: (await import('./dashboard-page')).DashboardPage }) },
];
