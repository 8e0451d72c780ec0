import type { RouteObject } from 'react-router';

/** The company pages, mounted inside the signed-in shell by src/router.tsx. */
export const companyRoutes: RouteObject[] = [
  { path: '/company', lazy: async () => ({ Component: (await import('./company-page')).CompanyPage }) },
  { path: '/companies/:id', lazy: async () => ({ Component: (await import('./public-company-page')).PublicCompanyPage }) },
];
