import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../shared/base/config.js';

const base = {
  SENDGRID_API_KEY: 'SG.x',
  MAIL_FROM: 'mtd@example.net',
  CONNECTOR_CLIENT_ID: '33333333-3333-4333-8333-333333333333',
  CONNECTOR_MANAGED_IDENTITY_CLIENT_ID: '44444444-4444-4444-8444-444444444444',
};
const azure = { ...base, AzureWebJobsStorage__tableServiceUri: 'https://st.table.core.windows.net' };
const key = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';

describe('settings of the key for secrets stored in tables', () => {
  it('in Azure, refuses to start without a key to seal them', () => {
    expect(() => parseConfig(azure)).toThrow(ConfigError);
    expect(() => parseConfig(azure)).toThrow(/SECRETS_KEY_VAULT_KEY_ID/);
    expect(parseConfig({ ...azure, SECRETS_KEY_VAULT_KEY_ID: 'https://kv.vault.azure.net/keys/table-secrets-kek' }).SECRETS_KEY_VAULT_KEY_ID).toBe(
      'https://kv.vault.azure.net/keys/table-secrets-kek',
    );
  });

  it('takes a local key of exactly 32 bytes, and earlier keys as a list', () => {
    const local = { ...base, AzureWebJobsStorage: 'UseDevelopmentStorage=true' };
    expect(parseConfig({ ...local, SECRETS_KEY: key, SECRETS_PREVIOUS_KEYS: ` ${key} ,` }).SECRETS_PREVIOUS_KEYS).toEqual([key]);
    expect(() => parseConfig({ ...local, SECRETS_KEY: Buffer.alloc(16).toString('base64') })).toThrow(/SECRETS_KEY/);
    expect(() => parseConfig({ ...local, SECRETS_KEY: key, SECRETS_PREVIOUS_KEYS: 'short' })).toThrow(/SECRETS_PREVIOUS_KEYS/);
  });
});
