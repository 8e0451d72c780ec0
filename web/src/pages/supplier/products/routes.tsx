import type { RouteObject } from 'react-router';

/**
 * The supplier's product management pages (lazy: each is its own chunk). /products/:id without
 * /edit is the buyer's product page and is not defined here.
 */
export const productRoutes: RouteObject[] = [
  { path: '/products', lazy: async () => ({ Component: (await import('./my-products-page')).MyProductsPage }) },
  { path: '/products/new', lazy: async () => ({ Component: (await import('./product-form-page')).NewProductPage }) },
  { path: '/products/:id/edit', lazy: async () => ({ Component: (await import('./product-form-page')).EditProductPage }) },
];
