import { createHash } from 'node:crypto';
import type { AttributeMap } from './model';

/** Hex MD5 of a string's UTF-8 bytes: the MD5OfMessageBody / MD5OfBody the SDK verifies. */
export function md5Hex(data: string | Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

function lengthPrefixed(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length, 0);
  return Buffer.concat([length, bytes]);
}

/**
 * MD5OfMessageAttributes as AWS computes it (SQS Developer Guide, "Calculating the MD5 message
 * digest for message attributes"): attributes sorted by name; for each, the 4-byte big-endian
 * length and UTF-8 bytes of the name, the same for the data type, one transport-type byte
 * (1 for String and Number, 2 for Binary, custom suffixes such as "Number.float" included), then
 * the length-prefixed value bytes (UTF-8 of StringValue, or the raw BinaryValue bytes).
 * Undefined for no attributes, because AWS then omits the field.
 */
export function md5OfMessageAttributes(attributes: AttributeMap | undefined): string | undefined {
  if (!attributes) return undefined;
  const names = Object.keys(attributes).sort(compareCodeUnits);
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  for (const name of names) {
    const value = attributes[name];
    if (!value) continue;
    const binary = value.DataType.startsWith('Binary');
    hash.update(lengthPrefixed(Buffer.from(name, 'utf8')));
    hash.update(lengthPrefixed(Buffer.from(value.DataType, 'utf8')));
    hash.update(Buffer.from([binary ? 2 : 1]));
    const bytes = binary
      ? Buffer.from(value.BinaryValue ?? '', 'base64')
      : Buffer.from(value.StringValue ?? '', 'utf8');
    hash.update(lengthPrefixed(bytes));
  }
  return hash.digest('hex');
}

/** Byte-wise order for ASCII names (attribute names are restricted to ASCII), not locale order. */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
