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
  signIn(): Promise<void>;
  signOut(): Promise<void>;
  /** An access token for the console API. */
  token(): Promise<string>;
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

  return {
    account,
    redirectError,
    signIn: () => msal.loginRedirect({ scopes, prompt: 'select_account' }),
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
