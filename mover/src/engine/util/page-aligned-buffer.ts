// Buffers whose first byte sits at a known page boundary, for reads from the page cache (and O_DIRECT writes).
//
// Why the address matters: the kernel copies read() data to user memory with `rep movsb`, and on this
// project's machines (AMD Zen 5 under KVM) that copy runs 6-8x slower when the destination is 1-31 bytes past
// the source modulo 4096 (measured with readSync of a page-cached file, 4 MiB reads: 1.5-1.9 GB/s at a
// difference of 8 or 16 bytes, 10-13 GB/s at 0, 32, 64 or anything else). A page-cached file's bytes sit at
// (file offset mod 4096) in their page, and every large Buffer.allocUnsafeSlow comes from glibc's mmap at
// page + 16: a read at a page-aligned file offset into such a buffer hits exactly the slow case. Reading into
// a buffer at a known page boundary, at an index congruent to the file offset modulo 4096, never does.
//
// JavaScript cannot see a Buffer's address: WebAssembly.Memory is the one allocation whose backing store V8
// maps page-aligned (at a 64 KiB boundary).

/** The page size the alignment is reckoned in (x86-64 and most arm64 kernels). */
export const PAGE_BYTES = 4096;
const WASM_PAGE = 64 * 1024;
/** A WebAssembly.Memory holds at most 65536 wasm pages (4 GiB). */
const MAX_WASM_PAGES = 65536;

/** The part of the WebAssembly global used here (the project's TypeScript libs do not declare it: no DOM lib). */
interface WasmMemoryApi {
  readonly Memory: {
    new (d: { initial: number; maximum: number }): { readonly buffer: ArrayBuffer };
    new (d: { initial: number; maximum: number; shared: true }): { readonly buffer: SharedArrayBuffer };
  };
}
const wasm = (globalThis as unknown as { readonly WebAssembly?: WasmMemoryApi }).WebAssembly;

/** The memory handed out here: its byte 0 is at a page boundary. */
const aligned = new WeakSet<ArrayBufferLike>();

/** A WebAssembly memory of at least `size` bytes (byte 0 at a page boundary), or undefined when it cannot be had. */
function wasmMemory<B extends ArrayBufferLike>(size: number, make: (memory: WasmMemoryApi['Memory'], pages: number) => B): B | undefined {
  const pages = Math.max(1, Math.ceil(size / WASM_PAGE));
  if (wasm === undefined || pages > MAX_WASM_PAGES) return undefined;
  try {
    const memory = make(wasm.Memory, pages);
    aligned.add(memory);
    return memory;
  } catch {
    return undefined;
  }
}

/**
 * `size` bytes starting at a page boundary, zero-filled and untouched until written (its pages count only
 * once used), or undefined when the memory cannot be had (no WebAssembly, or an address-space limit: each
 * WebAssembly.Memory reserves a large range): the caller then allocates as usual.
 */
export function pageAlignedBuffer(size: number): Buffer | undefined {
  const memory = wasmMemory(size, (Memory, pages) => new Memory({ initial: pages, maximum: pages }).buffer);
  return memory === undefined ? undefined : Buffer.from(memory, 0, size);
}

/**
 * Like pageAlignedBuffer, but shared: a SharedArrayBuffer that worker threads can view too (restore's pack
 * range slots, read with O_DIRECT by the main thread and decoded by the writers), or undefined.
 */
export function sharedPageAlignedBuffer(size: number): SharedArrayBuffer | undefined {
  return wasmMemory(size, (Memory, pages) => new Memory({ initial: pages, maximum: pages, shared: true }).buffer);
}

/** The page offset of `view`'s first byte, when its memory came from here (undefined: not known). */
export function pageOffsetOf(view: Uint8Array): number | undefined {
  return aligned.has(view.buffer) ? view.byteOffset % PAGE_BYTES : undefined;
}
