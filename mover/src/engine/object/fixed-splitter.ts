// Kopia's FIXED-* splitters (repo/splitter/splitter_fixed.go): every chunk is exactly `size` bytes.
import type { Splitter } from './splitter.ts';

export class FixedSplitter implements Splitter {
  readonly name: string;
  readonly minSize: number;
  readonly avgSize: number;
  readonly maxSize: number;
  private count = 0;

  constructor(size: number, name = `FIXED(${size})`) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`fixed chunk size ${size} must be a positive integer`);
    this.name = name;
    this.minSize = size;
    this.avgSize = size;
    this.maxSize = size;
  }

  reset(): void {
    this.count = 0;
  }

  next(_buffer: Uint8Array, start: number, end: number): number {
    const need = this.maxSize - this.count;
    if (end - start < need) {
      this.count += end - start;
      return -1;
    }
    this.count = 0;
    return start + need;
  }
}
