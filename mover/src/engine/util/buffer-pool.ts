// Reusable large buffers of one size: whole data packs held in memory (content-manager.ts: a pack grows to
// maxPackSize plus one content) and the windows of packs written as they fill (blob/file-blob-writer.ts).
// Allocating them once and reusing them avoids both the copies of a doubling buffer and the page faults of
// fresh allocations for every pack (perf.md §5.2: fresh allocation costs ~8x a copy). The buffers are
// page-aligned where that memory can be had (pageOffsetOf tells), so a filesystem store writes them with
// O_DIRECT straight from where they are (direct-write.ts) instead of copying them through staging first.
import { pageAlignedBuffer } from './page-aligned-buffer.ts';

export class BufferPool {
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
