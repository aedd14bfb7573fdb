import { describe, expect, it } from 'vitest';
import { dataSegments, MIN_HOLE_BYTES } from './restore-file-writer.ts';

describe('dataSegments', () => {
  it('leaves out zero runs of at least MIN_HOLE_BYTES, aligned to the file offset', () => {
    const d = Buffer.alloc(200 * 1024);
    d[0] = 1;
    d[100 * 1024] = 1;
    d[200 * 1024 - 1] = 1;
    expect(dataSegments(d, 0)).toEqual([
      [0, 4096],
      [100 * 1024, 100 * 1024 + 4096],
      [196 * 1024, 200 * 1024],
    ]);
    // Offset 1000 into the file: blocks end at file multiples of 4096.
    expect(dataSegments(d, 1000)[0]).toEqual([0, 3096]);
  });

  it('writes short zero runs as data and all-zero buffers not at all', () => {
    const d = Buffer.alloc(MIN_HOLE_BYTES, 0);
    d[0] = 1;
    d[MIN_HOLE_BYTES - 1] = 1;
    expect(dataSegments(d, 0)).toEqual([[0, MIN_HOLE_BYTES]]);
    expect(dataSegments(Buffer.alloc(1 << 20), 0)).toEqual([]);
    expect(dataSegments(Buffer.alloc(100), 0)).toEqual([[0, 100]]);
    const tail = Buffer.alloc(64 * 1024);
    tail[5] = 1;
    expect(dataSegments(tail, 0)).toEqual([[0, 4096]]);
  });

  it('a block zero at both ends but not in between is data (the quick test only decides non-zero blocks)', () => {
    const d = Buffer.alloc(128 * 1024);
    for (let b = 0; b < 32; b++) d[b * 4096 + 2048] = 7; // every block holds one non-zero byte in its middle
    expect(dataSegments(d, 0)).toEqual([[0, 128 * 1024]]);
    d.fill(0, 32 * 1024, 96 * 1024); // now 16 zero blocks: one hole
    expect(dataSegments(d, 0)).toEqual([[0, 32 * 1024], [96 * 1024, 128 * 1024]]);
  });
});
