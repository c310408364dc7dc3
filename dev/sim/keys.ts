/**
 * The simulated Entra ID signing keys: RS256 keys listed in the JWKS (rotatable) and one key that is never
 * listed, for tokens that must fail signature checks.
 */
import { generateKeyPair, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { createLocalJWKSet, exportJWK, jwtVerify, SignJWT } from 'jose';
import type { JSONWebKeySet, JWK, JWTPayload } from 'jose';

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  jwk: JWK;
}

const generateRsa = promisify(generateKeyPair);

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateRsa('rsa', { modulusLength: 2048 });
  const kid = randomBytes(20).toString('base64url');
  const exported = await exportJWK(publicKey);
  return { kid, privateKey, jwk: { kty: 'RSA', use: 'sig', kid, n: exported.n, e: exported.e } };
}

/**
 * RSA key generation takes about a second on slow machines: the first signing key and the unlisted key are
 * made once per process and shared by every simulator started in it. Rotation always makes a new key.
 */
let initialKeys: Promise<[SigningKey, SigningKey]> | undefined;

export class KeyStore {
  private listed: SigningKey[];
  private localSet: ReturnType<typeof createLocalJWKSet>;

  private constructor(
    listed: SigningKey[],
    private readonly unlisted: SigningKey,
  ) {
    this.listed = listed;
    this.localSet = createLocalJWKSet(this.jwks());
  }

  static async create(): Promise<KeyStore> {
    initialKeys ??= Promise.all([newKey(), newKey()]);
    const [first, unlisted] = await initialKeys;
    return new KeyStore([first], unlisted);
  }

  /** The key new tokens are signed with. */
  get currentKid(): string {
    const current = this.listed[this.listed.length - 1];
    if (!current) throw new Error('no signing key');
    return current.kid;
  }

  jwks(): JSONWebKeySet {
    return { keys: this.listed.map((k) => ({ ...k.jwk })) };
  }

  /**
   * Adds a new signing key and signs with it from now on. The previous keys stay listed unless `retireOld`,
   * so tokens already issued keep verifying while clients holding a cached JWKS must refresh on the new `kid`.
   */
  async rotate(retireOld = false): Promise<{ kid: string; retired: string[] }> {
    const key = await newKey();
    const retired = retireOld ? this.listed.map((k) => k.kid) : [];
    this.listed = retireOld ? [key] : [...this.listed, key];
    this.localSet = createLocalJWKSet(this.jwks());
    return { kid: key.kid, retired };
  }

  async sign(claims: JWTPayload, options: { unlisted?: boolean } = {}): Promise<string> {
    const key = options.unlisted ? this.unlisted : this.listed[this.listed.length - 1];
    if (!key) throw new Error('no signing key');
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid }).sign(key.privateKey);
  }

  /** Verifies signature, `exp`/`nbf` and audience against the listed keys. */
  async verify(token: string, audience: string): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, this.localSet, { audience, algorithms: ['RS256'], clockTolerance: 60 });
    return payload;
  }
}
