import type { RouteObject } from 'react-router';

/** The buyer pages, mounted inside the signed-in shell by src/router.tsx. */
export const buyerRoutes: RouteObject[] = [];
