import type { RouteObject } from 'react-router';

/** The company pages, mounted inside the signed-in shell by src/router.tsx. */
export const companyRoutes: RouteObject[] = [];
