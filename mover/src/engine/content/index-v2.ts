// Index format v2 (kopia repo/content/index/index_v2.go), byte-exact. Big-endian throughout.
// Header (17 bytes): version=2, keySize u8, entrySize u16, entryCount u32, packCount u32, formatCount u8,
// baseTimestamp u32 (writers leave 0). Then entryCount × (key ‖ entry), the pack table (packCount × 5:
// nameLength u8 ‖ absolute nameOffset u32), the format table (formatCount × 6: compression u32 ‖
// formatVersion u8 ‖ encryptionKeyId u8) and the pack names. Readers ignore trailing bytes.
// Entry: ts u32 | deleted bit + packOffset 31 bits | originalLength u24 | packedLength u24 | pack# u16 |
// optional format# u8 | optional pack# bits 16..23 | optional high nibbles of the two lengths.
import { randomBytes } from 'node:crypto';
import type { ContentInfo } from './content-info.ts';
import { keyToContentId } from './content-id.ts';
import { IndexBuilder, type IndexFormat, type SortedIndexEntries } from './index-builder.ts';
import { corruptIndex as corrupt, segmentFindKey, segmentLowerBound, type IndexSegment } from './index-segment.ts';

export const INDEX_V2_VERSION = 2;
const HEADER_SIZE = 17;
const PACK_INFO_SIZE = 5;
const FORMAT_INFO_SIZE = 6;
const ENTRY_MIN = 16;
const ENTRY_MAX = 19;
const MAX_STRIDE = 256;
const MAX_FORMATS = 255;
const MAX_PACKS = 1 << 24;
const MAX_SHORT_PACKS = 1 << 16;
const MAX_CONTENT_LENGTH = 1 << 28;
const MAX_SHORT_CONTENT_LENGTH = 1 << 24;
const MAX_PACK_OFFSET = 1 << 30;
/** Random bytes kopia appends to pack-local indexes so that each is globally unique. */
export const INDEX_RANDOM_SUFFIX_SIZE = 32;

const INVALID_FORMAT_VERSION = 0xff;
const INVALID_COMPRESSION = 0xffff;
const INVALID_KEY_ID = 0xff;
const INVALID_BLOB_ID = '---invalid---';


export class IndexV2 implements IndexSegment {
  readonly version = 2 as const;
  readonly data: Buffer;
  readonly source: string;
  readonly keySize: number;
  readonly entrySize: number;
  readonly entryCount: number;
  readonly baseTimestamp: number;
  readonly packBlobIds: readonly string[];
  readonly formats: readonly IndexFormat[];
  private readonly stride: number;

  constructor(data: Buffer, source: string) {
    this.data = data;
    this.source = source;
    if (data.length < HEADER_SIZE) throw corrupt(source, `index of ${data.length} bytes is shorter than the 17-byte v2 header`);
    if (data[0] !== INDEX_V2_VERSION) throw corrupt(source, `index version ${data[0]} is not 2`);
    this.keySize = data[1]!;
    this.entrySize = data.readUInt16BE(2);
    this.entryCount = data.readUInt32BE(4);
    const packCount = data.readUInt32BE(8);
    const formatCount = data[12]!;
    this.baseTimestamp = data.readUInt32BE(13);
    if (this.keySize <= 1 || this.entrySize < ENTRY_MIN || this.entrySize > ENTRY_MAX) {
      throw corrupt(source, `invalid v2 header (keySize ${this.keySize}, entrySize ${this.entrySize})`);
    }
    this.stride = this.keySize + this.entrySize;
    if (this.stride > MAX_STRIDE) throw corrupt(source, `v2 entry stride ${this.stride} exceeds ${MAX_STRIDE}`);
    const packsOffset = HEADER_SIZE + this.entryCount * this.stride;
    const formatsOffset = packsOffset + packCount * PACK_INFO_SIZE;
    if (formatsOffset + formatCount * FORMAT_INFO_SIZE > data.length) {
      throw corrupt(source, `v2 index of ${data.length} bytes is truncated (${this.entryCount} entries, ${packCount} packs, ${formatCount} formats)`);
    }
    const formats: IndexFormat[] = [];
    for (let i = 0; i < formatCount; i++) {
      const o = formatsOffset + i * FORMAT_INFO_SIZE;
      formats.push({ compressionHeaderId: data.readUInt32BE(o), formatVersion: data[o + 4]!, encryptionKeyId: data[o + 5]! });
    }
    this.formats = formats;
    const packs: string[] = new Array<string>(packCount);
    for (let i = 0; i < packCount; i++) {
      const o = packsOffset + i * PACK_INFO_SIZE;
      const len = data[o]!;
      const nameOffset = data.readUInt32BE(o + 1);
      if (nameOffset + len > data.length) throw corrupt(source, `pack name #${i} at ${nameOffset}+${len} lies outside the index`);
      packs[i] = data.toString('latin1', nameOffset, nameOffset + len);
    }
    this.packBlobIds = packs;
  }

