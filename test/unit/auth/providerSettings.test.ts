/** The provider settings: a Key Vault reference App Service could not resolve never becomes an accepted key. */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../shared/base/config.js';

const base = {
  SENDGRID_API_KEY: 'SG.test',
  MAIL_FROM: 'mtd@connector.test',
  CONNECTOR_CLIENT_ID: '33333333-3333-4333-8333-333333333333',
  CONNECTOR_CLIENT_SECRET: 'secret',
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
};

describe('provider settings', () => {
  it('defaults the role to Provider.Support and leaves Entra sign-in off', () => {
    const config = parseConfig(base);
    expect(config.PROVIDER_SUPPORT_ROLE).toBe('Provider.Support');
    expect(config.PROVIDER_TENANT_ID).toBeUndefined();
    expect(config.PROVIDER_FUNCTION_KEY).toBeUndefined();
  });

  it('treats an unresolved Key Vault reference as no key, and refuses a short key', () => {
    const unresolved = '@Microsoft.KeyVault(SecretUri=https://kv-mtd.vault.azure.net/secrets/provider-function-key)';
    expect(parseConfig({ ...base, PROVIDER_FUNCTION_KEY: unresolved }).PROVIDER_FUNCTION_KEY).toBeUndefined();
    expect(() => parseConfig({ ...base, PROVIDER_FUNCTION_KEY: 'short' })).toThrow(ConfigError);
    const key = 'k'.repeat(40);
    expect(parseConfig({ ...base, PROVIDER_FUNCTION_KEY: key }).PROVIDER_FUNCTION_KEY).toBe(key);
  });
});
