/**
 * Sign-in with Entra ID through MSAL: authorization code with PKCE by redirect (the redirect URI is the console's
 * own origin, which handles the answer with `handleRedirectPromise`), tokens for the API's delegated scope from
 * MSAL's cache or its refresh token, and a redirect when the user must sign in again.
 */
import { InteractionRequiredAuthError, PublicClientApplication, type AccountInfo } from '@azure/msal-browser';
import type { ConsoleConfig } from './config.js';

export interface Auth {
  readonly account: AccountInfo | null;
  /** A sign-in that failed on the way back (the identity provider's answer), in words. */
  readonly redirectError: string | null;
  /** Starts sign-in (leaves the page); rejects with `AuthorityUnreachable` when the authority cannot be reached. */
  signIn(): Promise<void>;
  signOut(): Promise<void>;
  /** An access token for the console API. */
  token(): Promise<string>;
}

/**
 * The browser could not connect to the sign-in authority at all. The usual cause on a local run: the browser does not
 * trust the certificate of the simulated Entra ID (issued by the local CA, `.local/tls/ca.crt`).
 */
export class AuthorityUnreachable extends Error {
  /** A page of the authority to open once, which lets the user see and accept its certificate. */
  readonly authorityUrl: string;

  constructor(authorityUrl: string) {
    super(`The sign-in service at ${new URL(authorityUrl).origin} cannot be reached from this browser.`);
    this.name = 'AuthorityUnreachable';
    this.authorityUrl = authorityUrl;
  }
}

/** Whether the browser can connect to `url` at all (TLS included); the answer itself is not read. */
async function canConnect(url: string): Promise<boolean> {
  try {
    await fetch(url, { mode: 'no-cors', cache: 'no-store' });
    return true;
  } catch {
    return false;
  }
}

function words(error: unknown): string {
  if (error instanceof Error) {
    const description = 'errorMessage' in error && typeof error.errorMessage === 'string' && error.errorMessage ? error.errorMessage : error.message;
    return description;
  }
  return String(error);
}

export async function createAuth(config: ConsoleConfig): Promise<Auth> {
  const origin = window.location.origin;
  const msal = new PublicClientApplication({
    auth: {
      clientId: config.clientId,
      authority: config.authority,
      knownAuthorities: config.knownAuthorities,
      redirectUri: `${origin}/`,
      postLogoutRedirectUri: `${origin}/`,
    },
    cache: { cacheLocation: 'sessionStorage' },
  });
  await msal.initialize();
  let redirectError: string | null = null;
  let account: AccountInfo | null = null;
  try {
    const result = await msal.handleRedirectPromise();
    account = result?.account ?? null;
  } catch (error) {
    redirectError = words(error);
  }
  account ??= msal.getActiveAccount() ?? msal.getAllAccounts()[0] ?? null;
  if (account) msal.setActiveAccount(account);
  const scopes = [config.apiScope];
  const metadataUrl = `${config.authority.replace(/\/+$/, '')}/v2.0/.well-known/openid-configuration`;

  return {
    account,
    redirectError,
    signIn: async () => {
      try {
        await msal.loginRedirect({ scopes, prompt: 'select_account' });
      } catch (error) {
        // MSAL reports an authority it cannot fetch as an endpoint resolution failure; say why in words.
        if (!(await canConnect(metadataUrl))) throw new AuthorityUnreachable(metadataUrl);
        throw new Error(words(error));
      }
    },
    signOut: () => msal.logoutRedirect({ account: msal.getActiveAccount() }),
    token: async () => {
      const active = msal.getActiveAccount();
      if (!active) throw new Error('You are not signed in.');
      try {
        return (await msal.acquireTokenSilent({ scopes, account: active })).accessToken;
      } catch (error) {
        if (error instanceof InteractionRequiredAuthError) {
          await msal.acquireTokenRedirect({ scopes, account: active });
          throw new Error('Signing you in again…');
        }
        throw error;
      }
    },
  };
}
