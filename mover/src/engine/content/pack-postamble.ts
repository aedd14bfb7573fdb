// The pack postamble (kopia content_index_recovery.go packContentPostamble): the last bytes of every
// pack say where its encrypted local index is, so `kopia index recover` can rebuild lost index blobs.
//   uvarint(1) ‖ uvarint(len(iv)) ‖ iv ‖ uvarint(localIndexOffset) ‖ uvarint(localIndexLength)
//   ‖ u32 BE CRC32-IEEE of all of the above ‖ u8 length of all of the above (incl. the CRC)
// The postamble is not authenticated; the local index it points to is (AEAD with IV = its full hash).
import { crc32 } from 'node:zlib';

export interface PackPostamble {
  /** IV the local index was encrypted with: the full keyed hash of the plaintext local index. */
  readonly localIndexIv: Buffer;
  readonly localIndexOffset: number;
  readonly localIndexLength: number;
}

function putUvarint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/** Returns [value, bytesRead] or undefined when the varint is truncated or too long. */
function readUvarint(b: Uint8Array, offset: number, end: number): [number, number] | undefined {
  let v = 0;
  let mul = 1;
  for (let i = offset; i < end && i - offset < 10; i++) {
    const c = b[i]!;
    v += (c & 0x7f) * mul;
    if ((c & 0x80) === 0) return [v, i - offset + 1];
    mul *= 0x80;
  }
  return undefined;
}

export function encodePostamble(p: PackPostamble): Buffer {
  const bytes: number[] = [];
  putUvarint(bytes, 1);
  putUvarint(bytes, p.localIndexIv.length);
  for (const c of p.localIndexIv) bytes.push(c);
  putUvarint(bytes, p.localIndexOffset);
  putUvarint(bytes, p.localIndexLength);
  const n = bytes.length + 4;
  if (n > 255) throw new RangeError(`pack postamble of ${n} bytes exceeds 255`);
  const out = Buffer.alloc(n + 1);
  Buffer.from(bytes).copy(out, 0);
  out.writeUInt32BE(crc32(out.subarray(0, bytes.length)) >>> 0, bytes.length);
  out[n] = n;
  return out;
}

/**
 * Finds and decodes the postamble at the end of `tail` (the last bytes of a pack, or the whole pack).
 * Returns undefined when there is none (bad length byte, bad CRC, unknown version); offsets are
 * relative to the start of the pack.
 */
export function findPostamble(tail: Uint8Array): PackPostamble | undefined {
  if (tail.length === 0) return undefined;
  const n = tail[tail.length - 1]!;
  if (n < 5) return undefined;
  const start = tail.length - 1 - n;
  if (start < 0) return undefined;
  const end = tail.length - 1;
  const payloadEnd = end - 4;
  const b = Buffer.from(tail.buffer, tail.byteOffset, tail.length);
  if ((crc32(b.subarray(start, payloadEnd)) >>> 0) !== b.readUInt32BE(payloadEnd)) return undefined;
  let o = start;
  const flags = readUvarint(b, o, payloadEnd);
  if (flags === undefined || flags[0] !== 1) return undefined;
  o += flags[1];
  const ivLen = readUvarint(b, o, payloadEnd);
  if (ivLen === undefined) return undefined;
  o += ivLen[1];
  if (ivLen[0] > payloadEnd - o) return undefined;
  const iv = Buffer.from(b.subarray(o, o + ivLen[0]));
  o += ivLen[0];
  const off = readUvarint(b, o, payloadEnd);
  if (off === undefined) return undefined;
  o += off[1];
  const len = readUvarint(b, o, payloadEnd);
  if (len === undefined) return undefined;
  return { localIndexIv: iv, localIndexOffset: off[0], localIndexLength: len[0] };
}
