/** What every page needs: the API client, the signed-in user (with their access level) and sign-out. */
import { createContext, useContext } from 'react';
import type { ApiClient } from './api/client.js';
import type { Me } from './api/me.js';

export interface Session {
  readonly api: ApiClient;
  /** The customer tenant's console user; null for provider support whose own tenant is not a customer tenant. */
  readonly me: Me | null;
  /** Full access may change things; restricted users see every page read-only. */
  readonly canWrite: boolean;
  /** Provider support (the provider's tenant, app role `Provider.Support`): the Tenants and Usage pages. */
  readonly provider?: boolean;
  /** Who is signed in, for the top bar. */
  readonly userName?: string;
  signOut(): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}
