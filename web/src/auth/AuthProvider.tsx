import { createContext, useContext, useEffect, useSyncExternalStore, type ReactNode } from 'react';
import type { Role, User } from '../api/types';
import { session } from './current';
import type { SessionState } from './session';

const SessionContext = createContext<SessionState>({ kind: 'restoring' });

export function AuthProvider({ children }: { children: ReactNode }) {
  const state = useSyncExternalStore(
    (listener) => session.subscribe(listener),
    () => session.state,
  );
  useEffect(() => {
    void session.restore();
  }, []);
  return <SessionContext.Provider value={state}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  return useContext(SessionContext);
}

/** The signed-in user (only inside the signed-in part of the app). */
export function useUser(): User {
  const state = useSession();
  if (state.kind !== 'signed_in') throw new Error('useUser while signed out');
  return state.user;
}

const rank: Record<Role, number> = { viewer: 0, user: 1, admin: 2 };

/** Whether `user` has at least `role` (the API enforces the same rule on every call). */
export function hasRole(user: Pick<User, 'role'>, role: Role): boolean {
  return (rank[user.role as Role] ?? -1) >= rank[role];
}
