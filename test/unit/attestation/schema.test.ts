/** The activation body's `attestation`: strict, bounded, discriminated on `format`. */
import { describe, expect, it } from 'vitest';
import { attestationInputSchema } from '../../../shared/attestation/index.js';
import { parseConfig } from '../../../shared/base/config.js';

const cert = Buffer.alloc(600, 7).toString('base64');
const keyId = Buffer.alloc(32, 1).toString('base64');
const object = Buffer.alloc(3000, 2).toString('base64');

describe('attestationInputSchema', () => {
  it('accepts both formats', () => {
    expect(attestationInputSchema.safeParse({ format: 'android-key', certificateChain: [cert, cert, cert] }).success).toBe(true);
    expect(attestationInputSchema.safeParse({ format: 'apple-app-attest', keyId, attestationObject: object }).success).toBe(true);
  });

  it.each([
    ['an unknown format', { format: 'tpm', certificateChain: [cert, cert] }],
    ['an unknown field', { format: 'android-key', certificateChain: [cert, cert], extra: true }],
    ['a single certificate', { format: 'android-key', certificateChain: [cert] }],
    ['eleven certificates', { format: 'android-key', certificateChain: Array.from({ length: 11 }, () => cert) }],
    ['a certificate that is not base64', { format: 'android-key', certificateChain: [cert, `${cert.slice(0, 200)}!`] }],
    ['an oversized certificate', { format: 'android-key', certificateChain: [cert, Buffer.alloc(7000).toString('base64')] }],
    ['Apple fields on Android', { format: 'android-key', keyId, attestationObject: object }],
    ['a missing keyId', { format: 'apple-app-attest', attestationObject: object }],
    ['an oversized attestation object', { format: 'apple-app-attest', keyId, attestationObject: Buffer.alloc(40_000).toString('base64') }],
  ])('refuses %s', (_label, input) => {
    expect(attestationInputSchema.safeParse(input).success).toBe(false);
  });
});

describe('attestation settings', () => {
  const required = {
    SENDGRID_API_KEY: 'SG.x',
    MAIL_FROM: 'a@example.com',
    CONNECTOR_CLIENT_ID: '33333333-3333-4333-8333-333333333333',
    CONNECTOR_CLIENT_SECRET: 'secret',
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  };

  it("default to Google's status list, production App Attest and no allowed app", () => {
    const config = parseConfig(required);
    expect(config.ANDROID_ATTESTATION_STATUS_URL).toBe('https://android.googleapis.com/attestation/status');
    expect(config.APPLE_APP_ATTEST_ENVIRONMENT).toBe('production');
    expect([config.ANDROID_APP_PACKAGES, config.ANDROID_APP_SIGNER_SHA256, config.APPLE_APP_IDS]).toEqual([[], [], []]);
    expect([config.ATTESTATION_ANDROID_ROOTS, config.ATTESTATION_APPLE_ROOTS]).toEqual([undefined, undefined]);
  });

  it('split lists and normalize signer digests (colons, case)', () => {
    const digest = 'AB:'.repeat(31) + 'CD';
    const config = parseConfig({
      ...required,
      ANDROID_APP_PACKAGES: 'com.a.agent, com.b.agent',
      ANDROID_APP_SIGNER_SHA256: digest,
      APPLE_APP_IDS: 'TEAM000001.com.a.agent',
    });
    expect(config.ANDROID_APP_PACKAGES).toEqual(['com.a.agent', 'com.b.agent']);
    expect(config.ANDROID_APP_SIGNER_SHA256).toEqual([`${'ab'.repeat(31)}cd`]);
    expect(config.APPLE_APP_IDS).toEqual(['TEAM000001.com.a.agent']);
  });

  it('refuse a signer that is not a SHA-256 digest and an unknown environment', () => {
    expect(() => parseConfig({ ...required, ANDROID_APP_SIGNER_SHA256: 'abc' })).toThrow(/ANDROID_APP_SIGNER_SHA256/);
    expect(() => parseConfig({ ...required, APPLE_APP_ATTEST_ENVIRONMENT: 'staging' })).toThrow(/APPLE_APP_ATTEST_ENVIRONMENT/);
  });
});
