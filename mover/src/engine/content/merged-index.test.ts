import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { ContentInfo } from './content-info.ts';
import { IndexV2, IndexV2Builder } from './index-v2.ts';
import { IndexV1Builder } from './index-v1.ts';
import { openIndex } from './index-codec.ts';
import { MergedIndex } from './merged-index.ts';
import type { IndexSegment } from './index-segment.ts';

function info(over: Partial<ContentInfo> & { contentId: string }): ContentInfo {
  return {
    packBlobId: 'p0',
    packOffset: 32,
    packedLength: 40,
    originalLength: 12,
    timestampSeconds: 1000,
    deleted: false,
    compressionHeaderId: 0,
    formatVersion: 2,
    encryptionKeyId: 0,
    ...over,
  };
}

function segment(entries: ContentInfo[], name = 'xn0_test'): IndexSegment {
  const b = new IndexV2Builder();
  for (const e of entries) b.add(e);
  return new IndexV2(b.build(), name);
}

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
const C = 'c'.repeat(32);
const KA = 'k' + '1'.repeat(32);

describe('MergedIndex', () => {
  it('picks the higher timestamp, then non-deleted, then the greater pack blob ID', () => {
    const m = new MergedIndex([
      segment([info({ contentId: A, packBlobId: 'p1', timestampSeconds: 10 }), info({ contentId: B, packBlobId: 'p1', timestampSeconds: 10, deleted: true })]),
      segment([info({ contentId: A, packBlobId: 'p2', timestampSeconds: 9 }), info({ contentId: B, packBlobId: 'p0', timestampSeconds: 10 })]),
      segment([info({ contentId: C, packBlobId: 'p1', timestampSeconds: 10 })]),
      segment([info({ contentId: C, packBlobId: 'p9', timestampSeconds: 10 })]),
    ]);
    expect(m.get(A)?.packBlobId).toBe('p1');
    expect(m.get(B)).toMatchObject({ packBlobId: 'p0', deleted: false });
    expect(m.get(C)?.packBlobId).toBe('p9');
    expect(m.size).toBe(3);
    // order of segments must not matter
    const rev = new MergedIndex([...m.segments].reverse());
    for (const id of [A, B, C]) expect(rev.get(id)).toEqual(m.get(id));
  });

  it('a later tombstone hides a content; deleted entries under the watermark do not exist', () => {
    const live = segment([info({ contentId: A, timestampSeconds: 100 })]);
    const tomb = segment([info({ contentId: A, timestampSeconds: 200, deleted: true })]);
    const m = new MergedIndex([live, tomb]);
    expect(m.has(A)).toBe(false);
    expect(m.get(A)).toMatchObject({ deleted: true, timestampSeconds: 200 });
    expect([...m.iterate()].length).toBe(0);
    expect([...m.iterate({ includeDeleted: true })].map((i) => i.contentId)).toEqual([A]);
    m.deletionWatermarkSeconds = 200;
    expect(m.get(A)).toBeUndefined();
    expect([...m.iterate({ includeDeleted: true })].length).toBe(0);
    m.deletionWatermarkSeconds = 199;
    expect(m.get(A)?.deleted).toBe(true);
    // a rewrite after the deletion brings it back
    m.addSegment(segment([info({ contentId: A, timestampSeconds: 201, packBlobId: 'p7' })]));
    expect(m.has(A)).toBe(true);
    expect(m.get(A)?.packBlobId).toBe('p7');
  });

  it('iterates winners in ID order across segments, with a prefix filter', () => {
    const ids: string[] = [];
    const segs: IndexSegment[] = [];
    for (let s = 0; s < 5; s++) {
      const entries: ContentInfo[] = [];
      for (let i = 0; i < 50; i++) {
        const prefix = ['', 'k', 'x', 'm'][i % 4]!;
        const id = prefix + randomBytes(16).toString('hex');
        ids.push(id);
        entries.push(info({ contentId: id }));
      }
      // duplicates of earlier IDs
      if (s > 0) entries.push(info({ contentId: ids[3]!, timestampSeconds: 5000, packBlobId: `p-dup${s}` }));
      segs.push(segment(entries));
    }
    const m = new MergedIndex(segs);
    const all = [...m.iterate()].map((i) => i.contentId);
    expect(all).toEqual([...ids].sort());
    expect(m.get(ids[3]!)?.packBlobId).toBe('p-dup4');
    expect([...m.iterate({ prefix: 'k' })].map((i) => i.contentId)).toEqual(ids.filter((i) => i.startsWith('k')).sort());
    const some = ids.find((i) => i.startsWith('x'))!;
    expect([...m.iterate({ prefix: some.slice(0, 4) })].map((i) => i.contentId)).toEqual(ids.filter((i) => i.startsWith(some.slice(0, 4))).sort());
    const unprefixed = ids.filter((i) => i.length === 32).sort();
    expect([...m.iterate({ prefix: unprefixed[0]!.slice(0, 1) })].map((i) => i.contentId)).toEqual(unprefixed.filter((i) => i[0] === unprefixed[0]![0]));
  });

  it('handles v1 segments and empty indexes together with v2', () => {
    const b1 = new IndexV1Builder();
    b1.add(info({ contentId: KA, packedLength: 100, originalLength: 72, formatVersion: 1 }));
    const v1 = openIndex(b1.build(), 'n0', 28);
    const empty = openIndex(new IndexV1Builder().build(), 'n1', 28);
    const m = new MergedIndex([empty, v1, empty, segment([info({ contentId: A })]), empty]);
    expect(m.get(KA)?.originalLength).toBe(72);
    expect(m.has(A)).toBe(true);
    expect(m.has('not-an-id')).toBe(false);
    expect(m.has(C)).toBe(false);
  });

  it('scales to hundreds of thousands of entries with compact memory', () => {
    const n = 400_000;
    const segs: IndexSegment[] = [];
    const probe: string[] = [];
    for (let s = 0; s < 4; s++) {
      const b = new IndexV2Builder(n / 4);
      const raw = randomBytes(16 * (n / 4));
      for (let i = 0; i < n / 4; i++) {
        const id = raw.toString('hex', 16 * i, 16 * i + 16);
        if (i % 5000 === 0) probe.push(id);
        b.add(info({ contentId: id, packBlobId: `p${s}-${i >> 12}` }));
      }
      segs.push(new IndexV2(b.build(), `xn0_${s}`));
    }
    const m = new MergedIndex(segs);
    expect(m.size).toBe(n);
    const indexBytes = segs.reduce((a, s) => a + s.data.length, 0);
    // 5 bytes per slot (uint32 ref + 8-bit hash tag) at a load of 0.38 here
    expect((indexBytes + m.tableBytes) / n).toBeLessThan(52);
    for (const id of probe) expect(m.has(id)).toBe(true);
    expect(m.has(randomBytes(16).toString('hex'))).toBe(false);
    // grown from empty one segment at a time: every growth re-places entries from their keys
    const grown = new MergedIndex();
    for (const s of segs) grown.addSegment(s);
    expect(grown.size).toBe(n);
    for (const id of probe) expect(grown.get(id)).toEqual(m.get(id));
    expect(grown.has(randomBytes(16).toString('hex'))).toBe(false);
  }, 60_000);
});
