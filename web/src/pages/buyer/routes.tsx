import type { RouteObject } from 'react-router';

/** The buyer pages, mounted inside the signed-in shell by src/router.tsx (lazy: each page is its own chunk). */
export const buyerRoutes: RouteObject[] = [
  { path: '/products/:id', lazy: async () => ({ Component: (await import('./product-page')).ProductPage }) },
  { path: '/search', lazy: async () => ({ Component: (await import('./search-page')).SearchPage }) },
];
