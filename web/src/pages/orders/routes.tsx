import type { RouteObject } from 'react-router';

/** Order list and detail, for buyers and suppliers alike. */
export const orderRoutes: RouteObject[] = [];
