// Fixed memory for the pack ranges restore has in flight: one SharedArrayBuffer slot per range read at
// once, allocated once and shared with every writer worker when it starts. The store reads a range into a
// free slot (ByteRange.into), the worker decodes it from its own view of the same memory and replies, and
// the slot is free again. Before, each range was a fresh 8 MiB buffer, transferred to a worker and freed
// there: its pages were faulted in again for every range, and on the main thread each one counted as new
// external memory, which V8 answers with a full garbage collection every few tens of MiB (a 2 GiB restore
// from S3 ran ~130 of them).
//
// Each slot's memory starts at a page boundary where it can be had (shared WebAssembly memory), with two
// pages to spare beyond a range's length: a filesystem store reads a range into it with O_DIRECT, whole
// blocks from the one holding the range's first byte (blob/direct-read.ts), and the range is a view inside.
import { PAGE_BYTES, sharedPageAlignedBuffer } from '../util/page-aligned-buffer.ts';

/** Room for the blocks an O_DIRECT read covers beyond the range: up to a block before it and after it. */
const DIRECT_SLACK = 2 * PAGE_BYTES;

export class RangeSlots {
  /** The slots' memory (pass to workers once; a slot's index names it in tasks). */
  readonly buffers: readonly SharedArrayBuffer[];
  readonly slotBytes: number;
  private readonly views: Buffer[];
  private readonly free: number[];
  private readonly waiting: ((slot: number) => void)[] = [];

  constructor(count: number, slotBytes: number) {
    this.slotBytes = slotBytes;
    // untouched pages of a SharedArrayBuffer are not resident: a small restore costs what it reads
    const bytes = slotBytes + DIRECT_SLACK;
    this.buffers = Array.from({ length: Math.max(1, count) }, () => sharedPageAlignedBuffer(bytes) ?? new SharedArrayBuffer(bytes));
    this.views = this.buffers.map((b) => Buffer.from(b, 0, bytes));
    this.free = this.buffers.map((_, i) => i).reverse();
  }

  /** A free slot (waits for one when all are in use). */
  acquire(): Promise<number> {
    const slot = this.free.pop();
    if (slot !== undefined) return Promise.resolve(slot);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(slot: number): void {
    const next = this.waiting.shift();
    if (next !== undefined) next(slot);
    else this.free.push(slot);
  }

  /** The slot's memory: slotBytes and the room an O_DIRECT read needs around them. */
  view(slot: number): Buffer {
    return this.views[slot]!;
  }

  /** Whether `buf` lies in `slot`'s memory (a store may have read elsewhere). */
  holds(slot: number, buf: Uint8Array): boolean {
    return buf.buffer === this.buffers[slot];
  }
}
