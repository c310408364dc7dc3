import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, isSealed, localKeyId, localKeyWrapper, SecretBoxError, unconfiguredSecretBox, type KeyWrapper } from '../../../shared/base/secretBox.js';

const secret = 'whsec_c2VjcmV0LXNpZ25pbmcta2V5LW9mLXRoaXJ0eS10d28tYnl0ZXM=';

describe('secret box', () => {
  it('seals a value so the stored text holds neither it nor its key, and opens it again', async () => {
    const key = randomBytes(32);
    const box = createSecretBox(localKeyWrapper(key));
    const sealed = await box.seal(secret, 'webhooks/t/e');
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain(secret);
    expect(sealed).not.toContain(secret.slice('whsec_'.length, 20));
    expect(sealed).not.toContain(key.toString('base64url'));
    expect(sealed).not.toContain(key.toString('base64'));
    // The key id stored beside it is a digest, never the key.
    expect(Buffer.from(sealed.split('.')[1] ?? '', 'base64url').toString('utf8')).toBe(localKeyId(key));
    expect(await box.open(sealed, 'webhooks/t/e')).toBe(secret);
    expect(box.needsReseal(sealed)).toBe(false);
  });

  it('refuses a value moved to another row, altered, or opened with another key', async () => {
    const box = createSecretBox(localKeyWrapper(randomBytes(32)));
    const sealed = await box.seal(secret, 'webhooks/t/e1');
    await expect(box.open(sealed, 'webhooks/t/e2')).rejects.toBeInstanceOf(SecretBoxError);
    const parts = sealed.split('.');
    parts[4] = Buffer.from('x'.repeat(10)).toString('base64url');
    await expect(box.open(parts.join('.'), 'webhooks/t/e1')).rejects.toBeInstanceOf(SecretBoxError);
    await expect(createSecretBox(localKeyWrapper(randomBytes(32))).open(sealed, 'webhooks/t/e1')).rejects.toBeInstanceOf(SecretBoxError);
  });

  it('opens a value stored in clear as it is, and says it should be sealed', async () => {
    const box = createSecretBox(localKeyWrapper(randomBytes(32)));
    expect(await box.open(secret, 'webhooks/t/e')).toBe(secret);
    expect(box.needsReseal(secret)).toBe(true);
  });

  it('rotates: values sealed under a previous key still open, new ones use the current key and need no reseal', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const before = await createSecretBox(localKeyWrapper(oldKey)).seal(secret, 'ctx');
    const rotated = createSecretBox(localKeyWrapper(newKey, [oldKey]));
    expect(await rotated.open(before, 'ctx')).toBe(secret);
    expect(rotated.needsReseal(before)).toBe(true);
    const after = await rotated.seal(secret, 'ctx');
    expect(rotated.needsReseal(after)).toBe(false);
    expect(Buffer.from(after.split('.')[1] ?? '', 'base64url').toString('utf8')).toBe(localKeyId(newKey));
    // Once the old key is dropped, only what was sealed again opens.
    const newOnly = createSecretBox(localKeyWrapper(newKey));
    expect(await newOnly.open(after, 'ctx')).toBe(secret);
    await expect(newOnly.open(before, 'ctx')).rejects.toBeInstanceOf(SecretBoxError);
  });

  it('wraps a data key once and unwraps each stored data key once, not per value', async () => {
    const inner = localKeyWrapper(randomBytes(32));
    const calls = { wrap: 0, unwrap: 0 };
    const counting: KeyWrapper = {
      wrap: (key) => {
        calls.wrap += 1;
        return inner.wrap(key);
      },
      unwrap: (id, wrapped) => {
        calls.unwrap += 1;
        return inner.unwrap(id, wrapped);
      },
      isCurrent: (id) => inner.isCurrent(id),
    };
    const box = createSecretBox(counting);
    const sealed = await Promise.all([1, 2, 3].map((n) => box.seal(`${secret}${n}`, 'ctx')));
    expect(calls.wrap).toBe(1);
    const reader = createSecretBox(counting);
    expect(await Promise.all(sealed.map((value) => reader.open(value, 'ctx')))).toEqual([1, 2, 3].map((n) => `${secret}${n}`));
    expect(calls.unwrap).toBe(1);
  });

  it('without a key refuses to seal rather than store in clear', async () => {
    const box = unconfiguredSecretBox();
    await expect(box.seal(secret, 'ctx')).rejects.toThrow(/SECRETS_KEY/);
    expect(await box.open(secret, 'ctx')).toBe(secret);
  });
});
