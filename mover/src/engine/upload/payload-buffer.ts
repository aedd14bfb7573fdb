// A growable byte buffer in shared memory that collects encrypted payloads in one payload slot, so the main
// thread reads them where the worker wrote them (payload-slots.ts).
export class PayloadBuffer {
  private buf: Buffer;
  private used = 0;

  /** Writes from the start of `slot` (its old contents are garbage); grows into a new, larger one if needed. */
  constructor(slot: SharedArrayBuffer) {
    this.buf = Buffer.from(slot);
  }

  /** Makes room for `n` more bytes and returns where they go; write them there, then commit(written). */
  reserve(n: number): number {
    if (this.used + n > this.buf.length) {
      const next = Buffer.from(new SharedArrayBuffer(Math.max(this.buf.length * 2, this.used + n)));
      this.buf.copy(next, 0, 0, this.used);
      this.buf = next;
    }
    return this.used;
  }

  /** The buffer reserve() made room in (valid until the next reserve). */
  get buffer(): Buffer {
    return this.buf;
  }

  commit(n: number): void {
    this.used += n;
  }

  get length(): number {
    return this.used;
  }

  /** Bytes the buffer holds before it would have to grow. */
  get capacity(): number {
    return this.buf.length;
  }

  /** The shared memory the payloads are in: the slot given, or the larger one it grew into. */
  get shared(): SharedArrayBuffer {
    return this.buf.buffer as SharedArrayBuffer;
  }
}