  keyOffset(pos: number): number {
    return HEADER_SIZE + pos * this.stride;
  }

  contentId(pos: number): string {
    return keyToContentId(this.data, this.keyOffset(pos), this.keySize);
  }

  timestampSeconds(pos: number): number {
    return this.data.readUInt32BE(this.keyOffset(pos) + this.keySize) + this.baseTimestamp;
  }

  isDeleted(pos: number): boolean {
    return (this.data[this.keyOffset(pos) + this.keySize + 4]! & 0x80) !== 0;
  }

  packBlobId(pos: number): string {
    const e = this.keyOffset(pos) + this.keySize;
    let p = this.data.readUInt16BE(e + 14);
    if (this.entrySize > 17) p |= this.data[e + 17]! << 16;
    return p < this.packBlobIds.length ? this.packBlobIds[p]! : INVALID_BLOB_ID;
  }

  info(pos: number): ContentInfo {
    const d = this.data;
    const k = this.keyOffset(pos);
    const e = k + this.keySize;
    let originalLength = d.readUIntBE(e + 8, 3);
    let packedLength = d.readUIntBE(e + 11, 3);
    if (this.entrySize > 18) {
      const hi = d[e + 18]!;
      originalLength += (hi >> 4) * MAX_SHORT_CONTENT_LENGTH;
      packedLength += (hi & 0xf) * MAX_SHORT_CONTENT_LENGTH;
    }
    const fid = this.entrySize > 16 ? d[e + 16]! : 0;
    const f = this.formats[fid];
    return {
      contentId: keyToContentId(d, k, this.keySize),
      packBlobId: this.packBlobId(pos),
      packOffset: d.readUInt32BE(e + 4) & 0x7fffffff,
      packedLength,
      originalLength,
      timestampSeconds: d.readUInt32BE(e) + this.baseTimestamp,
      deleted: (d[e + 4]! & 0x80) !== 0,
      compressionHeaderId: f?.compressionHeaderId ?? INVALID_COMPRESSION,
      formatVersion: f?.formatVersion ?? INVALID_FORMAT_VERSION,
      encryptionKeyId: f?.encryptionKeyId ?? INVALID_KEY_ID,
    };
  }

  findKey(key: Uint8Array, offset = 0, length = key.length - offset): number {
    return segmentFindKey(this, key, offset, length);
  }

  lowerBound(key: Uint8Array, offset = 0, length = key.length - offset): number {
    return segmentLowerBound(this, key, offset, length);
  }
}

