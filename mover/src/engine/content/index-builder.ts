// A growing set of index entries in typed arrays (kopia repo/content/index/index_builder.go Builder),
// with O(1) lookup by content ID. Adding an entry for a content that is already present keeps the
// winner of kopia's merge rule (index-segment.ts entryWins). The builder is the pending index of a
// writer (contents in uploaded packs, not yet in an index blob) and the input of the v1/v2 encoders.
import type { ContentInfo } from './content-info.ts';
import { keyToContentId, tryWriteContentKey, writeContentKey, MAX_KEY_SIZE } from './content-id.ts';
import { sortedKeyOrder } from './key-sort.ts';
import { entryWins } from './index-segment.ts';
import { RefHashTable, bytesEqual, contentKeyHash } from './ref-hash-table.ts';

export interface IndexFormat {
  readonly compressionHeaderId: number;
  readonly formatVersion: number;
  readonly encryptionKeyId: number;
}

/** Read access to entries in key order, as the index encoders consume them. */
export interface SortedIndexEntries {
  readonly count: number;
  readonly keySize: number;
  /** Buffer holding the keys; keyOffset(i) locates the i-th key in key order. */
  readonly keys: Buffer;
  /** Pack blob IDs referenced by packId(i). */
  readonly packNames: readonly string[];
  /** Formats referenced by formatId(i). */
  readonly formats: readonly IndexFormat[];
  keyOffset(i: number): number;
  timestampSeconds(i: number): number;
  deleted(i: number): boolean;
  packOffset(i: number): number;
  originalLength(i: number): number;
  packedLength(i: number): number;
  packId(i: number): number;
  formatId(i: number): number;
}

export class IndexBuilder extends RefHashTable {
  private n = 0;
  private cap: number;
  private ks = 0;
  private keyBuf: Buffer;
  private ts: Float64Array;
  private off: Uint32Array;
  private orig: Uint32Array;
  private packed: Uint32Array;
  private pack: Uint32Array;
  private fmt: Uint16Array;
  private del: Uint8Array;
  private readonly packIds: string[] = [];
  private readonly packIdIndex = new Map<string, number>();
  private readonly formats: IndexFormat[] = [];
  private readonly formatIndex = new Map<string, number>();
  private readonly scratch = Buffer.alloc(MAX_KEY_SIZE);

  constructor(expectedCount = 16) {
    super(expectedCount);
    this.cap = Math.max(16, expectedCount);
    this.keyBuf = Buffer.alloc(0);
    this.ts = new Float64Array(this.cap);
    this.off = new Uint32Array(this.cap);
    this.orig = new Uint32Array(this.cap);
    this.packed = new Uint32Array(this.cap);
    this.pack = new Uint32Array(this.cap);
    this.fmt = new Uint16Array(this.cap);
    this.del = new Uint8Array(this.cap);
  }

  /** Number of distinct contents. */
  get size(): number {
    return this.n;
  }

  get keySize(): number {
    return this.ks;
  }

  /** Adds an entry, or replaces the existing entry of the same content when this one wins. */
  add(info: ContentInfo): void {
    this.put(info, false);
  }

  /** Adds an entry, or replaces the existing entry of the same content whatever their timestamps (a Map's set). */
  set(info: ContentInfo): void {
    this.put(info, true);
  }

  private put(info: ContentInfo, replace: boolean): void {
    const key = this.scratch;
    const size = writeContentKey(info.contentId, key, 0);
    if (this.ks === 0) {
      this.ks = size;
      this.keyBuf = Buffer.alloc(this.cap * size);
    } else if (size !== this.ks) {
      throw new RangeError(`content ${info.contentId} has a ${size - 1}-byte hash; this index holds ${this.ks - 1}-byte hashes`);
    }
    const hash = contentKeyHash(key, 0, size);
    const existingSlot = this.insertRef(this.n, key, 0, size, hash);
    if (existingSlot >= 0) {
      const i = this.refAtSlot(existingSlot);
      if (replace || entryWins(info.timestampSeconds, info.deleted, info.packBlobId, this.ts[i]!, this.del[i] === 1, this.packIds[this.pack[i]!]!)) {
        this.store(i, info);
      }
      return;
    }
    if (this.n === this.cap) this.growArrays();
    key.copy(this.keyBuf, this.n * size, 0, size);
    this.store(this.n, info);
    this.n++;
  }

