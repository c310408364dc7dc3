/**
 * The reference agent: the device side of the agent protocol (docs/AGENT.md), used by the tests, the demo and the
 * benches. It keeps a P-256 device key whose private half cannot be exported (WebCrypto), fetches a challenge, gets
 * an attestation of the key from the simulator's platform routes (an Android Keystore chain or an App Attest
 * object, optionally flawed), activates, and signs a DPoP proof for every later request. `mode: 'bearer'` is an
 * agent without a key (a device activated before key binding).
 */
import { createHash, randomUUID, webcrypto } from 'node:crypto';
import { calculateJwkThumbprint, SignJWT, type JWK } from 'jose';

export interface DeviceKey {
  /** Non-extractable: only signing is possible. */
  readonly privateKey: webcrypto.CryptoKey;
  /** `{ kty, crv, x, y }`. */
  readonly publicJwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string };
  /** RFC 7638 thumbprint (base64url). */
  readonly jkt: string;
}

export async function generateDeviceKey(): Promise<DeviceKey> {
  const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const exported = (await webcrypto.subtle.exportKey('jwk', pair.publicKey)) as JWK;
  const publicJwk = { kty: 'EC' as const, crv: 'P-256' as const, x: String(exported.x), y: String(exported.y) };
  return { privateKey: pair.privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, 'sha256') };
}

/** base64url SHA-256 of a credential: a proof's `ath`. */
export function ath(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

export interface ProofClaims {
  readonly htm: string;
  readonly htu: string;
  /** base64url SHA-256 of the credential (`ath(token)`). */
  readonly ath: string;
  /** Defaults: a random UUID, and now. */
  readonly jti?: string;
  readonly iat?: number;
}

/** A DPoP proof (RFC 9449) of `key` for one request. */
export function dpopProof(key: Pick<DeviceKey, 'privateKey' | 'publicJwk'>, claims: ProofClaims): Promise<string> {
  return new SignJWT({ jti: claims.jti ?? randomUUID(), htm: claims.htm, htu: claims.htu, iat: claims.iat ?? Math.floor(Date.now() / 1000), ath: claims.ath })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk })
    .sign(key.privateKey);
}

export type AgentAttestation =
  | { readonly kind: 'none' }
  | { readonly kind: 'android'; readonly simUrl: string; readonly flaws?: readonly string[]; readonly packageName?: string; readonly signerSha256?: string }
  | { readonly kind: 'apple'; readonly simUrl: string; readonly flaws?: readonly string[]; readonly appId?: string };

export interface AgentOptions {
  /** The service, e.g. `http://localhost:7071` (routes under `/api/`). */
  readonly baseUrl: string;
  /** The signed-in user's access token (activation and challenge). */
  readonly userToken: () => Promise<string> | string;
  readonly intuneDeviceId: string;
  readonly platform: 'ios' | 'android';
  readonly osVersion?: string;
  readonly appVersion?: string;
  /** `dpop` (default): a key-bound credential; `bearer`: no key. */
  readonly mode?: 'dpop' | 'bearer';
  /** Default: none. */
  readonly attestation?: AgentAttestation;
  /** The URL the proofs name (`htu` = this + path); default `baseUrl`. */
  readonly publicBaseUrl?: string;
}

export interface AgentAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
}

async function answerOf(response: Response): Promise<AgentAnswer> {
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { text };
  }
  return { status: response.status, body, headers: response.headers };
}

export class ReferenceAgent {
  key: DeviceKey | undefined;
  token: string | undefined;
  tokenType: 'DPoP' | 'Bearer' | undefined;
  private sequence = 0;

  constructor(readonly options: AgentOptions) {}

  get mode(): 'dpop' | 'bearer' {
    return this.options.mode ?? 'dpop';
  }

  private url(path: string): string {
    return `${this.options.baseUrl}/api/${path}`;
  }

  private async userHeaders(): Promise<Record<string, string>> {
    return { authorization: `Bearer ${await this.options.userToken()}`, 'content-type': 'application/json' };
  }

