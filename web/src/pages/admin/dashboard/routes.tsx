import type { RouteObject } from 'react-router';

/** The admin dashboard (stats read model charts). */
export const dashboardRoutes: RouteObject[] = [];
