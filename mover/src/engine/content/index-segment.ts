// A parsed, read-only index (one index blob or one pack-local index), v1 or v2. Entries stay in the
// decrypted index bytes and are decoded on demand, so a loaded index costs little more than its bytes.
// Positions are 0..entryCount-1 in key order.
import { CorruptionError } from '../errors.ts';
import type { ContentInfo } from './content-info.ts';

export interface IndexSegment {
  readonly version: 1 | 2;
  /** The decrypted index bytes (trailing bytes beyond the index are allowed and ignored). */
  readonly data: Buffer;
  readonly entryCount: number;
  /** Bytes per key (1 + hash length); 255 in an empty v1 index. */
  readonly keySize: number;
  /** Where the index came from, for error messages (blob ID or "local index of <pack>"). */
  readonly source: string;
  /** Absolute offset of the key of entry `pos` in `data`. */
  keyOffset(pos: number): number;
  contentId(pos: number): string;
  timestampSeconds(pos: number): number;
  isDeleted(pos: number): boolean;
  packBlobId(pos: number): string;
  info(pos: number): ContentInfo;
  /** Position of the entry whose key equals `key[offset, offset+length)`, or -1. */
  findKey(key: Uint8Array, offset?: number, length?: number): number;
  /** First position whose key is >= the given key (entryCount when none). */
  lowerBound(key: Uint8Array, offset?: number, length?: number): number;
}

/** Binary search over the sorted keys of a segment; returns the first position with key >= probe. */
export function segmentLowerBound(seg: IndexSegment, key: Uint8Array, offset: number, length: number): number {
  let lo = 0;
  let hi = seg.entryCount;
  const data = seg.data;
  const ks = seg.keySize;
  const probe = Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const ko = seg.keyOffset(mid);
    if (data.compare(probe, offset, offset + length, ko, ko + ks) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function segmentFindKey(seg: IndexSegment, key: Uint8Array, offset: number, length: number): number {
  if (length !== seg.keySize || seg.entryCount === 0) return -1;
  const pos = segmentLowerBound(seg, key, offset, length);
  if (pos >= seg.entryCount) return -1;
  const ko = seg.keyOffset(pos);
  const probe = Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  return seg.data.compare(probe, offset, offset + length, ko, ko + length) === 0 ? pos : -1;
}

/**
 * Which of two entries for the same content wins (kopia index/merged.go contentInfoGreaterThanStruct):
 * the higher timestamp; on a tie the non-deleted one; on a tie the greater pack blob ID.
 * Returns true when (tsA, delA, packA) beats (tsB, delB, packB).
 */
export function entryWins(tsA: number, delA: boolean, packA: string, tsB: number, delB: boolean, packB: string): boolean {
  if (tsA !== tsB) return tsA > tsB;
  if (delA !== delB) return !delA;
  return packA > packB;
}

export function infoWins(a: ContentInfo, b: ContentInfo): boolean {
  return entryWins(a.timestampSeconds, a.deleted, a.packBlobId, b.timestampSeconds, b.deleted, b.packBlobId);
}

/** The error for a damaged index blob (v1 or v2), naming it. */
export function corruptIndex(source: string, what: string): CorruptionError {
  return new CorruptionError(`index ${source}: ${what}`, {
    hint: 'the index blob is damaged; restore it from a copy, or move it out and rebuild the index from the packs with `cairn index recover --commit`',
  });
}
