import type { RouteObject } from 'react-router';
import { dashboardRoutes } from './dashboard/routes';
import { managementRoutes } from './management/routes';

/** The platform admin pages, mounted inside the signed-in shell by src/router.tsx. */
export const adminRoutes: RouteObject[] = [...dashboardRoutes, ...managementRoutes];
