/** What every page needs: the API client, the signed-in user (with their access level) and sign-out. */
import { createContext, useContext } from 'react';
import type { ApiClient } from './api/client.js';
import type { Me } from './api/me.js';

export interface Session {
  readonly api: ApiClient;
  readonly me: Me;
  /** Full access may change things; restricted users see every page read-only. */
  readonly canWrite: boolean;
  signOut(): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}
