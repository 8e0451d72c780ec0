import type { RouteObject } from 'react-router';
import { productRoutes } from './products/routes';
import { inboxRoutes } from './inbox/routes';

/** The supplier pages, mounted inside the signed-in shell by src/router.tsx. */
export const supplierRoutes: RouteObject[] = [...productRoutes, ...inboxRoutes];
