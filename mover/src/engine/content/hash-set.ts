// A growable set of equal-length binary hashes in two typed arrays (the hashes back to back, and the
// RefHashTable's slots): what a hashing worker keeps of every content it prepared this run, so a repeat is
// not compressed and encrypted twice. A Set of hex IDs cost ~80 bytes per content in the worker's V8 heap
// (a 48-byte string and the Set's entry) that every full collection marks; this is ~16 + 7-14 bytes per
// 128-bit hash outside it (1,000,000 small files, 524,000 contents over two workers: ~21 MiB less).
import { RefHashTable, bytesEqual, contentKeyHashParts } from './ref-hash-table.ts';

export class HashSet extends RefHashTable {
  private readonly hashBytes: number;
  private keys: Uint8Array;
  private n = 0;

  /** A set of `hashBytes`-byte hashes (every hash added must have that length). */
  constructor(hashBytes: number) {
    super(0);
    if (!Number.isInteger(hashBytes) || hashBytes < 1) throw new RangeError(`hash length ${hashBytes} out of range`);
    this.hashBytes = hashBytes;
    this.keys = new Uint8Array(16 * hashBytes);
  }

  get size(): number {
    return this.n;
  }

  has(hash: Uint8Array): boolean {
    this.checkLength(hash);
    return this.lookupRef(hash, 0, hash.length, contentKeyHashParts(0, hash, 0, hash.length)) >= 0;
  }

  /** Adds the hash; false when it was already present. */
  add(hash: Uint8Array): boolean {
    this.checkLength(hash);
    const hb = this.hashBytes;
    if ((this.n + 1) * hb > this.keys.length) {
      const grown = new Uint8Array(this.keys.length * 2);
      grown.set(this.keys);
      this.keys = grown;
    }
    // written where the next entry goes; when the hash is already present the next add overwrites it
    this.keys.set(hash, this.n * hb);
    if (this.insertRef(this.n, hash, 0, hb, contentKeyHashParts(0, hash, 0, hb)) >= 0) return false;
    this.n++;
    return true;
  }

  protected override refHasKey(ref: number, key: Uint8Array, offset: number, length: number): boolean {
    return bytesEqual(this.keys, ref * this.hashBytes, key, offset, length);
  }

  protected override refKeyHash(ref: number): number {
    return contentKeyHashParts(0, this.keys, ref * this.hashBytes, this.hashBytes);
  }

  private checkLength(hash: Uint8Array): void {
    if (hash.length !== this.hashBytes) throw new RangeError(`hash of ${hash.length} bytes in a set of ${this.hashBytes}-byte hashes`);
  }
}
