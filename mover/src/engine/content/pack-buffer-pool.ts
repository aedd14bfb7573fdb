// Reusable pack buffers. A data pack grows to maxPackSize plus one content, so allocating it at that size
// once and reusing it avoids both the copies of a doubling buffer and the page faults of fresh 20 MiB
// allocations for every pack (perf.md §5.2: fresh allocation costs ~8x a copy). The buffers are page-aligned
// where that memory can be had, so a filesystem store writes a pack with O_DIRECT straight from its buffer
// (direct-write.ts) instead of copying it through staging first.
import { pageAlignedBuffer } from '../util/page-aligned-buffer.ts';

export class PackBufferPool {
  private readonly free: Buffer[] = [];
  private readonly capacity: number;
  private readonly maxPooled: number;

  constructor(capacity: number, maxPooled: number) {
    this.capacity = capacity;
    this.maxPooled = maxPooled;
  }

  /** A buffer of at least `capacity` bytes (contents are garbage). */
  acquire(): Buffer {
    return this.free.pop() ?? pageAlignedBuffer(this.capacity) ?? Buffer.allocUnsafeSlow(this.capacity);
  }

  release(buf: Buffer): void {
    if (buf.length >= this.capacity && this.free.length < this.maxPooled) this.free.push(buf);
  }

  /** Lets go of the pooled buffers (a flush: nothing is packed until the next write, and the index built meanwhile needs the memory). */
  drain(): void {
    this.free.length = 0;
  }
}
