/**
 * Data keys wrapped by a Key Vault key, against a stand-in for the vault's wrapKey/unwrapKey: each sealed value keeps
 * the versioned id that wrapped it, a new key version wraps what is sealed after it, and the earlier version unwraps
 * what it wrapped.
 */
import { describe, expect, it, vi } from 'vitest';
import type { TokenCredential } from '@azure/identity';
import { createSecretBox } from '../../../shared/base/secretBox.js';
import { keyVaultKeyWrapper } from '../../../shared/tokens/keyVaultKeys.js';

const vault = vi.hoisted(() => ({ latest: 1, calls: [] as string[] }));

vi.mock('@azure/keyvault-keys', () => {
  const xor = (bytes: Uint8Array, version: number): Uint8Array => Uint8Array.from(bytes, (byte) => byte ^ (0x5a + version));
  class CryptographyClient {
    constructor(private readonly id: string) {}
    wrapKey(algorithm: string, key: Uint8Array) {
      vault.calls.push(`wrap ${algorithm} ${this.id}`);
      const version = /\/v(\d+)$/.exec(this.id)?.[1];
      const used = version ? Number(version) : vault.latest;
      return Promise.resolve({ result: xor(key, used), keyID: `https://kv.vault.azure.net/keys/kek/v${used}`, algorithm });
    }
    unwrapKey(algorithm: string, wrapped: Uint8Array) {
      vault.calls.push(`unwrap ${algorithm} ${this.id}`);
      const version = Number(/\/v(\d+)$/.exec(this.id)?.[1] ?? 'NaN');
      return Promise.resolve({ result: xor(wrapped, version), keyID: this.id });
    }
  }
  return { CryptographyClient };
});

const credential: TokenCredential = { getToken: () => Promise.resolve({ token: 't', expiresOnTimestamp: Date.now() + 60_000 }) };

describe('Key Vault key wrapper', () => {
  it('wraps with the newest version (RSA-OAEP-256), stores its versioned id, and unwraps older versions after a rotation', async () => {
    let now = 0;
    const box = createSecretBox(keyVaultKeyWrapper('https://kv.vault.azure.net/keys/kek/', credential), { now: () => now });
    const first = await box.seal('whsec_one', 'ctx');
    expect(Buffer.from(first.split('.')[1] ?? '', 'base64url').toString('utf8')).toBe('https://kv.vault.azure.net/keys/kek/v1');
    expect(vault.calls).toEqual(['wrap RSA-OAEP-256 https://kv.vault.azure.net/keys/kek']);

    // The key is rotated in the vault; after the data key's lifetime the next seal wraps with the new version.
    vault.latest = 2;
    now += 2 * 60 * 60 * 1000;
    const second = await box.seal('whsec_two', 'ctx');
    expect(Buffer.from(second.split('.')[1] ?? '', 'base64url').toString('utf8')).toBe('https://kv.vault.azure.net/keys/kek/v2');
    expect(box.needsReseal(first)).toBe(true);
    expect(box.needsReseal(second)).toBe(false);

    // Another instance opens both, each with the version that wrapped it.
    const reader = createSecretBox(keyVaultKeyWrapper('https://kv.vault.azure.net/keys/kek', credential));
    expect(await reader.open(first, 'ctx')).toBe('whsec_one');
    expect(await reader.open(second, 'ctx')).toBe('whsec_two');
    expect(vault.calls.filter((call) => call.startsWith('unwrap'))).toEqual([
      'unwrap RSA-OAEP-256 https://kv.vault.azure.net/keys/kek/v1',
      'unwrap RSA-OAEP-256 https://kv.vault.azure.net/keys/kek/v2',
    ]);
  });
});
