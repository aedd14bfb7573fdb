// A growable byte buffer in shared memory that collects the encrypted payloads of one worker job, so the
// main thread reads them where the worker wrote them (upload-protocol.ts: payload slots).
export class PayloadBuffer {
  private buf: Buffer;
  private used = 0;

  /** Writes from the start of `slot` (its old contents are garbage); grows into a new, larger one if needed. */
  constructor(slot: SharedArrayBuffer) {
    this.buf = Buffer.from(slot);
  }

  /** Appends bytes and returns their offset. */
  append(data: Uint8Array): number {
    const at = this.reserve(data.length);
    // Buffer#copy is a plain memmove; TypedArray#set into shared memory takes V8's slower relaxed-atomic copy
    Buffer.from(data.buffer, data.byteOffset, data.length).copy(this.buf, at);
    this.used += data.length;
    return at;
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

  /** The shared memory the payloads are in: the slot given, or the larger one it grew into. */
  get shared(): SharedArrayBuffer {
    return this.buf.buffer as SharedArrayBuffer;
  }
}
