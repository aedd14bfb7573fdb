// GC's mark set (kopia snapshotgc's in-use content ID set): one bit per entry of a frozen merged index, so
// 10 million marks cost 1.25 MB instead of the ~100 bytes per ID of a Set<string>. Marks are keyed by the
// index's references, which stay put because a frozen index (MergedIndex.frozenCopy) gains no segments.
import type { MergedIndex } from '../content/merged-index.ts';

export class ContentMarks {
  private readonly index: MergedIndex;
  private readonly bits: Uint8Array;
  private marked = 0;

  constructor(frozenIndex: MergedIndex) {
    this.index = frozenIndex;
    this.bits = new Uint8Array(Math.ceil(frozenIndex.refLimit / 8));
  }

  /** Number of distinct contents marked. */
  get size(): number {
    return this.marked;
  }

  /** Marks a content; IDs the frozen index does not know (written after it was taken) are ignored. */
  add(contentId: string): this {
    const ref = this.index.refOf(contentId);
    if (ref >= 0) {
      const bit = 1 << (ref & 7);
      const i = ref >>> 3;
      if ((this.bits[i]! & bit) === 0) {
        this.bits[i] = this.bits[i]! | bit;
        this.marked++;
      }
    }
    return this;
  }

  has(contentId: string): boolean {
    const ref = this.index.refOf(contentId);
    return ref >= 0 && this.hasRef(ref);
  }

  /** Whether the content behind a reference of the frozen index is marked. */
  hasRef(ref: number): boolean {
    return (this.bits[ref >>> 3]! & (1 << (ref & 7))) !== 0;
  }
}
