/**
 * The app settings of a local run (`npm run dev`): a fixed development app registration, the simulated tenant's
 * endpoints, Azurite, and the local host's port and function key. Values already in the environment win.
 */

/** The development app registration; the simulator is started with the same id, secret and SendGrid key. */
export const devApp = {
  clientId: '33333333-3333-4333-8333-333333333333',
  clientSecret: 'dev-connector-client-secret',
  sendgridApiKey: 'SG.dev-sendgrid-api-key',
  mailFrom: 'mtd-connector@dev.localhost',
} as const;

/** The simulated provider's own tenant (Woodgrove in the default scenario), whose Nestor Wilke holds `Provider.Support`. */
export const devProviderTenantId = '77777777-7777-4777-8777-777777777777';

export const defaultPort = 7071;
export const defaultSimPort = 7443;
export const defaultFunctionKey = 'dev';

/** The four settings that point the service at a tenant; when all are set, no simulator is started. */
export const upstreamSettings = [
  'ENTRA_AUTHORITY_HOST',
  'GRAPH_BASE_URL',
  'INTUNE_PARTNER_API_BASE_URL',
  'SENDGRID_API_BASE_URL',
] as const;

import { simAgentIdentity, type PlatformAuthorityFiles } from './sim/platform.js';

export type Env = Readonly<Record<string, string | undefined>>;

function setting(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

function port(env: Env, name: string, fallback: number): number {
  const value = setting(env, name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) throw new Error(`${name} must be a port number, not "${value}"`);
  return parsed;
}

export function hostPort(env: Env): number {
  return port(env, 'PORT', defaultPort);
}

export function simPort(env: Env): number {
  return port(env, 'SIM_PORT', defaultSimPort);
}

export function functionKey(env: Env): string {
  return setting(env, 'DEV_FUNCTION_KEY') ?? defaultFunctionKey;
}

/** True when the environment names every upstream endpoint itself (no simulator needed). */
export function usesExternalUpstreams(env: Env): boolean {
  return upstreamSettings.every((name) => setting(env, name) !== undefined);
}

/**
 * The settings the function host runs with: defaults for a local run, overridden by anything set in `env`.
 * `simUrl` is the simulator's origin (ignored for the endpoints the environment sets); `storage` Azurite's
 * connection string; `platform` the files of the simulator's attestation roots (dev/sim/platform.ts).
 */
export function devSettings(options: { env: Env; simUrl?: string; storage?: string; port?: number; secretsKey?: string; platform?: PlatformAuthorityFiles }): Record<string, string> {
  const { env } = options;
  const listenPort = options.port ?? hostPort(env);
  // Provider support signs in with Entra ID only where the service checks the provider key itself, which needs a key
  // of 32 characters or more: a local run with such a DEV_FUNCTION_KEY uses it so, and trusts the simulated provider.
  const key = functionKey(env);
  const providerSignIn = options.simUrl !== undefined && key.length >= 32;
  const defaults: Record<string, string | undefined> = {
    CONNECTOR_CLIENT_ID: devApp.clientId,
    CONNECTOR_CLIENT_SECRET: devApp.clientSecret,
    SENDGRID_API_KEY: devApp.sendgridApiKey,
    MAIL_FROM: devApp.mailFrom,
    ENTRA_AUTHORITY_HOST: options.simUrl,
    GRAPH_BASE_URL: options.simUrl,
    INTUNE_PARTNER_API_BASE_URL: options.simUrl,
    SENDGRID_API_BASE_URL: options.simUrl,
    PUBLIC_BASE_URL: `http://localhost:${listenPort}`,
    AzureWebJobsStorage: options.storage,
    DEV_FUNCTION_KEY: defaultFunctionKey,
    PORT: String(listenPort),
    // Webhook receivers of a local run (the demo's, the bench's) listen on this machine.
    WEBHOOK_ALLOWED_PRIVATE_HOSTS: 'localhost,127.0.0.1',
    // The local key that encrypts the secrets stored in tables (Key Vault's role in Azure).
    SECRETS_KEY: options.secretsKey,
    PROVIDER_TENANT_ID: providerSignIn ? devProviderTenantId : undefined,
    PROVIDER_FUNCTION_KEY: providerSignIn ? key : undefined,
    // The simulator plays the phone's platform: trust its attestation roots and its agent app, read its status list.
    // Without a simulator (external endpoints) these keep their defaults: Google's and Apple's roots.
    ...(options.simUrl && options.platform
      ? {
          ATTESTATION_ANDROID_ROOTS: options.platform.androidRootsFile,
          ATTESTATION_APPLE_ROOTS: options.platform.appleRootsFile,
          ANDROID_ATTESTATION_STATUS_URL: `${options.simUrl}/_sim/platform/android/attestation-status`,
          ANDROID_APP_PACKAGES: simAgentIdentity.androidPackage,
          ANDROID_APP_SIGNER_SHA256: simAgentIdentity.androidSignerSha256,
          APPLE_APP_IDS: simAgentIdentity.appleAppId,
        }
      : {}),
  };
  const settings: Record<string, string> = {};
  for (const [name, value] of Object.entries(defaults)) {
    const chosen = name === 'PORT' ? value : (setting(env, name) ?? value);
    if (chosen !== undefined) settings[name] = chosen;
  }
  return settings;
}

export const defaultConsolePort = 7072;

/** The web console's port: CONSOLE_PORT, else 7072 when free, else any free port. */
export async function consolePort(env: Env): Promise<number> {
  const chosen = port(env, 'CONSOLE_PORT', 0);
  if (chosen !== 0) return chosen;
  const { createServer } = await import('node:net');
  const tryListen = (candidate: number): Promise<number | undefined> =>
    new Promise((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(undefined));
      server.listen(candidate, '127.0.0.1', () => {
        const address = server.address();
        const bound = typeof address === 'object' && address ? address.port : undefined;
        server.close(() => resolve(bound));
      });
    });
  return (await tryListen(defaultConsolePort)) ?? (await tryListen(0)) ?? defaultConsolePort;
}
