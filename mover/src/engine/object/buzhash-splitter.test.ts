import { describe, expect, it } from 'vitest';
import { BUZHASH_TABLE, BuzhashSplitter } from './buzhash-splitter.ts';
import { GoMathRand } from './go-math-rand.ts';
import { mulberry32, splitInSlices, splitWhole } from './test-support/split-all.ts';

// kopia repo/splitter/splitter_test.go TestSplitterStability: 5,000,000 bytes of rand.NewSource(5).
const data = new Uint8Array(5_000_000);
new GoMathRand(5).read(data);

function stats(lengths: number[]): { count: number; avg: number; min: number; max: number } {
  return {
    count: lengths.length,
    avg: Math.floor(data.length / lengths.length),
    min: lengths.reduce((a, b) => Math.min(a, b)),
    max: lengths.reduce((a, b) => Math.max(a, b)),
  };
}

describe('BuzhashSplitter (kopia DYNAMIC-*-BUZHASH)', () => {
  it('uses rollinghash buzhash32 GenerateHashes(1)', () => {
    expect([...BUZHASH_TABLE.subarray(0, 8)].map((x) => x >>> 0)).toEqual([
      0x07fcfd52, 0x5f3f164f, 0x6695721d, 0x7b4d7c03, 0x49c6e2d1, 0x0d1d68d8, 0x7916001e, 0x22c4d294,
    ]);
    expect(new Set(BUZHASH_TABLE).size).toBe(256);
  });

  const vectors = [
    { avg: 32, count: 124235, mean: 40, min: 16, max: 64 },
    { avg: 1024, count: 3835, mean: 1303, min: 512, max: 2048 },
    { avg: 2048, count: 1924, mean: 2598, min: 1024, max: 4096 },
    { avg: 32768, count: 112, mean: 44642, min: 16413, max: 65536 },
    { avg: 65536, count: 57, mean: 87719, min: 32932, max: 131072 },
  ];

  for (const v of vectors) {
    it(`matches kopia's stability vector for avg ${v.avg}, whole buffer and random slices`, () => {
      const s = new BuzhashSplitter(v.avg);
      expect(s.maxSize).toBe(v.max);
      const whole = splitWhole(s, data);
      expect(stats(whole)).toEqual({ count: v.count, avg: v.mean, min: v.min, max: v.max });
      // splitter reuse after reset() and arbitrary slicing must not change anything
      const rnd = mulberry32(v.avg);
      expect(splitInSlices(s, data, () => Math.floor(rnd() * 1000) + 1)).toEqual(whole);
    });
  }

  it('gives the same cuts when fed byte by byte', () => {
    const s = new BuzhashSplitter(1024);
    const part = data.subarray(0, 400_000);
    expect(splitInSlices(s, part, () => 1)).toEqual(splitWhole(s, part));
  });

  it('rejects sizes that are not powers of two', () => {
    expect(() => new BuzhashSplitter(1000)).toThrow(RangeError);
  });
});
