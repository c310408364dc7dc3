import { ClientAssertionCredential, ClientSecretCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/base/config.js';
import { createGraphAccess, defaultCredentialFactory } from '../../../shared/graph/graphAccess.js';

const base = {
  SENDGRID_API_KEY: 'SG.x',
  MAIL_FROM: 'a@b.test',
  CONNECTOR_CLIENT_ID: '33333333-3333-4333-8333-333333333333',
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
};

describe('the app credential per tenant', () => {
  it('uses the client secret when one is configured', () => {
    const credentialFor = defaultCredentialFactory(parseConfig({ ...base, CONNECTOR_CLIENT_SECRET: 's' }));
    expect(credentialFor('11111111-1111-4111-8111-111111111111')).toBeInstanceOf(ClientSecretCredential);
  });

  it('uses the managed identity as a federated credential when no secret is configured', () => {
    const credentialFor = defaultCredentialFactory(
      parseConfig({ ...base, CONNECTOR_MANAGED_IDENTITY_CLIENT_ID: '44444444-4444-4444-8444-444444444444' }),
    );
    expect(credentialFor('11111111-1111-4111-8111-111111111111')).toBeInstanceOf(ClientAssertionCredential);
  });

  it('builds one credential per tenant, however often its clients are asked for', () => {
    const built: string[] = [];
    const access = createGraphAccess(parseConfig({ ...base, CONNECTOR_CLIENT_SECRET: 's' }), {
      credentialFor: (tenantId) => {
        built.push(tenantId);
        return { getToken: () => Promise.resolve({ token: 't', expiresOnTimestamp: Date.now() + 3_600_000 }) };
      },
    });
    for (let i = 0; i < 3; i += 1) {
      access.graph('11111111-1111-4111-8111-111111111111');
      access.intune('11111111-1111-4111-8111-111111111111');
    }
    access.graph('22222222-2222-4222-8222-222222222222');
    expect(built).toEqual(['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222']);
  });
});
