import type { RouteObject } from 'react-router';

/** The supplier's product management pages. */
export const productRoutes: RouteObject[] = [];
