// Helpers for splitter tests: feed data whole, byte by byte or in random slices and collect chunk lengths.
import type { Splitter } from '../splitter.ts';

/** Chunk lengths of complete chunks (the trailing remainder, which only result() would cut, is omitted). */
export function splitWhole(s: Splitter, data: Uint8Array): number[] {
  s.reset();
  const out: number[] = [];
  let pos = 0;
  while (pos < data.length) {
    const cut = s.next(data, pos, data.length);
    if (cut < 0) break;
    out.push(cut - pos);
    pos = cut;
  }
  return out;
}

/** Same, feeding slices whose sizes come from `sliceSize()`. */
export function splitInSlices(s: Splitter, data: Uint8Array, sliceSize: () => number): number[] {
  s.reset();
  const out: number[] = [];
  let chunkStart = 0;
  let pos = 0;
  while (pos < data.length) {
    const end = Math.min(data.length, pos + Math.max(1, sliceSize()));
    while (pos < end) {
      const cut = s.next(data, pos, end);
      if (cut < 0) {
        pos = end;
        break;
      }
      out.push(cut - chunkStart);
      chunkStart = cut;
      pos = cut;
    }
  }
  return out;
}

/** A small deterministic PRNG (mulberry32) for slice sizes. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
