// Index format v1 (kopia repo/content/index/index_v1.go), used by repositories created before v0.9.
// Header (8 bytes, big-endian): version=1, keySize u8, entrySize u16 (=20), entryCount u32; then sorted
// entryCount × (key ‖ entry) and the pack names. Entry (20 bytes): timestamp u48 ‖ formatVersion u8 ‖
// pack name length u8 ‖ absolute pack name offset u32 ‖ deleted bit + packOffset 31 bits ‖ packedLength
// u32. v1 has no compression; originalLength = packedLength − encryption overhead.
import { randomBytes } from 'node:crypto';
import type { ContentInfo } from './content-info.ts';
import { keyToContentId } from './content-id.ts';
import { IndexBuilder, type SortedIndexEntries } from './index-builder.ts';
import { corruptIndex as corrupt, segmentFindKey, segmentLowerBound, type IndexSegment } from './index-segment.ts';
import { INDEX_RANDOM_SUFFIX_SIZE } from './index-v2.ts';

export const INDEX_V1_VERSION = 1;
const HEADER_SIZE = 8;
const ENTRY_SIZE = 20;
const EMPTY_KEY_SIZE = 255;

export class IndexV1 implements IndexSegment {
  readonly version = 1 as const;
  readonly data: Buffer;
  readonly source: string;
  readonly keySize: number;
  readonly entryCount: number;
  private readonly stride: number;
  private readonly overhead: number;
  private readonly names = new Map<number, string>();

  /** `overhead` is the encryptor's per-content overhead (28), used to derive original lengths. */
  constructor(data: Buffer, source: string, overhead: number) {
    this.data = data;
    this.source = source;
    this.overhead = overhead;
    if (data.length < HEADER_SIZE) throw corrupt(source, `index of ${data.length} bytes is shorter than the 8-byte v1 header`);
    if (data[0] !== INDEX_V1_VERSION) throw corrupt(source, `index version ${data[0]} is not 1`);
    this.keySize = data[1]!;
    const entrySize = data.readUInt16BE(2);
    this.entryCount = data.readUInt32BE(4);
    if (this.keySize <= 1) throw corrupt(source, `invalid v1 key size ${this.keySize}`);
    if (entrySize !== ENTRY_SIZE && this.entryCount > 0) throw corrupt(source, `v1 entry size ${entrySize} is not 20`);
    this.stride = this.keySize + ENTRY_SIZE;
    if (HEADER_SIZE + this.entryCount * this.stride > data.length) {
      throw corrupt(source, `v1 index of ${data.length} bytes is truncated (${this.entryCount} entries)`);
    }
  }

  keyOffset(pos: number): number {
    return HEADER_SIZE + pos * this.stride;
  }

  contentId(pos: number): string {
    return keyToContentId(this.data, this.keyOffset(pos), this.keySize);
  }

  timestampSeconds(pos: number): number {
    return this.data.readUIntBE(this.keyOffset(pos) + this.keySize, 6);
  }

  isDeleted(pos: number): boolean {
    return (this.data[this.keyOffset(pos) + this.keySize + 12]! & 0x80) !== 0;
  }

  packBlobId(pos: number): string {
    const e = this.keyOffset(pos) + this.keySize;
    const len = this.data[e + 7]!;
    const off = this.data.readUInt32BE(e + 8);
    let name = this.names.get(off);
    if (name === undefined) {
      if (off + len > this.data.length) throw corrupt(this.source, `pack name at ${off}+${len} of entry ${pos} lies outside the index`);
      name = this.data.toString('latin1', off, off + len);
      this.names.set(off, name);
    }
    return name;
  }

  info(pos: number): ContentInfo {
    const d = this.data;
    const k = this.keyOffset(pos);
    const e = k + this.keySize;
    const packedLength = d.readUInt32BE(e + 16);
    return {
      contentId: keyToContentId(d, k, this.keySize),
      packBlobId: this.packBlobId(pos),
      packOffset: d.readUInt32BE(e + 12) & 0x7fffffff,
      packedLength,
      originalLength: Math.max(0, packedLength - this.overhead),
      timestampSeconds: d.readUIntBE(e, 6),
      deleted: (d[e + 12]! & 0x80) !== 0,
      compressionHeaderId: 0,
      formatVersion: d[e + 6]!,
      encryptionKeyId: 0,
    };
  }

  findKey(key: Uint8Array, offset = 0, length = key.length - offset): number {
    return segmentFindKey(this, key, offset, length);
  }

  lowerBound(key: Uint8Array, offset = 0, length = key.length - offset): number {
    return segmentLowerBound(this, key, offset, length);
  }
}

/** Encodes key-ordered entries as a v1 index (compression must be 0), optionally with 32 random bytes. */
export function encodeIndexV1(e: SortedIndexEntries, options: { readonly randomSuffix?: boolean } = {}): Buffer {
  const ks = e.count === 0 ? EMPTY_KEY_SIZE : e.keySize;
  const extraOffset = HEADER_SIZE + e.count * (e.count === 0 ? 0 : ks + ENTRY_SIZE);
  const nameOffsets = new Int32Array(e.packNames.length).fill(-1);
  const names: string[] = [];
  let namesLength = 0;
  for (let i = 0; i < e.count; i++) {
    const p = e.packId(i);
    const f = e.formats[e.formatId(i)]!;
    if (f.compressionHeaderId !== 0) throw new RangeError('index v1 cannot record compressed contents');
    if (f.encryptionKeyId !== 0) throw new RangeError('index v1 cannot record an encryption key ID');
    if (nameOffsets[p]! < 0) {
      const name = e.packNames[p]!;
      if (name === '') throw new RangeError(`entry ${i} has no pack blob ID`);
      nameOffsets[p] = extraOffset + namesLength;
      names.push(name);
      namesLength += Buffer.byteLength(name, 'latin1');
    }
  }
  const suffix = options.randomSuffix === true ? INDEX_RANDOM_SUFFIX_SIZE : 0;
  const out = Buffer.alloc(extraOffset + namesLength + suffix);
  out[0] = INDEX_V1_VERSION;
  out[1] = ks;
  out.writeUInt16BE(ENTRY_SIZE, 2);
  out.writeUInt32BE(e.count, 4);
  for (let i = 0; i < e.count; i++) {
    const k = HEADER_SIZE + i * (ks + ENTRY_SIZE);
    const ko = e.keyOffset(i);
    e.keys.copy(out, k, ko, ko + ks);
    const v = k + ks;
    const p = e.packId(i);
    out.writeUIntBE(e.timestampSeconds(i), v, 6);
    out[v + 6] = e.formats[e.formatId(i)]!.formatVersion;
    out[v + 7] = Buffer.byteLength(e.packNames[p]!, 'latin1');
    out.writeUInt32BE(nameOffsets[p]!, v + 8);
    out.writeUInt32BE((e.packOffset(i) | (e.deleted(i) ? 0x80000000 : 0)) >>> 0, v + 12);
    out.writeUInt32BE(e.packedLength(i), v + 16);
  }
  let o = extraOffset;
  for (const n of names) o += out.write(n, o, 'latin1');
  if (suffix > 0) randomBytes(suffix).copy(out, o);
  return out;
}

/** An IndexBuilder whose build() produces a v1 index. */
export class IndexV1Builder extends IndexBuilder {
  build(options: { readonly randomSuffix?: boolean } = {}): Buffer {
    return encodeIndexV1(this.sorted(), options);
  }
}