  /** Makes room for `extra` more entries at once, growing to exactly that (no doubling slack to fill). */
  reserve(extra: number): void {
    const need = this.n + extra;
    if (need > this.cap) this.resizeArrays(need);
  }

  /**
   * Adds every entry of `src` (kopia's merge rule where a content is in both) straight from its arrays: no
   * ContentInfo object or ID string per entry. A pack of tiny contents holds 100,000+ of them, and objects
   * made for all of them in one go outgrow the young generation and are promoted as garbage.
   */
  addAllFrom(src: IndexBuilder): void {
    if (src.n === 0) return;
    const ks = src.ks;
    if (this.ks === 0) {
      this.ks = ks;
      this.keyBuf = Buffer.alloc(this.cap * ks);
    } else if (ks !== this.ks) {
      throw new RangeError(`contents with ${ks - 1}-byte hashes cannot join an index of ${this.ks - 1}-byte hashes`);
    }
    this.reserve(src.n);
    const packMap = src.packIds.map((id) => this.packIndexOf(id));
    const fmtMap = src.formats.map((f) => this.formatIndexOf(f));
    for (let j = 0; j < src.n; j++) {
      const ko = j * ks;
      const slot = this.insertRef(this.n, src.keyBuf, ko, ks, contentKeyHash(src.keyBuf, ko, ks));
      let i: number;
      if (slot >= 0) {
        i = this.refAtSlot(slot);
        if (!entryWins(src.ts[j]!, src.del[j] === 1, src.packIds[src.pack[j]!]!, this.ts[i]!, this.del[i] === 1, this.packIds[this.pack[i]!]!)) continue;
      } else {
        if (this.n === this.cap) this.growArrays();
        i = this.n++;
        src.keyBuf.copy(this.keyBuf, i * ks, ko, ko + ks);
      }
      this.ts[i] = src.ts[j]!;
      this.off[i] = src.off[j]!;
      this.orig[i] = src.orig[j]!;
      this.packed[i] = src.packed[j]!;
      this.del[i] = src.del[j]!;
      this.pack[i] = packMap[src.pack[j]!]!;
      this.fmt[i] = fmtMap[src.fmt[j]!]!;
    }
  }

  /** The entry for a content ID, or undefined. */
  get(contentId: string): ContentInfo | undefined {
    const i = this.find(contentId);
    return i < 0 ? undefined : this.infoAt(i);
  }

  has(contentId: string): boolean {
    return this.find(contentId) >= 0;
  }

  /** Entries in insertion order. */
  *entries(): Generator<ContentInfo> {
    for (let i = 0; i < this.n; i++) yield this.infoAt(i);
  }

  /** Removes everything (after the entries were committed to an index blob). */
  clear(): void {
    this.clearTable();
    this.n = 0;
    this.ks = 0;
    this.keyBuf = Buffer.alloc(0);
    this.resizeArrays(16); // the arrays of a million entries are not kept for the next session's few
    this.packIds.length = 0;
    this.packIdIndex.clear();
    this.formats.length = 0;
    this.formatIndex.clear();
  }

  /** A key-ordered view of the entries for the encoders. */
  sorted(): SortedIndexEntries {
    return new SortedView(this.keyBuf, this.ks, this.n, sortedKeyOrder(this.keyBuf, this.ks, this.n), this.ts, this.off,
      this.orig, this.packed, this.pack, this.fmt, this.del, this.packIds, this.formats);
  }

  protected override refHasKey(ref: number, key: Uint8Array, offset: number, length: number): boolean {
    if (length !== this.ks) return false;
    return bytesEqual(this.keyBuf, ref * this.ks, key, offset, length);
  }

  protected override refKeyHash(ref: number): number {
    return contentKeyHash(this.keyBuf, ref * this.ks, this.ks);
  }

  private find(contentId: string): number {
    if (this.n === 0) return -1;
    const key = this.scratch;
    const len = tryWriteContentKey(contentId, key, 0);
    if (len !== this.ks) return -1;
    return this.lookupRef(key, 0, len, contentKeyHash(key, 0, len));
  }

  private infoAt(i: number): ContentInfo {
    const f = this.formats[this.fmt[i]!]!;
    return {
      contentId: keyToContentId(this.keyBuf, i * this.ks, this.ks),
      packBlobId: this.packIds[this.pack[i]!]!,
      packOffset: this.off[i]!,
      packedLength: this.packed[i]!,
      originalLength: this.orig[i]!,
      timestampSeconds: this.ts[i]!,
      deleted: this.del[i] === 1,
      compressionHeaderId: f.compressionHeaderId,
      formatVersion: f.formatVersion,
      encryptionKeyId: f.encryptionKeyId,
    };
  }