/** Encodes key-ordered entries as a v2 index, optionally followed by 32 random bytes. */
export function encodeIndexV2(e: SortedIndexEntries, options: { readonly randomSuffix?: boolean } = {}): Buffer {
  if (e.count === 0 || e.keySize <= 1) throw new RangeError('cannot encode an empty v2 index');
  // pack and format tables list their items in order of first appearance in the sorted entries
  const packRemap = new Int32Array(e.packNames.length).fill(-1);
  const packOrder: number[] = [];
  const formatRemap = new Int32Array(e.formats.length).fill(-1);
  const formatOrder: number[] = [];
  let maxLen = 0;
  let maxOffset = 0;
  for (let i = 0; i < e.count; i++) {
    const p = e.packId(i);
    if (packRemap[p]! < 0) {
      packRemap[p] = packOrder.length;
      packOrder.push(p);
    }
    const f = e.formatId(i);
    if (formatRemap[f]! < 0) {
      formatRemap[f] = formatOrder.length;
      formatOrder.push(f);
    }
    const pl = e.packedLength(i);
    const ol = e.originalLength(i);
    if (pl > maxLen) maxLen = pl;
    if (ol > maxLen) maxLen = ol;
    const po = e.packOffset(i);
    if (po > maxOffset) maxOffset = po;
  }
  const packNames = packOrder.map((p) => e.packNames[p]!);
  const formats = formatOrder.map((f) => e.formats[f]!);
  if (formats.length > MAX_FORMATS) throw new RangeError(`too many distinct formats in one index: ${formats.length}`);
  if (packNames.length > MAX_PACKS) throw new RangeError(`too many packs in one index: ${packNames.length}`);
  if (maxLen >= MAX_CONTENT_LENGTH) throw new RangeError(`content length ${maxLen} does not fit index v2 (max ${MAX_CONTENT_LENGTH - 1})`);
  if (maxOffset >= MAX_PACK_OFFSET) throw new RangeError(`pack offset ${maxOffset} does not fit index v2`);

  let entrySize = ENTRY_MIN;
  if (formats.length > 1) entrySize = 17;
  if (packNames.length > MAX_SHORT_PACKS) entrySize = 18;
  if (maxLen >= MAX_SHORT_CONTENT_LENGTH) entrySize = 19;

  const ks = e.keySize;
  const stride = ks + entrySize;
  const packsOffset = HEADER_SIZE + e.count * stride;
  const formatsOffset = packsOffset + packNames.length * PACK_INFO_SIZE;
  const extraOffset = formatsOffset + formats.length * FORMAT_INFO_SIZE;
  let namesLength = 0;
  for (const p of packNames) namesLength += Buffer.byteLength(p, 'latin1');
  const suffix = options.randomSuffix === true ? INDEX_RANDOM_SUFFIX_SIZE : 0;
  const out = Buffer.alloc(extraOffset + namesLength + suffix);

  out[0] = INDEX_V2_VERSION;
  out[1] = ks;
  out.writeUInt16BE(entrySize, 2);
  out.writeUInt32BE(e.count, 4);
  out.writeUInt32BE(packNames.length, 8);
  out[12] = formats.length;
  out.writeUInt32BE(0, 13);

  for (let i = 0; i < e.count; i++) {
    const k = HEADER_SIZE + i * stride;
    const ko = e.keyOffset(i);
    const keys = e.keys;
    for (let j = 0; j < ks; j++) out[k + j] = keys[ko + j]!;
    const v = k + ks;
    const ts = e.timestampSeconds(i);
    if (ts < 0 || ts > 0xffffffff) throw new RangeError(`timestamp ${ts} of entry ${i} does not fit index v2`);
    out.writeUInt32BE(ts, v);
    out.writeUInt32BE((e.packOffset(i) | (e.deleted(i) ? 0x80000000 : 0)) >>> 0, v + 4);
    const orig = e.originalLength(i);
    const packed = e.packedLength(i);
    out[v + 8] = (orig >>> 16) & 0xff;
    out[v + 9] = (orig >>> 8) & 0xff;
    out[v + 10] = orig & 0xff;
    out[v + 11] = (packed >>> 16) & 0xff;
    out[v + 12] = (packed >>> 8) & 0xff;
    out[v + 13] = packed & 0xff;
    const p = packRemap[e.packId(i)]!;
    out[v + 14] = (p >>> 8) & 0xff;
    out[v + 15] = p & 0xff;
    if (entrySize > 16) out[v + 16] = formatRemap[e.formatId(i)]!;
    if (entrySize > 17) out[v + 17] = p >>> 16;
    if (entrySize > 18) out[v + 18] = ((orig >>> 24) << 4) | (packed >>> 24);
  }

  let nameOffset = extraOffset;
  for (let i = 0; i < packNames.length; i++) {
    const o = packsOffset + i * PACK_INFO_SIZE;
    const len = out.write(packNames[i]!, nameOffset, 'latin1');
    if (len > 255) throw new RangeError(`pack blob ID ${packNames[i]} is longer than 255 bytes`);
    out[o] = len;
    out.writeUInt32BE(nameOffset, o + 1);
    nameOffset += len;
  }
  for (let i = 0; i < formats.length; i++) {
    const o = formatsOffset + i * FORMAT_INFO_SIZE;
    const f = formats[i]!;
    out.writeUInt32BE(f.compressionHeaderId >>> 0, o);
    out[o + 4] = f.formatVersion;
    out[o + 5] = f.encryptionKeyId;
  }
  if (suffix > 0) randomBytes(suffix).copy(out, nameOffset);
  return out;
}

/** An IndexBuilder whose build() produces a v2 index (kopia Builder.Build / buildStable). */
export class IndexV2Builder extends IndexBuilder {
  /** Sorted v2 bytes; `randomSuffix` appends 32 random bytes as kopia does for pack-local indexes. */
  build(options: { readonly randomSuffix?: boolean } = {}): Buffer {
    return encodeIndexV2(this.sorted(), options);
  }
}
