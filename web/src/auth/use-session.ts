import { useSyncExternalStore } from 'react';
import { session, type SessionState, type SessionUser } from './session';

export function useSession(): SessionState {
  return useSyncExternalStore(session.subscribe, session.getState);
}

/** The signed-in user; only for pages behind <RequireRole>. */
export function useUser(): SessionUser {
  const state = useSession();
  if (state.status !== 'signedIn') throw new Error('useUser outside a signed-in page');
  return state.user;
}

export function isAdmin(user: SessionUser): boolean {
  return user.role === 'admin' || user.role === 'super_admin';
}
