import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidKey, decodeKey, encodeKey, maxKeyLength, odata, readEntity } from '../../../shared/storage/index.js';
import { createTestTableStore } from '../../support/tables.js';

/** Whether a key holds a character Table Storage refuses in keys: / \ # ? or a control character. */
function hasForbiddenCharacter(key: string): boolean {
  return [...key].some((character) => {
    const code = character.codePointAt(0) ?? 0;
    return '/\\#?'.includes(character) || code <= 0x1f || (code >= 0x7f && code <= 0x9f);
  });
}
const wellFormed = (value: string): boolean => !/\p{Cs}/u.test(value);
const anyString = fc.string({ unit: 'binary', maxLength: 60 }).filter(wellFormed);
const tricky = fc.string({
  unit: fc.constantFrom('/', '\\', '#', '?', '%', '%2F', '\u0000', '\n', '\u007F', '\u0085', 'é', '😀', 'a', ' ', "'"),
  maxLength: 30,
});

describe('encodeKey / decodeKey', () => {
  it('round-trips any well-formed string to an allowed key', () => {
    fc.assert(
      fc.property(fc.oneof(anyString, tricky), (value) => {
        const key = encodeKey(value);
        expect(hasForbiddenCharacter(key)).toBe(false);
        expect(decodeKey(key)).toBe(value);
      }),
      { numRuns: 2_000 },
    );
  });

  it('keeps ordinary ids readable', () => {
    expect(encodeKey('0f8fad5b-d9cb-469f-a165-70867728950e')).toBe('0f8fad5b-d9cb-469f-a165-70867728950e');
    expect(encodeKey('a/b\\c#d?e%f')).toBe('a%2Fb%5Cc%23d%3Fe%25f');
  });

  it('rejects keys over 1 KiB, lone surrogates, and encodings it did not produce', () => {
    expect(encodeKey('x'.repeat(maxKeyLength))).toHaveLength(maxKeyLength);
    expect(() => encodeKey('x'.repeat(maxKeyLength + 1))).toThrow(InvalidKey);
    expect(() => encodeKey('/'.repeat(171))).toThrow(InvalidKey);
    expect(() => encodeKey('\uD800')).toThrow(InvalidKey);
    for (const bad of ['a/b', '%2f', '%41', '%', '%Z1', '%C3']) {
      expect(() => decodeKey(bad), bad).toThrow(InvalidKey);
    }
  });

  it('stores and finds entities whose keys came from any string, including / \\ # ?', async () => {
    const store = await createTestTableStore();
    const table = store.table('devices');
    const schema = z.object({ original: z.string() });
    await fc.assert(
      fc.asyncProperty(fc.oneof(tricky, anyString), fc.oneof(tricky, anyString), async (tenant, device) => {
        const partitionKey = encodeKey(tenant);
        const rowKey = encodeKey(device);
        await table.upsertEntity({ partitionKey, rowKey, original: device }, 'Replace');
        const read = await readEntity(table, schema, partitionKey, rowKey);
        expect(read?.original).toBe(device);

        const found: string[] = [];
        for await (const entity of table.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey}` } })) {
          if (entity.partitionKey !== undefined) found.push(decodeKey(entity.partitionKey));
        }
        expect(new Set(found)).toEqual(new Set([tenant]));
      }),
      { numRuns: 150 },
    );
  });
});
