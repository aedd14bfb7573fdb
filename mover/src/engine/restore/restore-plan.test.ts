import { describe, expect, it } from 'vitest';
import type { ContentInfo } from '../content/content-info.ts';
import { planPackReads, resolveObjectLayout } from './restore-plan.ts';
import { FakeRepository } from '../snapshot/test-support/fake-repository.ts';

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

describe('resolveObjectLayout', () => {
  it('maps direct and indirect objects to chunks with offsets', async () => {
    const repo = new FakeRepository({ chunkSize: 1000 });
    const data = Buffer.alloc(2500, 3);
    data[1500] = 9;
    const big = repo.objects.put(data);
    const small = repo.objects.put(Buffer.from('hello'));
    const empty = repo.objects.put(Buffer.alloc(0));
    await repo.flush();
    expect(big.startsWith('Ix')).toBe(true);
    const layout = await resolveObjectLayout(repo, big, 'file big');
    expect(layout?.length).toBe(2500);
    expect(layout?.chunks.map((c) => [c.offset, c.length])).toEqual([
      [0, 1000],
      [1000, 1000],
      [2000, 500],
    ]);
    expect(await resolveObjectLayout(repo, small, 'f')).toEqual({ length: 5, chunks: [{ offset: 0, length: 5, contentId: small }] });
    expect(await resolveObjectLayout(repo, empty, 'f')).toEqual({ length: 0, chunks: [] });
    expect(await resolveObjectLayout(repo, 'Z' + small, 'f')).toBeUndefined();
    await expect(resolveObjectLayout(repo, 'ab'.repeat(16), 'file x/y')).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringContaining('file x/y') });
  });
});
