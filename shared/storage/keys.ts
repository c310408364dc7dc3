/**
 * PartitionKey / RowKey encoding. Keys may not contain `/ \ # ?` or control characters and are at most 1 KiB
 * (512 UTF-16 code units). Every character outside printable ASCII, those four and `%` itself are written as
 * percent-encoded UTF-8, so any well-formed string maps to a valid key and back. Encoded keys are plain ASCII.
 *
 * Tenant isolation is by construction: repositories take the tenant id first and use it (encoded) as PartitionKey.
 */
import { InvalidKey } from './errors.js';

/** Key length limit in UTF-16 code units (1 KiB). */
export const maxKeyLength = 512;

// Printable ASCII except `#` (23), `%` (25), `/` (2F), `?` (3F) and `\` (5C) is kept as is.
const needsEncoding = /[^\x20-\x22\x24\x26-\x2E\x30-\x3E\x40-\x5B\x5D-\x7E]/gu;
const loneSurrogate = /\p{Cs}/u;
const wellFormedEncoding = /^(?:[\x20-\x22\x24\x26-\x2E\x30-\x3E\x40-\x5B\x5D-\x7E]|%[0-9A-F]{2})*$/;

function percentEncode(character: string): string {
  let encoded = '';
  for (const byte of Buffer.from(character, 'utf8')) {
    encoded += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

export function encodeKey(value: string): string {
  if (loneSurrogate.test(value)) throw new InvalidKey('the value is not well-formed Unicode');
  const encoded = value.replace(needsEncoding, percentEncode);
  if (encoded.length > maxKeyLength) {
    throw new InvalidKey(`encoded length ${encoded.length} exceeds ${maxKeyLength} characters`);
  }
  return encoded;
}

export function decodeKey(encoded: string): string {
  if (!wellFormedEncoding.test(encoded)) throw new InvalidKey('not an encoded key');
  let decoded: string;
  try {
    decoded = decodeURIComponent(encoded);
  } catch {
    throw new InvalidKey('percent-encoded bytes are not UTF-8');
  }
  // Only the canonical form is accepted, so one value never has two keys.
  if (decoded.replace(needsEncoding, percentEncode) !== encoded) throw new InvalidKey('not in canonical form');
  return decoded;
}
