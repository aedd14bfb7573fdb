// A set of content IDs in one SharedArrayBuffer, so hashing workers can skip compressing and encrypting
// chunks the repository already has. Open addressing with linear probing; each slot holds a flag byte
// and the binary key `[prefix or 0] ‖ hash`. Lookups are O(1) and allocate nothing.
//
// Layout: Int32 header [magic, keySize, capacity, count], then `capacity` slots of 1 + keySize bytes.
// Only the thread that created the set may add to it; readers on other threads may miss a key that is
// being added concurrently (a false negative only costs a redundant compression, never correctness).
import type { ContentInfo } from './content-info.ts';
import { MAX_KEY_SIZE, tryWriteContentKey } from './content-id.ts';
import { bytesEqual, contentKeyHash, contentKeyHashParts } from './ref-hash-table.ts';

const MAGIC = 0x43494453; // "CIDS"
const HEADER_INTS = 4;
const HEADER_BYTES = HEADER_INTS * 4;
const MAX_LOAD = 0.6;

function capacityFor(count: number): number {
  let cap = 16;
  while (cap * MAX_LOAD < count) cap *= 2;
  return cap;
}

export class ContentIdSet {
  private readonly sab: SharedArrayBuffer;
  private readonly header: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly keySize: number;
  private readonly slotSize: number;
  private readonly mask: number;
  private readonly scratch = new Uint8Array(MAX_KEY_SIZE);

  private constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.header = new Int32Array(sab, 0, HEADER_INTS);
    if (this.header[0] !== MAGIC) throw new TypeError('SharedArrayBuffer does not hold a ContentIdSet');
    this.keySize = this.header[1]!;
    this.slotSize = this.keySize + 1;
    this.mask = this.header[2]! - 1;
    this.bytes = new Uint8Array(sab, HEADER_BYTES);
  }

  /** An empty set for keys of `keySize` bytes (1 + hash length) with room for `capacity` IDs. */
  static create(keySize: number, capacity: number): ContentIdSet {
    if (keySize < 2 || keySize > MAX_KEY_SIZE) throw new RangeError(`key size ${keySize} out of range`);
    const cap = capacityFor(Math.max(1, capacity));
    const sab = new SharedArrayBuffer(HEADER_BYTES + cap * (keySize + 1));
    const header = new Int32Array(sab, 0, HEADER_INTS);
    header[0] = MAGIC;
    header[1] = keySize;
    header[2] = cap;
    header[3] = 0;
    return new ContentIdSet(sab);
  }

  /** Reopens a set from toShared() (in another thread). */
  static fromShared(sab: SharedArrayBuffer): ContentIdSet {
    return new ContentIdSet(sab);
  }

  /**
   * A set holding the given IDs (live entries only when given ContentInfo), with room for
   * `extraCapacity` more. IDs whose key size differs from the first one are rejected; an empty input
   * gives a set for `emptyKeySize`-byte keys (17 = 128-bit hashes).
   */
  static fromContents(contents: Iterable<ContentInfo | string>, extraCapacity = 0, emptyKeySize = 17): ContentIdSet {
    let keys = Buffer.alloc(0);
    let ks = 0;
    let n = 0;
    const key = Buffer.alloc(MAX_KEY_SIZE);
    for (const c of contents) {
      if (typeof c !== 'string' && c.deleted) continue;
      const len = tryWriteContentKey(typeof c === 'string' ? c : c.contentId, key, 0);
      if (len < 0) throw new RangeError(`invalid content ID ${typeof c === 'string' ? c : c.contentId}`);
      if (ks === 0) ks = len;
      if (len !== ks) throw new RangeError(`content ID ${typeof c === 'string' ? c : c.contentId} has a different hash size`);
      if ((n + 1) * ks > keys.length) {
        const grown = Buffer.alloc(Math.max(1024, keys.length * 2));
        keys.copy(grown);
        keys = grown;
      }
      key.copy(keys, n * ks, 0, ks);
      n++;
    }
    const set = ContentIdSet.create(ks === 0 ? emptyKeySize : ks, n + extraCapacity);
    for (let i = 0; i < n; i++) set.addKey(keys, i * ks, ks);
    return set;
  }

  /** The buffer to pass to workers (postMessage / workerData); no copy is made. */
  toShared(): SharedArrayBuffer {
    return this.sab;
  }

  get size(): number {
    return Atomics.load(this.header, 3);
  }

  /** Maximum number of IDs before add() refuses more. */
  get capacity(): number {
    return Math.floor((this.mask + 1) * MAX_LOAD);
  }

  has(contentId: string): boolean {
    const len = tryWriteContentKey(contentId, this.scratch, 0);
    return len === this.keySize && this.hasKey(this.scratch, 0, len);
  }

  /** Membership of the content `prefix ‖ hex(hash)`; `prefix` is "" for file data. */
  hasHash(hash: Uint8Array, prefix = ''): boolean {
    if (hash.length + 1 !== this.keySize) return false;
    const p = prefix === '' ? 0 : prefix.charCodeAt(0);
    const bytes = this.bytes;
    const ss = this.slotSize;
    const mask = this.mask;
    for (let i = contentKeyHashParts(p, hash, 0, hash.length) & mask; ; i = (i + 1) & mask) {
      const o = i * ss;
      if (bytes[o] === 0) return false;
      if (bytes[o + 1] === p && bytesEqual(bytes, o + 2, hash, 0, hash.length)) return true;
    }
  }

  /** Membership of the binary key at key[offset, offset+length). */
  hasKey(key: Uint8Array, offset: number, length: number): boolean {
    return length === this.keySize && this.bytes[this.probe(key, offset, length)] !== 0;
  }

  /** Adds an ID; returns false when the set is full or the ID has another hash size. */
  add(contentId: string): boolean {
    const len = tryWriteContentKey(contentId, this.scratch, 0);
    return len === this.keySize && this.addKey(this.scratch, 0, len);
  }

  /** Adds a binary key; returns false when the set is full (true when added or already present). */
  addKey(key: Uint8Array, offset: number, length: number): boolean {
    if (length !== this.keySize) return false;
    const bytes = this.bytes;
    const o = this.probe(key, offset, length);
    if (bytes[o] !== 0) return true;
    if (this.size + 1 > this.capacity) return false;
    for (let j = 0; j < length; j++) bytes[o + 1 + j] = key[offset + j]!;
    Atomics.store(bytes, o, 1);
    Atomics.add(this.header, 3, 1);
    return true;
  }

  /** Byte offset of the slot holding the key, or of the empty slot where it would go (linear probing). */
  private probe(key: Uint8Array, offset: number, length: number): number {
    const bytes = this.bytes;
    const ss = this.slotSize;
    const mask = this.mask;
    for (let i = contentKeyHash(key, offset, length) & mask; ; i = (i + 1) & mask) {
      const o = i * ss;
      if (bytes[o] === 0 || bytesEqual(bytes, o + 1, key, offset, length)) return o;
    }
  }
}