  private store(i: number, info: ContentInfo): void {
    this.ts[i] = info.timestampSeconds;
    this.off[i] = info.packOffset;
    this.orig[i] = info.originalLength;
    this.packed[i] = info.packedLength;
    this.del[i] = info.deleted ? 1 : 0;
    this.pack[i] = this.packIndexOf(info.packBlobId);
    this.fmt[i] = this.formatIndexOf(info);
  }

  private packIndexOf(packBlobId: string): number {
    let p = this.packIdIndex.get(packBlobId);
    if (p === undefined) {
      p = this.packIds.length;
      this.packIds.push(packBlobId);
      this.packIdIndex.set(packBlobId, p);
    }
    return p;
  }

  private formatIndexOf(f: IndexFormat): number {
    const fk = `${f.compressionHeaderId}/${f.formatVersion}/${f.encryptionKeyId}`;
    let x = this.formatIndex.get(fk);
    if (x === undefined) {
      x = this.formats.length;
      this.formats.push({ compressionHeaderId: f.compressionHeaderId, formatVersion: f.formatVersion, encryptionKeyId: f.encryptionKeyId });
      this.formatIndex.set(fk, x);
    }
    return x;
  }

  private growArrays(): void {
    this.resizeArrays(this.cap * 2);
  }

  private resizeArrays(cap: number): void {
    if (this.ks > 0) {
      const keyBuf = Buffer.alloc(cap * this.ks);
      this.keyBuf.copy(keyBuf, 0, 0, this.n * this.ks);
      this.keyBuf = keyBuf;
    }
    this.ts = growF64(this.ts, cap);
    this.off = growU32(this.off, cap);
    this.orig = growU32(this.orig, cap);
    this.packed = growU32(this.packed, cap);
    this.pack = growU32(this.pack, cap);
    const fmt = new Uint16Array(cap);
    fmt.set(this.fmt.subarray(0, this.n));
    this.fmt = fmt;
    const del = new Uint8Array(cap);
    del.set(this.del.subarray(0, this.n));
    this.del = del;
    this.cap = cap;
  }
}

function growU32(a: Uint32Array, cap: number): Uint32Array {
  const b = new Uint32Array(cap);
  b.set(a.subarray(0, Math.min(a.length, cap)));
  return b;
}

function growF64(a: Float64Array, cap: number): Float64Array {
  const b = new Float64Array(cap);
  b.set(a.subarray(0, Math.min(a.length, cap)));
  return b;
}

class SortedView implements SortedIndexEntries {
  readonly keys: Buffer;
  readonly keySize: number;
  readonly count: number;
  readonly packNames: readonly string[];
  readonly formats: readonly IndexFormat[];
  private readonly order: Uint32Array;
  private readonly ts: Float64Array;
  private readonly off: Uint32Array;
  private readonly orig: Uint32Array;
  private readonly packed: Uint32Array;
  private readonly pack: Uint32Array;
  private readonly fmt: Uint16Array;
  private readonly del: Uint8Array;

  constructor(keys: Buffer, keySize: number, count: number, order: Uint32Array, ts: Float64Array, off: Uint32Array,
    orig: Uint32Array, packed: Uint32Array, pack: Uint32Array, fmt: Uint16Array, del: Uint8Array,
    packNames: readonly string[], formats: readonly IndexFormat[]) {
    this.keys = keys;
    this.keySize = keySize;
    this.count = count;
    this.order = order;
    this.ts = ts;
    this.off = off;
    this.orig = orig;
    this.packed = packed;
    this.pack = pack;
    this.fmt = fmt;
    this.del = del;
    this.packNames = packNames;
    this.formats = formats;
  }

  keyOffset(i: number): number {
    return this.order[i]! * this.keySize;
  }
  timestampSeconds(i: number): number {
    return this.ts[this.order[i]!]!;
  }
  deleted(i: number): boolean {
    return this.del[this.order[i]!] === 1;
  }
  packOffset(i: number): number {
    return this.off[this.order[i]!]!;
  }
  originalLength(i: number): number {
    return this.orig[this.order[i]!]!;
  }
  packedLength(i: number): number {
    return this.packed[this.order[i]!]!;
  }
  packId(i: number): number {
    return this.pack[this.order[i]!]!;
  }
  formatId(i: number): number {
    return this.fmt[this.order[i]!]!;
  }
}
