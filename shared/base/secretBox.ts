/**
 * Envelope encryption of the secrets kept in table rows (webhook signing secrets, the consent-link key), so a copy of
 * the tables alone cannot sign as the service. Each value is sealed with AES-256-GCM under a data key; the data key is
 * stored beside it wrapped by a key the tables do not hold (a Key Vault key in Azure, `SECRETS_KEY` locally), with
 * that key's id, so the wrapping key can rotate: values sealed under an earlier key still open, new ones use the
 * current key. A value stored before encryption (no `enc1.` prefix) still opens as it is, and `needsReseal` says
 * it should be written again sealed.
 *
 *   enc1.<key id>.<wrapped data key>.<iv>.<ciphertext>.<tag>     (each part base64url)
 *
 * The `context` (the row the value lives in) is authenticated with it, so a sealed value copied into another row
 * does not open there.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const prefix = 'enc1.';

/** Wraps and unwraps data keys with a key the tables do not hold. */
export interface KeyWrapper {
  /** Wraps with the current key; `keyId` names the key (and version) that unwraps it. */
  wrap(dataKey: Buffer): Promise<{ keyId: string; wrapped: Buffer }>;
  unwrap(keyId: string, wrapped: Buffer): Promise<Buffer>;
  /** Whether `keyId` is the current key (a value sealed under another is re-sealed when next written). */
  isCurrent(keyId: string): boolean;
}

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

export interface SecretBox {
  seal(plain: string, context: string): Promise<string>;
  /** The plain value: a sealed one opened, one stored before encryption as it is. */
  open(stored: string, context: string): Promise<string>;
  /** True for a value stored in clear or sealed under a key that is no longer the current one. */
  needsReseal(stored: string): boolean;
}

export function isSealed(stored: string): boolean {
  return stored.startsWith(prefix);
}

const b64 = (bytes: Buffer): string => bytes.toString('base64url');

/** How long one data key seals new values before the next is made (each new one costs a wrap). */
const dataKeyLifetimeMs = 60 * 60 * 1000;

export function createSecretBox(wrapper: KeyWrapper, options: { now?: () => number } = {}): SecretBox {
  const now = options.now ?? Date.now;
  let current: Promise<{ dataKey: Buffer; header: string; madeAt: number }> | undefined;
  // Unwrapped data keys by their wrapped form: a delivery does not call Key Vault each time.
  const unwrapped = new Map<string, Promise<Buffer>>();

  const currentKey = (): Promise<{ dataKey: Buffer; header: string; madeAt: number }> => {
    const made = current;
    if (made) {
      return made.then((key) => {
        if (now() - key.madeAt < dataKeyLifetimeMs && wrapper.isCurrent(keyIdOf(key.header))) return key;
        if (current === made) current = undefined;
        return currentKey();
      });
    }
    const dataKey = randomBytes(32);
    const next = wrapper.wrap(dataKey).then(({ keyId, wrapped }) => ({
      dataKey,
      header: `${b64(Buffer.from(keyId, 'utf8'))}.${b64(wrapped)}`,
      madeAt: now(),
    }));
    current = next;
    next.catch(() => {
      if (current === next) current = undefined;
    });
    return next;
  };

  return {
    async seal(plain, context) {
      const { dataKey, header } = await currentKey();
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `${prefix}${header}.${b64(iv)}.${b64(ciphertext)}.${b64(cipher.getAuthTag())}`;
    },

    async open(stored, context) {
      if (!isSealed(stored)) return stored;
      const parts = stored.slice(prefix.length).split('.');
      const [keyIdPart, wrappedPart, ivPart, ciphertextPart, tagPart] = parts;
      if (parts.length !== 5 || !keyIdPart || !wrappedPart || !ivPart || ciphertextPart === undefined || !tagPart) {
        throw new SecretBoxError('The stored secret is not a sealed value');
      }
      const cacheKey = `${keyIdPart}.${wrappedPart}`;
      let dataKey = unwrapped.get(cacheKey);
      if (!dataKey) {
        const pending = wrapper.unwrap(Buffer.from(keyIdPart, 'base64url').toString('utf8'), Buffer.from(wrappedPart, 'base64url'));
        dataKey = pending;
        unwrapped.set(cacheKey, pending);
        pending.catch(() => unwrapped.delete(cacheKey));
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', await dataKey, Buffer.from(ivPart, 'base64url'));
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(Buffer.from(tagPart, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ciphertextPart, 'base64url')), decipher.final()]).toString('utf8');
      } catch (caught) {
        if (caught instanceof SecretBoxError) throw caught;
        throw new SecretBoxError('The stored secret does not open with its key (altered, moved or sealed for another row)');
      }
    },

    needsReseal(stored) {
      if (!isSealed(stored)) return true;
      return !wrapper.isCurrent(keyIdOf(stored.slice(prefix.length)));
    },
  };
}

function keyIdOf(header: string): string {
  return Buffer.from(header.split('.')[0] ?? '', 'base64url').toString('utf8');
}

/** The id of a local key: a digest of it, never the key. */
export function localKeyId(key: Buffer): string {
  return `local:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

/**
 * Data keys wrapped (AES-256-GCM) by keys from the settings: `current` wraps, every key in `previous` still unwraps.
 */
export function localKeyWrapper(current: Buffer, previous: readonly Buffer[] = []): KeyWrapper {
  const byId = new Map<string, Buffer>([current, ...previous].map((key) => [localKeyId(key), key]));
  const currentId = localKeyId(current);
  return {
    wrap(dataKey) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      cipher.setAAD(Buffer.from(currentId, 'utf8'));
      const wrapped = Buffer.concat([iv, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
      return Promise.resolve({ keyId: currentId, wrapped });
    },
    unwrap(keyId, wrapped) {
      const key = byId.get(keyId);
      if (!key) return Promise.reject(new SecretBoxError(`The key ${keyId} that sealed a stored secret is not configured (SECRETS_KEY, SECRETS_PREVIOUS_KEYS)`));
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, wrapped.subarray(0, 12));
        decipher.setAAD(Buffer.from(keyId, 'utf8'));
        decipher.setAuthTag(wrapped.subarray(wrapped.length - 16));
        return Promise.resolve(Buffer.concat([decipher.update(wrapped.subarray(12, wrapped.length - 16)), decipher.final()]));
      } catch {
        return Promise.reject(new SecretBoxError(`A data key does not unwrap with ${keyId}`));
      }
    },
    isCurrent: (keyId) => keyId === currentId,
  };
}

/** A box that cannot seal: no key is configured. Values stored in clear still open. */
export function unconfiguredSecretBox(): SecretBox {
  const refused = (): Promise<never> =>
    Promise.reject(new SecretBoxError('No key to encrypt stored secrets is configured: set SECRETS_KEY_VAULT_KEY_ID (Azure) or SECRETS_KEY (local)'));
  return {
    seal: refused,
    open: (stored) => (isSealed(stored) ? refused() : Promise.resolve(stored)),
    needsReseal: () => false,
  };
}
