// Content IDs (kopia repo/content/index/id.go, content_id_to_bytes.go). The string form is an optional
// one-letter prefix g..z followed by the lowercase hex of the hash; the binary key form used inside
// index blobs is `[prefix byte or 0x00] ‖ hash`. Because hex digits sort below 'g', plain string order
// of lowercase IDs equals the byte order of their keys, which is the order of entries in an index.
import { InvalidContentIdError } from './content-errors.ts';

/** Largest hash kopia supports (hashing.MaxHashSize). */
export const MAX_HASH_SIZE = 32;
/** Largest binary key: prefix byte + hash. */
export const MAX_KEY_SIZE = MAX_HASH_SIZE + 1;
/** Bytes of the hash used as the per-content IV / AAD (aes.BlockSize in kopia). */
export const CONTENT_IV_SIZE = 16;

const CODE_0 = 0x30;
const CODE_9 = 0x39;
const CODE_A = 0x61;
const CODE_F = 0x66;
const CODE_G = 0x67;
const CODE_Z = 0x7a;

function isHexCode(c: number): boolean {
  return (c >= CODE_0 && c <= CODE_9) || (c >= CODE_A && c <= CODE_F);
}

/** True for "" or a single letter g..z. */
export function isValidContentPrefix(prefix: string): boolean {
  if (prefix === '') return true;
  if (prefix.length !== 1) return false;
  const c = prefix.charCodeAt(0);
  return c >= CODE_G && c <= CODE_Z;
}

/** Why `id` is not a valid non-empty content ID, or undefined when it is valid. */
function contentIdProblem(id: string): string | undefined {
  if (id.length === 0) return 'empty';
  let start = 0;
  if (id.length % 2 === 1) {
    const c = id.charCodeAt(0);
    if (c < CODE_G || c > CODE_Z) return 'odd length and the first character is not a prefix g..z';
    start = 1;
  }
  const hexLen = id.length - start;
  if (hexLen === 0) return 'no hash after the prefix';
  if (hexLen > 2 * MAX_HASH_SIZE) return `hash longer than ${MAX_HASH_SIZE} bytes`;
  for (let i = start; i < id.length; i++) {
    if (!isHexCode(id.charCodeAt(i))) return `character ${JSON.stringify(id[i])} at ${i} is not a lowercase hex digit`;
  }
  return undefined;
}

export function isValidContentId(id: string): boolean {
  return contentIdProblem(id) === undefined;
}

/** Throws InvalidContentIdError unless `id` is a valid (non-empty) content ID. */
export function validateContentId(id: string): void {
  const problem = contentIdProblem(id);
  if (problem !== undefined) throw new InvalidContentIdError(id, problem);
}

export interface ParsedContentId {
  /** "" or one letter g..z. */
  readonly prefix: string;
  readonly hash: Buffer;
}

export function parseContentId(id: string): ParsedContentId {
  validateContentId(id);
  const prefixLen = id.length % 2;
  return { prefix: id.slice(0, prefixLen), hash: Buffer.from(id.slice(prefixLen), 'hex') };
}

export function formatContentId(prefix: string, hash: Uint8Array): string {
  if (!isValidContentPrefix(prefix)) throw new InvalidContentIdError(prefix, 'prefix must be empty or one letter g..z');
  if (hash.length === 0 || hash.length > MAX_HASH_SIZE) {
    throw new InvalidContentIdError(prefix, `hash of ${hash.length} bytes (expected 1..${MAX_HASH_SIZE})`);
  }
  return prefix + Buffer.from(hash.buffer, hash.byteOffset, hash.length).toString('hex');
}

/** The prefix letter of a valid content ID, or "". */
export function contentIdPrefix(id: string): string {
  return id.length % 2 === 1 ? id[0]! : '';
}

/** Number of bytes in the binary key of a valid content ID. */
export function contentKeySize(id: string): number {
  return 1 + (id.length >> 1);
}

const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[CODE_0 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[CODE_A + i] = 10 + i;
  HEX_VALUE[0x41 + i] = 10 + i;
}

/**
 * Writes the binary key `[prefix or 0] ‖ hash` of `id` into `out` at `offset` and returns its length,
 * or -1 when `id` is not a content ID. Does not allocate (hot path of every index lookup).
 */
export function tryWriteContentKey(id: string, out: Uint8Array, offset = 0): number {
  const len = id.length;
  let i = 0;
  if (len % 2 === 1) {
    const c = id.charCodeAt(0);
    if (c < CODE_G || c > CODE_Z) return -1;
    out[offset] = c;
    i = 1;
  } else {
    out[offset] = 0;
  }
  if (len - i > 2 * MAX_HASH_SIZE || len - i === 0) return -1;
  let o = offset + 1;
  for (; i < len; i += 2) {
    const a = id.charCodeAt(i);
    const b = id.charCodeAt(i + 1);
    if (a > 0x7f || b > 0x7f) return -1;
    const hi = HEX_VALUE[a]!;
    const lo = HEX_VALUE[b]!;
    if (hi < 0 || lo < 0) return -1;
    out[o++] = (hi << 4) | lo;
  }
  return o - offset;
}

/** As tryWriteContentKey, but throws InvalidContentIdError for an invalid ID. */
export function writeContentKey(id: string, out: Uint8Array, offset = 0): number {
  const n = tryWriteContentKey(id, out, offset);
  if (n < 0) throw new InvalidContentIdError(id, contentIdProblem(id) ?? 'not a content ID');
  return n;
}

/** A fresh buffer holding the binary key of `id`. */
export function contentIdToKey(id: string): Buffer {
  validateContentId(id);
  const out = Buffer.allocUnsafe(contentKeySize(id));
  writeContentKey(id, out, 0);
  return out;
}

/** The content ID string of a binary key stored in `buf[offset, offset+length)`. */
export function keyToContentId(buf: Uint8Array, offset = 0, length = buf.length - offset): string {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  const prefix = b[offset]!;
  const hex = b.toString('hex', offset + 1, offset + length);
  return prefix === 0 ? hex : String.fromCharCode(prefix) + hex;
}

/** Orders content IDs as kopia orders index keys (bytewise on `[prefix or 0] ‖ hash`). */
export function compareContentIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Pack blob prefix for a content: "q" for prefixed (metadata) contents, "p" for data. */
export function packPrefixForContentId(id: string): 'p' | 'q' {
  return id.length % 2 === 1 ? 'q' : 'p';
}

/** The per-content IV: the last 16 bytes of the hash (kopia getPackedContentIV). */
export function contentIv(id: string): Buffer {
  const prefixLen = id.length % 2;
  const hex = id.slice(prefixLen);
  if (hex.length < 2 * CONTENT_IV_SIZE) throw new InvalidContentIdError(id, 'hash shorter than 16 bytes');
  return Buffer.from(hex.slice(hex.length - 2 * CONTENT_IV_SIZE), 'hex');
}
