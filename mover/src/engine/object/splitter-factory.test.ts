import { describe, expect, it } from 'vitest';
import { UnsupportedError } from '../errors.ts';
import { GoMathRand } from './go-math-rand.ts';
import { createSplitter, supportedSplitters } from './splitter-factory.ts';
import { splitInSlices, splitWhole } from './test-support/split-all.ts';

describe('splitter factory', () => {
  it('creates splitters with kopia\'s parameters', () => {
    expect(createSplitter('FASTCDC-1M')).toMatchObject({ minSize: 512 << 10, avgSize: 1 << 20, maxSize: 8 << 20 });
    expect(createSplitter('DYNAMIC-4M-BUZHASH')).toMatchObject({ minSize: 2 << 20, avgSize: 4 << 20, maxSize: 8 << 20 });
    expect(createSplitter('DYNAMIC-128K-BUZHASH')).toMatchObject({ minSize: 64 << 10, maxSize: 256 << 10 });
    expect(createSplitter('DYNAMIC')).toMatchObject({ avgSize: 4 << 20, name: 'DYNAMIC' });
    expect(createSplitter('FIXED')).toMatchObject({ minSize: 4 << 20, maxSize: 4 << 20 });
    expect(createSplitter('FIXED-512K')).toMatchObject({ minSize: 512 << 10, maxSize: 512 << 10 });
    for (const name of supportedSplitters()) expect(createSplitter(name).name).toBe(name);
  });

  it('rejects unknown names and Rabin-Karp with UnsupportedError', () => {
    expect(() => createSplitter('DYNAMIC-4M-RABINKARP')).toThrow(UnsupportedError);
    expect(() => createSplitter('FASTCDC-3M')).toThrow(UnsupportedError);
    expect(() => createSplitter('FIXED-3M')).toThrow(UnsupportedError);
  });

  it('fixed splitters match kopia\'s stability vectors', () => {
    const data = new Uint8Array(5_000_000);
    new GoMathRand(5).read(data);
    const s = createSplitter('FIXED-128K');
    const cuts = splitWhole(s, data);
    expect(cuts.length).toBe(Math.floor(5_000_000 / (128 << 10)));
    expect(new Set(cuts)).toEqual(new Set([128 << 10]));
    expect(splitInSlices(s, data, () => 777)).toEqual(cuts);
  });
});
