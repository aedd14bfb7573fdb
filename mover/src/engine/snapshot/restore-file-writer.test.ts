import { describe, expect, it } from 'vitest';
import { dataSegments, MIN_HOLE_BYTES, mtimeSeconds } from './restore-file-writer.ts';

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
});

describe('mtimeSeconds', () => {
  it('lands on the stored microsecond after libuv truncation', () => {
    for (const t of ['2021-06-01T12:34:56.123456Z', '2021-06-01T12:34:56.999999789Z', '2038-01-19T03:14:08.000001Z', '2099-12-31T23:59:59.000999Z']) {
      const s = mtimeSeconds(t);
      const sec = Math.trunc(s);
      let nsec = Math.trunc((s - sec) * 1e9);
      nsec -= nsec % 1000;
      const expected = t.match(/\.(\d+)Z/)![1]!.padEnd(9, '0').slice(0, 6);
      expect(String(nsec / 1000).padStart(6, '0')).toBe(expected);
      expect(new Date(sec * 1000).toISOString().slice(0, 19)).toBe(t.slice(0, 19));
    }
  });
});
