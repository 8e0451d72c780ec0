import type { RouteObject } from 'react-router';

/** Admin management pages: companies, users, market rules, audit log, dead letters. */
export const managementRoutes: RouteObject[] = [];
