import { describe, expect, it } from 'vitest';
import type { ContentInfo } from './content-info.ts';
import { planPackReads } from './pack-read-plan.ts';

function info(contentId: string, packBlobId: string, packOffset: number, packedLength: number): ContentInfo {
  return {
    contentId,
    packBlobId,
    packOffset,
    packedLength,
    originalLength: packedLength,
    timestampSeconds: 0,
    deleted: false,
    compressionHeaderId: 0,
    formatVersion: 2,
    encryptionKeyId: 0,
  };
}

describe('planPackReads', () => {
  it('coalesces neighbours of one pack, splits on large gaps and on the size cap', () => {
    const ranges = planPackReads(
      [info('c', 'p1', 300, 100), info('a', 'p1', 0, 100), info('b', 'p1', 150, 100), info('d', 'p1', 10_000, 50), info('e', 'p2', 40, 10), info('f', 'p1', 10_050, 900)],
      { maxGapBytes: 64, maxRangeBytes: 800 },
    );
    expect(ranges.map((r) => [r.packBlobId, r.offset, r.length, r.contents.map((c) => c.contentId).join('')])).toEqual([
      ['p1', 0, 400, 'abc'],
      ['p1', 10_000, 50, 'd'],
      ['p1', 10_050, 900, 'f'],
      ['p2', 40, 10, 'e'],
    ]);
  });
});
