/**
 * The console's settings, read from `/config.json` next to the app at start-up: which Entra ID authority and client
 * to sign in with, which API scope to ask for, and where the API is.
 */
import { z } from 'zod';

export const consoleConfigSchema = z.object({
  /** The console's own client id (a single-page-app registration). */
  clientId: z.string().min(1),
  /** `{ENTRA_AUTHORITY_HOST}/organizations` for a multi-tenant console. */
  authority: z.url(),
  /** The delegated scope of the API, e.g. `api://{apiClientId}/access_as_user`. */
  apiScope: z.string().min(1),
  /** The function app's origin (the API lives under `/api`). */
  apiBaseUrl: z.url(),
  /** Hosts MSAL trusts without instance discovery (the authority's host, for a sovereign cloud or the simulator). */
  knownAuthorities: z.array(z.string()).default([]),
  /**
   * The provider's own tenant id: only its users are asked whether they are provider support (a one-row read of the
   * provider's tenant list, which the server answers only for the app role `Provider.Support`). Absent: nobody is.
   */
  providerTenantId: z.string().trim().toLowerCase().optional(),
});
export type ConsoleConfig = z.output<typeof consoleConfigSchema>;

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`The console's settings (/config.json) did not load: HTTP ${response.status}.`);
  const parsed = consoleConfigSchema.safeParse(await response.json());
  if (!parsed.success) throw new Error(`The console's settings (/config.json) are not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
