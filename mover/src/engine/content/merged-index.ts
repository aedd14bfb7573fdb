// The merged view of many index segments (kopia index/merged.go + committed_content_index.go). Every
// content ID maps to its winning entry (entryWins: higher timestamp, then non-deleted, then greater pack
// blob ID) through one open-addressing table of uint32 references `segmentBase + position`; the entries
// themselves stay in the segments' index bytes. Memory is the index bytes plus 5 bytes per table slot
// (≈ 42-48 bytes per content for 128-bit hashes; 10 million measured by `npm run bench -- --runs index`),
// lookups are O(1) and allocation-free.
// Deleted entries whose timestamp is at or before the deletion watermark count as non-existent.
import type { ContentInfo } from './content-info.ts';
import { MAX_KEY_SIZE, tryWriteContentKey } from './content-id.ts';
import { CursorHeap } from './cursor-heap.ts';
import { entryWins, type IndexSegment } from './index-segment.ts';
import { RefHashTable, bytesEqual, contentKeyHash } from './ref-hash-table.ts';

export interface IterateContentsOptions {
  /** Only IDs starting with this string ("" or absent: all). */
  readonly prefix?: string;
  /** Also yield deleted entries (those above the deletion watermark). */
  readonly includeDeleted?: boolean;
}

export class MergedIndex extends RefHashTable {
  private readonly segs: IndexSegment[] = [];
  private readonly bases: number[] = [];
  private total = 0;
  private watermark: number;
  private readonly scratch = Buffer.alloc(MAX_KEY_SIZE);

  constructor(segments: readonly IndexSegment[] = [], deletionWatermarkSeconds = 0) {
    let expected = 0;
    for (const s of segments) expected += s.entryCount;
    super(expected);
    this.watermark = deletionWatermarkSeconds;
    for (const s of segments) this.addSegment(s);
  }

  get segments(): readonly IndexSegment[] {
    return this.segs;
  }

  /** Number of distinct content IDs (including deleted ones). */
  get size(): number {
    return this.tableSize;
  }

  /** Deleted entries with timestamps ≤ this (unix seconds) are treated as non-existent. */
  get deletionWatermarkSeconds(): number {
    return this.watermark;
  }

  set deletionWatermarkSeconds(v: number) {
    this.watermark = v;
  }

  /** Adds the entries of a segment; entries win over existing ones per kopia's merge rule. */
  addSegment(seg: IndexSegment): void {
    const base = this.total;
    if (base + seg.entryCount >= 0xffffffff) throw new RangeError('too many index entries for one merged index');
    this.segs.push(seg);
    this.bases.push(base);
    this.total += seg.entryCount;
    const data = seg.data;
    const ks = seg.keySize;
    for (let pos = 0; pos < seg.entryCount; pos++) {
      const ko = seg.keyOffset(pos);
      const slot = this.insertRef(base + pos, data, ko, ks, contentKeyHash(data, ko, ks));
      if (slot < 0) continue;
      const old = this.refAtSlot(slot);
      const os = this.segmentOf(old);
      const oseg = this.segs[os]!;
      const opos = old - this.bases[os]!;
      if (entryWins(seg.timestampSeconds(pos), seg.isDeleted(pos), seg.packBlobId(pos),
        oseg.timestampSeconds(opos), oseg.isDeleted(opos), oseg.packBlobId(opos))) {
        this.replaceAtSlot(slot, base + pos);
      }
    }
  }

  /** The winning entry, or undefined (also for deleted entries at or below the watermark). */
  get(contentId: string): ContentInfo | undefined {
    const ref = this.refForId(contentId);
    if (ref < 0) return undefined;
    const s = this.segmentOf(ref);
    const seg = this.segs[s]!;
    const pos = ref - this.bases[s]!;
    if (seg.isDeleted(pos) && seg.timestampSeconds(pos) <= this.watermark) return undefined;
    return seg.info(pos);
  }

  /**
   * The winning entry whatever its state, deleted entries at or below the watermark included: whether the
   * index has ever known the content (index blobs keep tombstones through compaction).
   */
  getAny(contentId: string): ContentInfo | undefined {
    const ref = this.refForId(contentId);
    if (ref < 0) return undefined;
    const s = this.segmentOf(ref);
    return this.segs[s]!.info(ref - this.bases[s]!);
  }

  /** True when a live (not deleted) copy of the content is indexed. */
  has(contentId: string): boolean {
    const ref = this.refForId(contentId);
    if (ref < 0) return false;
    const s = this.segmentOf(ref);
    return !this.segs[s]!.isDeleted(ref - this.bases[s]!);
  }

  /** As has(), for a binary key `[prefix or 0] ‖ hash` at key[offset, offset+length). */
  hasKey(key: Uint8Array, offset: number, length: number): boolean {
    const ref = this.lookupRef(key, offset, length, contentKeyHash(key, offset, length));
    if (ref < 0) return false;
    const s = this.segmentOf(ref);
    return !this.segs[s]!.isDeleted(ref - this.bases[s]!);
  }

