import type { RouteObject } from 'react-router';

/** The admin pages, mounted inside the signed-in shell by src/router.tsx. */
export const adminRoutes: RouteObject[] = [];
