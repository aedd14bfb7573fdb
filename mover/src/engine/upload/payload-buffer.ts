// A growable byte buffer that collects the encrypted payloads of one worker job so they cross the thread
// boundary as a single transferred ArrayBuffer.
export class PayloadBuffer {
  private buf: Buffer;
  private used = 0;

  constructor(initialCapacity: number, recycled?: ArrayBuffer) {
    const size = Math.max(64 * 1024, initialCapacity);
    this.buf = recycled !== undefined && recycled.byteLength >= size ? Buffer.from(recycled) : Buffer.allocUnsafeSlow(size);
  }

  /** Appends bytes and returns their offset. */
  append(data: Uint8Array): number {
    const at = this.reserve(data.length);
    this.buf.set(data, at);
    this.used += data.length;
    return at;
  }

  /** Makes room for `n` more bytes and returns where they go; write them there, then commit(written). */
  reserve(n: number): number {
    if (this.used + n > this.buf.length) {
      const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.used + n));
      this.buf.copy(next, 0, 0, this.used);
      this.buf = next;
    }
    return this.used;
  }

  /** The buffer reserve() made room in (valid until the next reserve or take). */
  get buffer(): Buffer {
    return this.buf;
  }

  commit(n: number): void {
    this.used += n;
  }

  get length(): number {
    return this.used;
  }

  /** The backing ArrayBuffer (exclusively owned: allocUnsafeSlow never pools). */
  takeArrayBuffer(): ArrayBuffer {
    const ab = this.buf.buffer as ArrayBuffer;
    this.buf = Buffer.alloc(0);
    this.used = 0;
    return ab;
  }
}
