import type { RouteObject } from 'react-router';

/** Order list and detail, for buyers and suppliers alike (the API shows each company only its own). */
export const orderRoutes: RouteObject[] = [
  { path: '/orders', lazy: async () => ({ Component: (await import('./order-list-page')).OrderListPage }) },
  { path: '/orders/:id', lazy: async () => ({ Component: (await import('./order-detail-page')).OrderDetailPage }) },
];
