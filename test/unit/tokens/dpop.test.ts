/** The DPoP proof check: each header field and claim refused on its own, with a real ES256 key. */
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, exportJWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { accessTokenHash, DpopProofError, isPublicP256Jwk, verifyDpopProof, type DpopExpectation } from '../../../shared/tokens/dpop.js';
import { dpopProof, generateDeviceKey, type DeviceKey } from '../../../dev/agent/referenceAgent.js';

const token = 'mtd1.dGVuYW50.ZGV2aWNl.c2VjcmV0';
const nowMs = Date.parse('2026-03-02T10:00:00Z');
const iat = Math.floor(nowMs / 1000);
const url = 'https://mtd.example.com/api/v1/device/threat-report';
const expected: DpopExpectation = { method: 'POST', urls: [url, 'http://127.0.0.1:7071/api/v1/device/threat-report'], accessToken: token, nowMs };
let key: DeviceKey;

beforeAll(async () => {
  key = await generateDeviceKey();
});

const good = (overrides: Record<string, unknown> = {}) => dpopProof(key, { htm: 'POST', htu: url, ath: accessTokenHash(token), iat, ...overrides });

async function refusal(proof: string, expectation: DpopExpectation = expected): Promise<string> {
  try {
    await verifyDpopProof(proof, expectation);
  } catch (error) {
    expect(error).toBeInstanceOf(DpopProofError);
    return (error as DpopProofError).reason;
  }
  throw new Error('the proof was accepted');
}

describe('verifyDpopProof', () => {
  it('accepts a proof of the key and answers its thumbprint, jti and iat', async () => {
    const verified = await verifyDpopProof(await good({ jti: 'proof-0001' }), expected);
    expect(verified).toEqual({ jkt: key.jkt, jti: 'proof-0001', iatMs: iat * 1000 });
  });

  it('accepts the URL as received and ignores a query in htu', async () => {
    const other = await good({ htu: 'http://127.0.0.1:7071/api/v1/device/threat-report?x=1' });
    await expect(verifyDpopProof(other, expected)).resolves.toMatchObject({ jkt: key.jkt });
  });

  it('refuses a wrong method, URL, stale or future iat, wrong ath, missing jti', async () => {
    expect(await refusal(await good({ htm: 'GET' }))).toMatch(/htm/);
    expect(await refusal(await good({ htu: 'https://mtd.example.com/api/v1/device/heartbeat' }))).toMatch(/htu/);
    expect(await refusal(await good({ iat: iat - 301 }))).toMatch(/iat/);
    expect(await refusal(await good({ iat: iat + 301 }))).toMatch(/iat/);
    expect(await refusal(await good({ ath: accessTokenHash(`${token}x`) }))).toMatch(/ath/);
    const noJti = await new SignJWT({ htm: 'POST', htu: url, iat, ath: accessTokenHash(token) })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk })
      .sign(key.privateKey);
    expect(await refusal(noJti)).toMatch(/jti/);
  });

  it('refuses a proof at the edge of the window only past 5 minutes', async () => {
    await expect(verifyDpopProof(await good({ iat: iat - 300 }), expected)).resolves.toBeDefined();
  });

  it('refuses a signature by another key than the header names, another typ, another alg, a private jwk', async () => {
    const other = await generateDeviceKey();
    const forged = await new SignJWT({ jti: 'proof-0002', htm: 'POST', htu: url, iat, ath: accessTokenHash(token) })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk })
      .sign(other.privateKey);
    expect(await refusal(forged)).toMatch(/signature/);

    const wrongTyp = await new SignJWT({ jti: 'proof-0003', htm: 'POST', htu: url, iat, ath: accessTokenHash(token) })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', jwk: key.publicJwk })
      .sign(key.privateKey);
    expect(await refusal(wrongTyp)).toMatch(/typ/);

    const { privateKey: rsa, publicKey: rsaPublic } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rs256 = await new SignJWT({ jti: 'proof-0004', htm: 'POST', htu: url, iat, ath: accessTokenHash(token) })
      .setProtectedHeader({ alg: 'RS256', typ: 'dpop+jwt', jwk: await exportJWK(rsaPublic) })
      .sign(rsa);
    expect(await refusal(rs256)).toMatch(/alg/);

    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const privateJwk = await exportJWK(pair.privateKey);
    const leaky = await new SignJWT({ jti: 'proof-0005', htm: 'POST', htu: url, iat, ath: accessTokenHash(token) })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: privateJwk })
      .sign(pair.privateKey);
    expect(await refusal(leaky)).toMatch(/jwk/);
  });

  it('refuses what is not a compact JWS', async () => {
    expect(await refusal('not-a-proof')).toMatch(/compact JWS/);
    expect(await refusal('a.b.c')).toMatch(/header/);
  });
});

describe('isPublicP256Jwk', () => {
  it('takes only public EC P-256 keys', () => {
    expect(isPublicP256Jwk({ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' })).toBe(true);
    expect(isPublicP256Jwk({ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'c' })).toBe(false);
    expect(isPublicP256Jwk({ kty: 'EC', crv: 'P-384', x: 'a', y: 'b' })).toBe(false);
    expect(isPublicP256Jwk({ kty: 'RSA', n: 'a', e: 'AQAB' })).toBe(false);
  });
});
