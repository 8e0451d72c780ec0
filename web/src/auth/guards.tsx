import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { useSession } from './use-session';
import type { Role } from './session';
import { Spinner } from '@/components/ui/feedback';
import { homeOf } from '@/layout/nav';

/** Pages for signed-in users of the given roles; others are sent to sign in or to their home. */
export function RequireRole({ roles, children }: { roles?: Role[]; children: ReactNode }) {
  const state = useSession();
  const location = useLocation();
  if (state.status === 'restoring') return <Spinner label="Restoring your session…" className="justify-center" />;
  if (state.status === 'signedOut') return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  if (roles && !roles.includes(state.user.role)) return <Navigate to={homeOf(state.user.role)} replace />;
  return <>{children}</>;
}

export function HomeRedirect() {
  const state = useSession();
  if (state.status === 'restoring') return <Spinner label="Restoring your session…" className="justify-center" />;
  if (state.status === 'signedOut') return <Navigate to="/login" replace />;
  return <Navigate to={homeOf(state.user.role)} replace />;
}
