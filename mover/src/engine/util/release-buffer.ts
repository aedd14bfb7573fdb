// Frees a buffer's memory now instead of at the next garbage collection. V8 frees an ArrayBuffer's
// backing store only when a GC finds it dead, and it runs one for buffers only after ~64 MiB of external
// memory has piled up per isolate: a restore writer thread, handed 8 MiB pack ranges and producing a
// plaintext per content, kept 40–60 MiB of dead buffers (and glibc kept the arena pages they had used).
// ArrayBuffer.prototype.transfer(0) detaches the buffer and drops its backing store at once (ES2024).
// Only a buffer that owns its whole ArrayBuffer is released: a view of a larger one (a slice, or Node's
// shared pool for small Buffers) may have other users. Releasing is memory-safe — other views of a
// released buffer become empty, never dangling — but callers must hold the only reference.

/** Frees `buf`'s memory now when it owns its ArrayBuffer; returns whether it did. */
export function releaseBuffer(buf: Uint8Array): boolean {
  const ab = buf.buffer;
  if (!(ab instanceof ArrayBuffer) || ab.detached || buf.byteOffset !== 0 || buf.byteLength !== ab.byteLength || ab.byteLength === 0) return false;
  ab.transfer(0);
  return true;
}
