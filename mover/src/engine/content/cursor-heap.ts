// The k-way merge behind MergedIndex.iterate(): cursors into key-sorted index segments, smallest key first.
import type { IndexSegment } from './index-segment.ts';

/** A binary min-heap of (segment, position) cursors ordered by the key at the cursor. */
export class CursorHeap {
  private readonly segs: readonly IndexSegment[];
  private readonly segOf: number[] = [];
  private readonly posOf: number[] = [];

  constructor(segs: readonly IndexSegment[]) {
    this.segs = segs;
  }

  get size(): number {
    return this.segOf.length;
  }

  topSegment(): number {
    return this.segOf[0]!;
  }

  topPosition(): number {
    return this.posOf[0]!;
  }

  push(s: number, pos: number): void {
    this.segOf.push(s);
    this.posOf.push(pos);
    this.up(this.segOf.length - 1);
  }

  pop(): void {
    const last = this.segOf.length - 1;
    this.segOf[0] = this.segOf[last]!;
    this.posOf[0] = this.posOf[last]!;
    this.segOf.pop();
    this.posOf.pop();
    if (this.segOf.length > 0) this.down(0);
  }

  replaceTop(s: number, pos: number): void {
    this.segOf[0] = s;
    this.posOf[0] = pos;
    this.down(0);
  }

  private less(i: number, j: number): boolean {
    const a = this.segs[this.segOf[i]!]!;
    const b = this.segs[this.segOf[j]!]!;
    const ao = a.keyOffset(this.posOf[i]!);
    const bo = b.keyOffset(this.posOf[j]!);
    return a.data.compare(b.data, bo, bo + b.keySize, ao, ao + a.keySize) < 0;
  }

  private swap(i: number, j: number): void {
    const s = this.segOf[i]!;
    const p = this.posOf[i]!;
    this.segOf[i] = this.segOf[j]!;
    this.posOf[i] = this.posOf[j]!;
    this.segOf[j] = s;
    this.posOf[j] = p;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.segOf.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
