import { describe, expect, it } from 'vitest';
import type { ContentInfo } from '../content/content-info.ts';
import { IndexV2, IndexV2Builder } from '../content/index-v2.ts';
import { MergedIndex } from '../content/merged-index.ts';
import { ContentMarks } from './content-marks.ts';

function info(contentId: string, over: Partial<ContentInfo> = {}): ContentInfo {
  return {
    contentId, packBlobId: 'p0', packOffset: 0, packedLength: 40, originalLength: 12, timestampSeconds: 1000, deleted: false,
    compressionHeaderId: 0, formatVersion: 2, encryptionKeyId: 0, ...over,
  };
}

function segment(entries: ContentInfo[], name: string): IndexV2 {
  const b = new IndexV2Builder();
  for (const e of entries) b.add(e);
  return new IndexV2(b.build(), name);
}

const id = (i: number): string => i.toString(16).padStart(32, '0');

describe('ContentMarks over a frozen merged index', () => {
  it('marks each content once, by its winning entry, and ignores unknown IDs', () => {
    const live = new MergedIndex([
      segment([info(id(1)), info(id(2)), info(id(3))], 'xn0_a'),
      segment([info(id(2), { packBlobId: 'p1', timestampSeconds: 2000 })], 'xn0_b'),
    ]);
    const frozen = live.frozenCopy();
    const marks = new ContentMarks(frozen);
    marks.add(id(2)).add(id(2)).add(id(9));
    expect(marks.size).toBe(1);
    expect(marks.has(id(2))).toBe(true);
    expect(marks.has(id(1))).toBe(false);
    expect(marks.has(id(9))).toBe(false);
    expect(frozen.infoAt(frozen.refOf(id(2))).packBlobId).toBe('p1');
    expect(frozen.refOf(id(9))).toBe(-1);
  });

  it('keeps references when the live index gains a newer entry for a marked content', () => {
    const live = new MergedIndex([segment([info(id(1)), info(id(2))], 'xn0_a')]);
    const frozen = live.frozenCopy();
    const marks = new ContentMarks(frozen);
    marks.add(id(1));
    live.addSegment(segment([info(id(1), { packBlobId: 'p7', timestampSeconds: 5000 }), info(id(3))], 'xn0_b'));
    expect(frozen.size).toBe(2);
    expect(marks.has(id(1))).toBe(true);
    expect(frozen.infoAt(frozen.refOf(id(1))).packBlobId).toBe('p0');
    expect(live.get(id(1))?.packBlobId).toBe('p7');
  });

  it('lists live contents and deletions above the watermark, as iterate({ includeDeleted }) does', () => {
    const m = new MergedIndex([segment([
      info(id(1)), info(id(2), { deleted: true, timestampSeconds: 500 }), info(id(3), { deleted: true, timestampSeconds: 1500 }),
    ], 'xn0_a')], 1000);
    const listed: string[] = [];
    m.forEachListedRef((ref) => listed.push(m.infoAt(ref).contentId));
    expect(listed.sort()).toEqual([...m.iterate({ includeDeleted: true })].map((c) => c.contentId));
    expect(listed.sort()).toEqual([id(1), id(3)]);
    expect(m.refLimit).toBe(3);
  });
});
