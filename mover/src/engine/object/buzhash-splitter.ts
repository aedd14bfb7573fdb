// Kopia's DYNAMIC-*-BUZHASH splitter, cut for cut (repo/splitter/splitter_buzhash32.go with
// chmduquesne/rollinghash/buzhash32): a 64-byte cyclic-polynomial rolling hash whose byte table comes
// from Go math/rand seed 1; cut after a byte when (hash & (avg-1)) == 0 and the chunk is at least avg/2
// long, forced at 2*avg. The rolling window is NOT cleared at a cut, only by reset() (once per object),
// so the hash at any position is that of the previous 64 stream bytes (zeros before the stream start).
// Used when Cairn must produce exactly the contents kopia would (dedup parity); our own default is
// FastCDC, which is about twice as fast.
import type { Splitter } from './splitter.ts';
import { GoMathRand } from './go-math-rand.ts';

const WINDOW = 64; // kopia splitterSlidingWindowSize; 64 % 32 == 0, so the leaving byte is not rotated

/** rollinghash buzhash32 GenerateHashes(1): 256 distinct values, uint32(Int63()) with retry on duplicates. */
function generateBuzhashTable(seed: number): Int32Array {
  const rnd = new GoMathRand(seed);
  const used = new Set<number>();
  const table = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let x = rnd.uint32OfInt63();
    while (used.has(x)) x = rnd.uint32OfInt63();
    used.add(x);
    table[i] = x | 0;
  }
  return table;
}

/** The 256-entry table (as signed int32 words) kopia's buzhash32 splitter uses. */
export const BUZHASH_TABLE: Int32Array = generateBuzhashTable(1);

/** Hash of a freshly initialized window (64 zero bytes), as rollinghash's Write() computes it. */
function initialSum(): number {
  let sum = 0;
  for (let i = 0; i < WINDOW; i++) sum = ((sum << 1) | (sum >>> 31)) ^ BUZHASH_TABLE[0]!;
  return sum | 0;
}

export class BuzhashSplitter implements Splitter {
  readonly name: string;
  readonly minSize: number;
  readonly avgSize: number;
  readonly maxSize: number;
  private readonly mask: number;
  private readonly window = new Uint8Array(WINDOW);
  private oldest = 0;
  private sum = 0;
  private count = 0;

  /** `avgSize` must be a power of two; min = avg/2 and max = 2*avg as in kopia. */
  constructor(avgSize: number, name = `DYNAMIC-BUZHASH(${avgSize})`) {
    if (!Number.isInteger(avgSize) || avgSize < 2 || (avgSize & (avgSize - 1)) !== 0 || avgSize > 1 << 28) {
      throw new RangeError(`buzhash average size ${avgSize} must be a power of two between 2 and 2^28`);
    }
    this.name = name;
    this.avgSize = avgSize;
    this.minSize = avgSize / 2;
    this.maxSize = avgSize * 2;
    this.mask = avgSize - 1;
    this.reset();
  }

  reset(): void {
    this.window.fill(0);
    this.oldest = 0;
    this.sum = initialSum();
    this.count = 0;
  }

  next(buffer: Uint8Array, start: number, end: number): number {
    const table = BUZHASH_TABLE;
    const win = this.window;
    const mask = this.mask;
    let sum = this.sum;
    let oldest = this.oldest;
    let count = this.count;
    let i = start;

    // Before min, only the last WINDOW bytes of this slice can influence a later hash.
    const left = this.minSize - count - 1;
    if (left > 0) {
      const fast = Math.min(left, end - i);
      for (let j = Math.max(i + fast - WINDOW, i); j < i + fast; j++) {
        const c = buffer[j]!;
        const out = win[oldest]!;
        win[oldest] = c;
        oldest = (oldest + 1) & (WINDOW - 1);
        sum = ((sum << 1) | (sum >>> 31)) ^ table[out]! ^ table[c]!;
      }
      count += fast;
      i += fast;
    }

    const room = this.maxSize - count;
    if (room > 0) {
      const stop = i + Math.min(room, end - i);
      for (; i < stop; i++) {
        const c = buffer[i]!;
        const out = win[oldest]!;
        win[oldest] = c;
        oldest = (oldest + 1) & (WINDOW - 1);
        sum = ((sum << 1) | (sum >>> 31)) ^ table[out]! ^ table[c]!;
        count++;
        if ((sum & mask) === 0) {
          this.sum = sum;
          this.oldest = oldest;
          this.count = 0;
          return i + 1;
        }
      }
    }

    this.sum = sum;
    this.oldest = oldest;
    if (count >= this.maxSize) {
      this.count = 0;
      return i;
    }
    this.count = count;
    return -1;
  }
}
