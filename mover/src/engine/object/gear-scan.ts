// The hot loop of the FastCDC splitter (fastcdc-splitter.ts, "rolling two bytes each time") as a tiny
// WebAssembly function. Why: V8 checks bounds on every typed-array read of the JS loop, and WebAssembly's
// unsigned 8-bit loads and 32-bit table loads with constant offsets compile to plain machine loads, so the
// same loop costs ~0.5 instead of ~1.2-2.3 ms per MiB hashed (measured with src/bench/seal-bench.ts).
//
// The module is written by hand below, instruction by instruction (no build step, no generated code); its
// result is cross-checked against the unoptimized reference of the rules and the golden cut points in
// fastcdc-splitter.test.ts and gear-scan.test.ts. It computes exactly what the JS loop computed:
//   for (; i + 1 < to; i += 2) {
//     h = (h << 2) + G2[data[i]];      if ((h & maskShifted) == 0) return i + 1;   // h is the hash << 1 here
//     h = h + G[data[i + 1]];          if ((h & mask) == 0) return i + 2;
//   }
// with G the gear table and G2[b] = G[b] << 1, all in wrapping 32-bit integer arithmetic.
//
// Memory layout (one 64 KiB page is 65536 bytes; the module has two):
//   [0, 1024)      G  as 256 little-endian int32
//   [1024, 2048)   G2 as 256 little-endian int32
//   [4096, 4096 + BLOCK)  the bytes being scanned (copied in from the caller's buffer, BLOCK at a time)

const DATA_OFFSET = 4096;
/** Bytes copied and scanned per call: even, and DATA_OFFSET + BLOCK fits the module's two pages. */
const BLOCK = 64 << 10;

// prettier-ignore
const CODE = [
  0x00, //                       no locals besides the parameters: 0 i, 1 to, 2 h, 3 mask, 4 maskShifted
  0x03, 0x40, //                 loop (no result)
  //  if (i + 1 >= to) { global h = h; return -1 }
  0x20, 0x00, 0x41, 0x01, 0x6a, //   local.get i; i32.const 1; i32.add
  0x20, 0x01, 0x4e, //               local.get to; i32.ge_s
  0x04, 0x40, //                     if
  0x20, 0x02, 0x24, 0x00, //           local.get h; global.set 0
  0x41, 0x7f, 0x0f, //                 i32.const -1; return
  0x0b, //                           end
  //  h = (h << 2) + G2[data[i]]
  0x20, 0x02, 0x41, 0x02, 0x74, //   local.get h; i32.const 2; i32.shl
  0x20, 0x00, 0x2d, 0x00, 0x80, 0x20, // local.get i; i32.load8_u align=0 offset=4096
  0x41, 0x02, 0x74, //               i32.const 2; i32.shl
  0x28, 0x02, 0x80, 0x08, //         i32.load align=2 offset=1024
  0x6a, 0x22, 0x02, //               i32.add; local.tee h
  //  if ((h & maskShifted) == 0) return i + 1
  0x20, 0x04, 0x71, 0x45, //         local.get maskShifted; i32.and; i32.eqz
  0x04, 0x40, //                     if
  0x20, 0x00, 0x41, 0x01, 0x6a, 0x0f, // local.get i; i32.const 1; i32.add; return
  0x0b, //                           end
  //  h = h + G[data[i + 1]]
  0x20, 0x02, //                     local.get h
  0x20, 0x00, 0x2d, 0x00, 0x81, 0x20, // local.get i; i32.load8_u align=0 offset=4097
  0x41, 0x02, 0x74, //               i32.const 2; i32.shl
  0x28, 0x02, 0x00, //               i32.load align=2 offset=0
  0x6a, 0x22, 0x02, //               i32.add; local.tee h
  //  if ((h & mask) == 0) return i + 2
  0x20, 0x03, 0x71, 0x45, //         local.get mask; i32.and; i32.eqz
  0x04, 0x40, //                     if
  0x20, 0x00, 0x41, 0x02, 0x6a, 0x0f, // local.get i; i32.const 2; i32.add; return
  0x0b, //                           end
  //  i += 2; continue
  0x20, 0x00, 0x41, 0x02, 0x6a, 0x21, 0x00, // local.get i; i32.const 2; i32.add; local.set i
  0x0c, 0x00, //                     br 0 (to the loop's start)
  0x0b, //                       end loop
  0x00, //                       unreachable (the loop only leaves by return)
  0x0b, //                       end function
];

// prettier-ignore
const MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  // type section: one type, (i32 i32 i32 i32 i32) -> i32
  0x01, 0x0a, 0x01, 0x60, 0x05, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f,
  // function section: one function of type 0
  0x03, 0x02, 0x01, 0x00,
  // memory section: one memory, minimum 2 pages, no maximum
  0x05, 0x03, 0x01, 0x00, 0x02,
  // global section: one mutable i32 (the hash when a scan ends without a cut), initialised to 0
  0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b,
  // export section: "mem" = memory 0, "scan" = function 0, "h" = global 0
  0x07, 0x12, 0x03,
  0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00,
  0x04, 0x73, 0x63, 0x61, 0x6e, 0x00, 0x00,
  0x01, 0x68, 0x03, 0x00,
  // code section: one body
  0x0a, CODE.length + 2, 0x01, CODE.length, ...CODE,
]);

interface GearExports {
  readonly mem: { readonly buffer: ArrayBuffer };
  readonly scan: (i: number, to: number, h: number, mask: number, maskShifted: number) => number;
  readonly h: { readonly value: number };
}

/** The part of the WebAssembly global used here (the project's TypeScript libs do not declare it: no DOM lib). */
interface WebAssemblyApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: object };
}
const wasm = (globalThis as unknown as { readonly WebAssembly: WebAssemblyApi }).WebAssembly;

/** The two-byte gear loop over a caller's buffer, BLOCK bytes at a time. One per thread (module state). */
export class GearScanner {
  /** After a scan without a cut: the hash so far, and where the scan stopped (`to`, or `to - 1` when odd). */
  hash = 0;
  stoppedAt = 0;
  readonly #exports: GearExports;
  readonly #window: Uint8Array;

  constructor(gear: Int32Array) {
    if (gear.length !== 256) throw new RangeError('the gear table must have 256 entries');
    this.#exports = new wasm.Instance(new wasm.Module(MODULE)).exports as unknown as GearExports;
    const buffer = this.#exports.mem.buffer;
    const tables = new DataView(buffer, 0, 2048);
    for (let b = 0; b < 256; b++) {
      tables.setInt32(b * 4, gear[b]!, true);
      tables.setInt32(1024 + b * 4, gear[b]! << 1, true);
    }
    this.#window = new Uint8Array(buffer, DATA_OFFSET, BLOCK);
  }

  /**
   * Runs the loop over data[from, to) starting from hash `h`. Returns the exclusive end of the cut it
   * finds, or -1 (then `hash` and `stoppedAt` say where it got to).
   */
  scan(data: Uint8Array, from: number, to: number, h: number, mask: number, maskShifted: number): number {
    const { scan, h: hashOut } = this.#exports;
    const window = this.#window;
    let p = from;
    while (to - p >= 2) {
      const len = Math.min(BLOCK, to - p);
      window.set(data.subarray(p, p + len));
      const r = scan(0, len, h, mask, maskShifted);
      if (r >= 0) return p + r;
      h = hashOut.value;
      p += len & ~1;
    }
    this.hash = h;
    this.stoppedAt = p;
    return -1;
  }
}
