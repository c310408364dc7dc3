import { describe, expect, it } from 'vitest';
import { credentialSession, hashSecret, issueCredential, parseCredential, secretMatches } from '../../../shared/devices/credential.js';

const tenantId = '11111111-1111-4111-8111-111111111111';
const deviceId = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

describe('device credential', () => {
  it('carries tenant and device, and only its secret matches the stored hash', () => {
    const issued = issueCredential(tenantId, deviceId);
    expect(issued.token).not.toContain(issued.hash);
    const presented = parseCredential(issued.token);
    expect(presented).toMatchObject({ tenantId, deviceId });
    expect(presented?.secret).toHaveLength(32);
    expect(hashSecret(presented?.secret ?? Buffer.alloc(0))).toBe(issued.hash);
    expect(secretMatches(issued.hash, presented?.secret ?? Buffer.alloc(0))).toBe(true);

    const other = issueCredential(tenantId, deviceId);
    expect(other.hash).not.toBe(issued.hash);
    expect(secretMatches(other.hash, presented?.secret ?? Buffer.alloc(0))).toBe(false);
    expect(secretMatches(undefined, presented?.secret ?? Buffer.alloc(0))).toBe(false);
    expect(credentialSession(issued.hash)).not.toBe(credentialSession(other.hash));
  });

  it('refuses anything that is not exactly a credential of ours', () => {
    const { token } = issueCredential(tenantId, deviceId);
    const [prefix, tenant, device, secret] = token.split('.') as [string, string, string, string];
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    const bad = [
      '',
      'mtd1',
      `${prefix}.${tenant}.${device}`,
      `mtd2.${tenant}.${device}.${secret}`,
      `${prefix}.${b64('not-a-guid')}.${device}.${secret}`,
      `${prefix}.${tenant}.${b64('DEVICE/../x')}.${secret}`,
      `${prefix}.${tenant}.${device}.${secret.slice(0, -2)}`,
      `${prefix}.${tenant}.${device}.${secret}AA`,
      `${prefix}.${tenant}=.${device}.${secret}`,
      `${token}.extra`,
      'eyJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJ4In0.c2ln',
    ];
    for (const candidate of bad) expect(parseCredential(candidate), candidate).toBeUndefined();
  });
});
