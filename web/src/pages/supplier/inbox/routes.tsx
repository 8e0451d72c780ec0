import type { RouteObject } from 'react-router';

/** The supplier's RFQ inbox and quote pages. */
export const inboxRoutes: RouteObject[] = [];