  /**
   * A copy that never changes: the same segments (their bytes are shared, not copied) under a new table,
   * so references handed out by it stay valid however this index grows (≈ 13-27 bytes per content).
   */
  frozenCopy(): MergedIndex {
    return new MergedIndex(this.segs, this.watermark);
  }

  /** One past the largest reference: a bitmap of this many bits can mark every entry (see refOf). */
  get refLimit(): number {
    return this.total;
  }

  /**
   * The reference of the content's winning entry whatever its state, or -1. On an index that gains no
   * segments (frozenCopy) a content keeps its reference, so references can key per-content marks.
   */
  refOf(contentId: string): number {
    return this.refForId(contentId);
  }

  /** The winning entry behind a reference from refOf or forEachListedRef. */
  infoAt(ref: number): ContentInfo {
    const s = this.segmentOf(ref);
    return this.segs[s]!.info(ref - this.bases[s]!);
  }

  /**
   * Calls fn with the reference of every content iterate({ includeDeleted: true }) yields — live ones and
   * deleted ones above the watermark — unordered and without allocating per entry.
   */
  forEachListedRef(fn: (ref: number) => void): void {
    this.forEachRef((ref) => {
      const s = this.segmentOf(ref);
      const seg = this.segs[s]!;
      const pos = ref - this.bases[s]!;
      if (!seg.isDeleted(pos) || seg.timestampSeconds(pos) > this.watermark) fn(ref);
    });
  }

  /** Calls fn with the key of every live content (unordered); no per-entry allocation. */
  forEachLiveKey(fn: (data: Buffer, offset: number, length: number) => void): void {
    this.forEachRef((ref) => {
      const s = this.segmentOf(ref);
      const seg = this.segs[s]!;
      const pos = ref - this.bases[s]!;
      if (!seg.isDeleted(pos)) fn(seg.data, seg.keyOffset(pos), seg.keySize);
    });
  }

  /** Winning entries in content ID order. */
  *iterate(options: IterateContentsOptions = {}): Generator<ContentInfo> {
    const prefix = options.prefix ?? '';
    const includeDeleted = options.includeDeleted === true;
    const start = startKeyForPrefix(prefix);
    const heap = new CursorHeap(this.segs);
    for (let s = 0; s < this.segs.length; s++) {
      const seg = this.segs[s]!;
      const pos = start === undefined ? 0 : seg.lowerBound(start, 0, start.length);
      if (pos < seg.entryCount) heap.push(s, pos);
    }
    while (heap.size > 0) {
      const s = heap.topSegment();
      const pos = heap.topPosition();
      const seg = this.segs[s]!;
      if (pos + 1 < seg.entryCount) heap.replaceTop(s, pos + 1);
      else heap.pop();
      const ko = seg.keyOffset(pos);
      const ref = this.lookupRef(seg.data, ko, seg.keySize, contentKeyHash(seg.data, ko, seg.keySize));
      if (ref !== this.bases[s]! + pos) continue; // a loser or duplicate of the winner
      const info = seg.info(pos);
      if (prefix !== '' && !info.contentId.startsWith(prefix)) {
        if (info.contentId > prefix) return;
        continue;
      }
      if (info.deleted && (!includeDeleted || info.timestampSeconds <= this.watermark)) continue;
      yield info;
    }
  }

  protected override refHasKey(ref: number, key: Uint8Array, offset: number, length: number): boolean {
    const s = this.segmentOf(ref);
    const seg = this.segs[s]!;
    if (seg.keySize !== length) return false;
    return bytesEqual(seg.data, seg.keyOffset(ref - this.bases[s]!), key, offset, length);
  }

  protected override refKeyHash(ref: number): number {
    const s = this.segmentOf(ref);
    const seg = this.segs[s]!;
    return contentKeyHash(seg.data, seg.keyOffset(ref - this.bases[s]!), seg.keySize);
  }

  private refForId(contentId: string): number {
    const key = this.scratch;
    const len = tryWriteContentKey(contentId, key, 0);
    if (len < 0) return -1;
    return this.lookupRef(key, 0, len, contentKeyHash(key, 0, len));
  }

  private segmentOf(ref: number): number {
    const bases = this.bases;
    let lo = 0;
    let hi = bases.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (bases[mid]! <= ref) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** The smallest binary key of IDs that start with `prefix`, or undefined for "". */
function startKeyForPrefix(prefix: string): Buffer | undefined {
  if (prefix === '') return undefined;
  const c = prefix.charCodeAt(0);
  const hasLetter = c >= 0x67 && c <= 0x7a;
  let hex = hasLetter ? prefix.slice(1) : prefix;
  hex = hex.replace(/[^0-9a-f].*$/, '');
  if (hex.length % 2 === 1) hex += '0';
  return Buffer.concat([Buffer.from([hasLetter ? c : 0]), Buffer.from(hex, 'hex')]);
}
