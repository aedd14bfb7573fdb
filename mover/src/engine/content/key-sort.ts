// Sorting of fixed-size binary keys held back to back in one buffer. Index blobs list entries in key
// byte order; for the million-entry indexes of a large backup a JS comparator sort is seconds, so the
// first five key bytes and the entry number are packed into a BigUint64Array and sorted natively, and
// only runs that share those five bytes (rare: content hashes are uniformly random) are finished with
// a full comparison.
import { endianness } from 'node:os';

const FAST_MAX_COUNT = 1 << 24;
const LITTLE_ENDIAN = endianness() === 'LE';

function compareKeys(keys: Buffer, ks: number, a: number, b: number): number {
  const oa = a * ks;
  const ob = b * ks;
  return keys.compare(keys, ob, ob + ks, oa, oa + ks);
}

/** Entry numbers 0..count-1 ordered by their keys `keys[i*keySize, (i+1)*keySize)`. */
export function sortedKeyOrder(keys: Buffer, keySize: number, count: number): Uint32Array {
  const order = new Uint32Array(count);
  if (count <= 1 || count > FAST_MAX_COUNT || keySize < 5 || !LITTLE_ENDIAN) {
    for (let i = 0; i < count; i++) order[i] = i;
    order.sort((a, b) => compareKeys(keys, keySize, a, b));
    return order;
  }
  const packed = new BigUint64Array(count);
  const bytes = new Uint8Array(packed.buffer);
  for (let i = 0; i < count; i++) {
    const b = i * 8;
    const k = i * keySize;
    bytes[b] = i & 0xff;
    bytes[b + 1] = (i >>> 8) & 0xff;
    bytes[b + 2] = (i >>> 16) & 0xff;
    bytes[b + 3] = keys[k + 4]!;
    bytes[b + 4] = keys[k + 3]!;
    bytes[b + 5] = keys[k + 2]!;
    bytes[b + 6] = keys[k + 1]!;
    bytes[b + 7] = keys[k]!;
  }
  packed.sort();
  for (let i = 0; i < count; i++) {
    const b = i * 8;
    order[i] = bytes[b]! | (bytes[b + 1]! << 8) | (bytes[b + 2]! << 16);
  }
  let runStart = 0;
  for (let i = 1; i <= count; i++) {
    if (i < count && samePrefix(bytes, runStart * 8, i * 8)) continue;
    if (i - runStart > 1) {
      const run = order.subarray(runStart, i);
      run.sort((a, b) => compareKeys(keys, keySize, a, b));
    }
    runStart = i;
  }
  return order;
}

function samePrefix(bytes: Uint8Array, a: number, b: number): boolean {
  return bytes[a + 3] === bytes[b + 3] && bytes[a + 4] === bytes[b + 4] && bytes[a + 5] === bytes[b + 5] &&
    bytes[a + 6] === bytes[b + 6] && bytes[a + 7] === bytes[b + 7];
}