  async challenge(): Promise<string> {
    const answer = await answerOf(await fetch(this.url('v1/device/challenge'), { method: 'POST', headers: await this.userHeaders() }));
    if (answer.status !== 200) throw new Error(`challenge answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return String(answer.body.challenge);
  }

  /** The attestation of the device key for `challenge`, from the simulator playing the platform. */
  async attest(challenge: string, key: DeviceKey): Promise<Record<string, unknown> | undefined> {
    const attestation = this.options.attestation ?? { kind: 'none' };
    if (attestation.kind === 'none') return undefined;
    if (attestation.kind === 'android') {
      const answer = await postJson(`${attestation.simUrl}/_sim/platform/android/key-attestation`, {
        challenge,
        publicKeyJwk: key.publicJwk,
        ...(attestation.packageName ? { packageName: attestation.packageName } : {}),
        ...(attestation.signerSha256 ? { signerSha256: attestation.signerSha256 } : {}),
        ...(attestation.flaws ? { flaws: attestation.flaws } : {}),
      });
      return { format: 'android-key', certificateChain: answer.certificateChain };
    }
    const clientDataHash = createHash('sha256').update(`${challenge}.${key.jkt}`, 'utf8').digest('base64');
    const answer = await postJson(`${attestation.simUrl}/_sim/platform/apple/app-attest`, {
      clientDataHash,
      ...(attestation.appId ? { appId: attestation.appId } : {}),
      ...(attestation.flaws ? { flaws: attestation.flaws } : {}),
    });
    return { format: 'apple-app-attest', keyId: answer.keyId, attestationObject: answer.attestationObject };
  }

  /** Activates (again): a new key in `dpop` mode, a challenge, the attestation. Keeps the credential on success. */
  async activate(extra: Record<string, unknown> = {}): Promise<AgentAnswer> {
    const body: Record<string, unknown> = {
      intuneDeviceId: this.options.intuneDeviceId,
      platform: this.options.platform,
      osVersion: this.options.osVersion ?? (this.options.platform === 'ios' ? '17.5' : '14'),
      appVersion: this.options.appVersion ?? '1.0.0',
    };
    if (this.mode === 'dpop') {
      const key = await generateDeviceKey();
      const challenge = await this.challenge();
      const attestation = await this.attest(challenge, key);
      Object.assign(body, { deviceKey: key.publicJwk, challenge, ...(attestation ? { attestation } : {}) });
      this.key = key;
    } else {
      this.key = undefined;
    }
    const answer = await answerOf(await fetch(this.url('v1/device/activate'), { method: 'POST', headers: await this.userHeaders(), body: JSON.stringify({ ...body, ...extra }) }));
    if (answer.status === 200) {
      this.token = String(answer.body.deviceToken);
      this.tokenType = answer.body.tokenType === 'DPoP' ? 'DPoP' : 'Bearer';
      this.sequence = 0;
    }
    return answer;
  }

  /** The headers of a device request: the credential, and a fresh proof when key-bound. */
  async deviceHeaders(method: string, path: string, overrides: Partial<ProofClaims> = {}): Promise<Record<string, string>> {
    if (!this.token) throw new Error('not activated');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.tokenType === 'DPoP' && this.key) {
      const htu = `${this.options.publicBaseUrl ?? this.options.baseUrl}/api/${path}`;
      headers.authorization = `DPoP ${this.token}`;
      headers.dpop = await dpopProof(this.key, { htm: method, htu, ath: ath(this.token), ...overrides });
    } else {
      headers.authorization = `Bearer ${this.token}`;
    }
    return headers;
  }

  /** A device request (`v1/device/...`) with the current credential. */
  async send(path: string, body: unknown, headers?: Record<string, string>): Promise<AgentAnswer> {
    const response = await fetch(this.url(path), { method: 'POST', headers: headers ?? (await this.deviceHeaders('POST', path)), body: JSON.stringify(body) });
    return answerOf(response);
  }

  /** A heartbeat; a rotated credential in the answer replaces the current one (the key stays). */
  async heartbeat(body: Record<string, unknown> = {}): Promise<AgentAnswer> {
    const answer = await this.send('v1/device/heartbeat', body);
    if (answer.status === 200 && typeof answer.body.deviceToken === 'string') this.token = answer.body.deviceToken;
    return answer;
  }

  /** A threat report of the complete set `threats`, with the next sequence. */
  async report(threats: readonly Record<string, unknown>[] = []): Promise<AgentAnswer> {
    this.sequence += 1;
    return this.send('v1/device/threat-report', { reportId: randomUUID(), sequence: this.sequence, observedAt: new Date().toISOString(), threats });
  }
}

async function postJson(url: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await answerOf(response);
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}
