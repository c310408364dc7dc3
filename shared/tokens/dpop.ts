/**
 * DPoP proofs (RFC 9449) of the agent's device key: a compact JWS with header `typ: dpop+jwt`, `alg: ES256` and the
 * device's public P-256 `jwk`, and claims `jti`, `htm`, `htu`, `iat` and `ath`. Pure: the caller compares the key's
 * thumbprint with the one the credential is bound to and remembers `jti`s (deviceAuth.ts).
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { calculateJwkThumbprint, compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';

/** How far a proof's `iat` may be from the service's clock (either way). */
export const dpopMaxAgeMs = 5 * 60_000;
/** A proof is a few hundred bytes; anything far larger is not one. */
const maxProofLength = 4096;

export class DpopProofError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'DpopProofError';
  }
}

export interface DpopExpectation {
  /** The request's method. */
  readonly method: string;
  /** The URLs the proof's `htu` may name (without query or fragment): `PUBLIC_BASE_URL` + path, the URL as received. */
  readonly urls: readonly string[];
  /** The access token the request carries (`ath` is its SHA-256). */
  readonly accessToken: string;
  readonly nowMs: number;
}

export interface VerifiedDpopProof {
  /** RFC 7638 SHA-256 thumbprint (base64url) of the proof's key. */
  readonly jkt: string;
  readonly jti: string;
  readonly iatMs: number;
}

/** base64url SHA-256 of an access token: a proof's `ath`. */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}

/** A URL as `htu` compares it: no query, no fragment. */
export function htuOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    parsed.search = '';
    parsed.hash = '';
    return parsed.toString();
  } catch {
    return undefined;
  }
}

const publicMembers = new Set(['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use', 'key_ops']);

/** Whether a JWK is a public EC P-256 key (no private or unknown members). */
export function isPublicP256Jwk(jwk: unknown): jwk is JWK & { kty: 'EC'; crv: 'P-256'; x: string; y: string } {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return false;
  const key = jwk as Record<string, unknown>;
  if (Object.keys(key).some((name) => !publicMembers.has(name))) return false;
  return key.kty === 'EC' && key.crv === 'P-256' && typeof key.x === 'string' && typeof key.y === 'string';
}

/** The RFC 7638 thumbprint of a public P-256 key. */
export function jwkThumbprint(jwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string }): Promise<string> {
  return calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, 'sha256');
}

/** Verifies a proof: signature by its own key, then each claim. Throws `DpopProofError` naming the failed check. */
export async function verifyDpopProof(proof: string, expected: DpopExpectation): Promise<VerifiedDpopProof> {
  if (proof.length > maxProofLength || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(proof)) {
    throw new DpopProofError('the DPoP proof is not a compact JWS');
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw new DpopProofError('the DPoP proof header cannot be read');
  }
  if (header.typ !== 'dpop+jwt') throw new DpopProofError('the DPoP proof header typ is not dpop+jwt');
  if (header.alg !== 'ES256') throw new DpopProofError('the DPoP proof alg is not ES256');
  if (!isPublicP256Jwk(header.jwk)) throw new DpopProofError('the DPoP proof jwk is not a public P-256 key');
  const jwk = header.jwk;
  let payload: Record<string, unknown>;
  const known = await deviceKeyOf(jwk);
  try {
    const verified = await compactVerify(proof, known.key, { algorithms: ['ES256'] });
    payload = JSON.parse(new TextDecoder().decode(verified.payload)) as Record<string, unknown>;
  } catch {
    throw new DpopProofError('the DPoP proof signature does not verify');
  }
  if (typeof payload !== 'object' || payload === null) throw new DpopProofError('the DPoP proof has no claims');
  const { jti, htm, htu, iat, ath } = payload;
  if (typeof jti !== 'string' || jti.length < 8 || jti.length > 256) throw new DpopProofError('the DPoP proof has no usable jti');
  if (typeof htm !== 'string' || htm !== expected.method.toUpperCase()) throw new DpopProofError('the DPoP proof htm is not the request method');
  const claimed = typeof htu === 'string' ? htuOf(htu) : undefined;
  const urls = expected.urls.map(htuOf).filter((url): url is string => url !== undefined);
  if (claimed === undefined || !urls.includes(claimed)) throw new DpopProofError('the DPoP proof htu is not the request URL');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new DpopProofError('the DPoP proof has no iat');
  const iatMs = iat * 1000;
  if (Math.abs(expected.nowMs - iatMs) > dpopMaxAgeMs) throw new DpopProofError('the DPoP proof iat is not within 5 minutes of the service clock');
  if (typeof ath !== 'string' || ath !== accessTokenHash(expected.accessToken)) throw new DpopProofError('the DPoP proof ath is not the hash of the device token');
  return { jkt: known.thumbprint, jti, iatMs };
}

/**
 * Device keys seen lately, imported and with their thumbprints: an agent signs every request with the same key, so
 * importing it and hashing it once serves its next proofs (bounded: a stranger's many keys only push others out).
 */
const deviceKeys = new LRUCache<string, { key: Awaited<ReturnType<typeof importJWK>>; thumbprint: string }>({ max: 20_000 });

async function deviceKeyOf(jwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string }): Promise<{ key: Awaited<ReturnType<typeof importJWK>>; thumbprint: string }> {
  const cacheKey = `${jwk.x}.${jwk.y}`;
  const cached = deviceKeys.get(cacheKey);
  if (cached) return cached;
  let key: Awaited<ReturnType<typeof importJWK>>;
  try {
    key = await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, 'ES256');
  } catch {
    throw new DpopProofError('the DPoP proof signature does not verify');
  }
  const entry = { key, thumbprint: await jwkThumbprint(jwk) };
  deviceKeys.set(cacheKey, entry);
  return entry;
}
