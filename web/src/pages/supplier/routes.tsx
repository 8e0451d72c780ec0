import type { RouteObject } from 'react-router';

/** The supplier pages, mounted inside the signed-in shell by src/router.tsx. */
export const supplierRoutes: RouteObject[] = [];
