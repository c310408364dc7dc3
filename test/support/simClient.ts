/**
 * What integration tests need to talk to the simulated tenant: the app registration it knows, the run's TLS files
 * (test/support/globalSetup.ts), settings pointing every upstream at one simulator, and a silent logger.
 */
import { readFileSync } from 'node:fs';
import {
  ensurePlatformAuthority,
  platformAuthorityFiles,
  simAgentIdentity,
  type PlatformAuthority,
} from '../../dev/sim/platform.js';
import { parseConfig, type Config } from '../../shared/base/config.js';
import type { Logger } from '../../shared/base/logger.js';
import { azuriteConnectionString } from './tables.js';

export const clientId = '33333333-3333-4333-8333-333333333333';
export const clientSecret = 'sim-client-secret';
/** The test runs' key for the secrets stored in tables (base64 of 32 bytes). */
export const testSecretsKey = 'dGVzdC1zZWNyZXRzLWtleS0zMi1ieXRlcy1sb25nISE=';

export const quietLog: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function tlsFiles(): { cert: Buffer; key: Buffer } {
  const certFile = process.env.TEST_TLS_CERT_FILE;
  const keyFile = process.env.TEST_TLS_KEY_FILE;
  if (!certFile || !keyFile) throw new Error('TEST_TLS_CERT_FILE / TEST_TLS_KEY_FILE are not set: run through vitest');
  return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

/**
 * The app settings of a service talking to the simulator at `simUrl` (Entra ID, Graph and SendGrid on one origin),
 * with the app registration and SendGrid key the simulator knows; without a URL, the upstreams keep their defaults.
 */
export function simSettings(simUrl: string | undefined): Record<string, string> {
  return {
    ...(simUrl !== undefined ? { ENTRA_AUTHORITY_HOST: simUrl, GRAPH_BASE_URL: simUrl, SENDGRID_API_BASE_URL: simUrl } : {}),
    ...(simUrl !== undefined ? platformSettings(simUrl) : {}),
    SENDGRID_API_KEY: 'SG.sim-api-key',
    MAIL_FROM: 'mtd@connector.test',
    CONNECTOR_CLIENT_ID: clientId,
    CONNECTOR_CLIENT_SECRET: clientSecret,
    // Encrypts the secrets kept in tables (Key Vault's role in Azure).
    SECRETS_KEY: testSecretsKey,
  };
}

/** The simulator plays the phone's platform: its attestation roots (the run's, globalSetup), agent app and status list. */
function platformSettings(simUrl: string): Record<string, string> {
  const dir = process.env.TEST_PLATFORM_DIR;
  if (!dir) return {};
  const files = platformAuthorityFiles(dir);
  return {
    ATTESTATION_ANDROID_ROOTS: files.androidRootsFile,
    ATTESTATION_APPLE_ROOTS: files.appleRootsFile,
    ANDROID_ATTESTATION_STATUS_URL: `${simUrl}/_sim/platform/android/attestation-status`,
    ANDROID_APP_PACKAGES: simAgentIdentity.androidPackage,
    ANDROID_APP_SIGNER_SHA256: simAgentIdentity.androidSignerSha256,
    APPLE_APP_IDS: simAgentIdentity.appleAppId,
  };
}

let platform: Promise<PlatformAuthority> | undefined;
/** The run's simulated platform (globalSetup made it), for the simulators tests start; undefined outside vitest. */
export function testPlatform(): Promise<PlatformAuthority> | undefined {
  const dir = process.env.TEST_PLATFORM_DIR;
  if (!dir) return undefined;
  platform ??= ensurePlatformAuthority(dir);
  return platform;
}

/** The settings of `simSettings` on the run's Azurite (unless `extra` names other storage), parsed. */
export function simConfig(simUrl: string, extra: Record<string, string> = {}): Config {
  return parseConfig({
    ...simSettings(simUrl),
    AzureWebJobsStorage: extra.AzureWebJobsStorage ?? azuriteConnectionString(),
    ...extra,
  });
}
