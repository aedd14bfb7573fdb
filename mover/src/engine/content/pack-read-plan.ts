// Which bytes of which pack to GET for a set of contents: contents grouped by pack, sorted by offset and
// coalesced into ranged reads that read small gaps through and stay under a size cap — fewer, larger GETs,
// as restic's LoadBlobsFromPack and kopia's restore do. Pure planning, no I/O.
import type { ContentInfo } from './content-info.ts';

/** One ranged GET of a pack and the contents it covers. Plain data: it crosses thread boundaries. */
export interface PackRange {
  readonly packBlobId: string;
  readonly offset: number;
  readonly length: number;
  /** Contents inside the range, by pack offset. */
  readonly contents: readonly ContentInfo[];
}

export interface RangePlanOptions {
  /** Largest single GET (a content larger than this gets a range of its own). */
  readonly maxRangeBytes: number;
  /** Unneeded bytes between two contents that are read through rather than split into two GETs. */
  readonly maxGapBytes: number;
}

/** Groups contents by pack and coalesces neighbours into ranged reads. */
export function planPackReads(contents: Iterable<ContentInfo>, options: RangePlanOptions): PackRange[] {
  const byPack = new Map<string, ContentInfo[]>();
  for (const c of contents) {
    let list = byPack.get(c.packBlobId);
    if (list === undefined) byPack.set(c.packBlobId, (list = []));
    list.push(c);
  }
  const ranges: PackRange[] = [];
  for (const [packBlobId, list] of byPack) {
    list.sort((a, b) => a.packOffset - b.packOffset);
    let cur: ContentInfo[] = [];
    let start = 0;
    let end = 0;
    const close = (): void => {
      if (cur.length > 0) ranges.push({ packBlobId, offset: start, length: end - start, contents: cur });
      cur = [];
    };
    for (const c of list) {
      const cEnd = c.packOffset + c.packedLength;
      if (cur.length > 0 && (c.packOffset - end > options.maxGapBytes || cEnd - start > options.maxRangeBytes)) close();
      if (cur.length === 0) {
        start = c.packOffset;
        end = cEnd;
      } else {
        end = Math.max(end, cEnd);
      }
      cur.push(c);
    }
    close();
  }
  return ranges;
}
