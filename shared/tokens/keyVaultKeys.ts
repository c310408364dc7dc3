/**
 * Data keys wrapped by a Key Vault key (RSA-OAEP-256), with the app's managed identity: the wrapping key never
 * leaves the vault. The setting names the key without a version, so a new version (a rotation) wraps the data keys
 * made after it, while the versioned id stored beside each value still unwraps the older ones.
 */
import type { TokenCredential } from '@azure/identity';
import { CryptographyClient } from '@azure/keyvault-keys';
import type { KeyWrapper } from '../base/secretBox.js';

const algorithm = 'RSA-OAEP-256';

export function keyVaultKeyWrapper(keyId: string, credential: TokenCredential): KeyWrapper {
  const versionless = keyId.replace(/\/+$/, '');
  const unwrapClients = new Map<string, CryptographyClient>();
  let latest: string | undefined;
  return {
    async wrap(dataKey) {
      // A client per wrap (data keys are made about hourly): a client keeps the key version it first read.
      const result = await new CryptographyClient(versionless, credential).wrapKey(algorithm, dataKey);
      const used = result.keyID ?? versionless;
      latest = used;
      return { keyId: used, wrapped: Buffer.from(result.result) };
    },
    async unwrap(id, wrapped) {
      let client = unwrapClients.get(id);
      if (!client) {
        client = new CryptographyClient(id, credential);
        unwrapClients.set(id, client);
      }
      return Buffer.from((await client.unwrapKey(algorithm, wrapped)).result);
    },
    // Until this process has wrapped once it cannot know the newest version: nothing is re-sealed on that account.
    isCurrent: (id) => latest === undefined || id === latest,
  };
}
