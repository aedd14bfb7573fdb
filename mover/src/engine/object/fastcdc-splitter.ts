// FastCDC 2020 (Xia et al., IEEE TPDS 2020): gear rolling hash, normalized chunking level 2, cut-point
// skipping up to the minimum size and the "rolling two bytes each time" loop. Cairn's default splitter
// for new data (FASTCDC-1M: 512 KiB / 1 MiB / 8 MiB).
//
// PERMANENT FORMAT DECISION (changing any of this changes every chunk boundary, and with it dedup against
// all existing snapshots; the golden test in fastcdc-splitter.test.ts guards it):
// - Gear table: 256 uint32 words. Block k (k = 0..31) = SHA-256(ASCII "cairn/fastcdc/gear/v1" ‖
//   uint32-big-endian k); its eight big-endian 32-bit words are G[8k .. 8k+7].
// - Hash: h = (h << 1) + G[byte] (mod 2^32), so h depends on exactly the last 32 bytes.
// - Masks: with b = log2(avg), maskS has b+2 one-bits and maskL b-2 one-bits, both ending at bit 30
//   (bits [31-n, 30]) — high bits carry the whole 32-byte window, and bit 31 stays free for the 2-byte loop.
// - Cuts: let L be the chunk length including the byte just hashed. A cut is made after that byte when
//   L >= min and (h & (L < avg ? maskS : maskL)) == 0, and always at L == max. Hashing starts 32 bytes
//   before min, so every decision depends only on the 32 bytes ending at the candidate byte.
// - min >= 64, avg a power of two, min < avg < max.
import { createHash } from 'node:crypto';
import { GearScanner } from './gear-scan.ts';
import type { Splitter } from './splitter.ts';

const GEAR_SEED = 'cairn/fastcdc/gear/v1';
const GEAR_WINDOW = 32;

function generateGearTable(): Int32Array {
  const table = new Int32Array(256);
  for (let k = 0; k < 32; k++) {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(k);
    const block = createHash('sha256').update(GEAR_SEED, 'ascii').update(counter).digest();
    for (let w = 0; w < 8; w++) table[k * 8 + w] = block.readInt32BE(w * 4);
  }
  return table;
}

/** The gear table (signed int32 view of the uint32 words). */
export const GEAR_TABLE: Int32Array = generateGearTable();
/** The two-byte loop of steps 3 and 4 (WebAssembly, gear-scan.ts); one per thread, used synchronously. */
const gearScanner = new GearScanner(GEAR_TABLE);

/** A mask of `bits` one-bits ending at bit 30. */
function highMask(bits: number): number {
  return (((1 << bits) - 1) << (31 - bits)) | 0;
}

export interface FastCdcParameters {
  readonly minSize: number;
  readonly avgSize: number;
  readonly maxSize: number;
}

export class FastCdcSplitter implements Splitter {
  readonly name: string;
  readonly minSize: number;
  readonly avgSize: number;
  readonly maxSize: number;
  private readonly maskS: number;
  private readonly maskL: number;
  private readonly maskSShifted: number;
  private readonly maskLShifted: number;
  private count = 0; // bytes of the current chunk consumed so far
  private hash = 0;

  constructor(params: FastCdcParameters, name = `FASTCDC(${params.minSize},${params.avgSize},${params.maxSize})`) {
    const { minSize, avgSize, maxSize } = params;
    const bits = Math.log2(avgSize);
    if (!Number.isInteger(bits) || bits < 8 || bits > 27) {
      throw new RangeError(`FastCDC average size ${avgSize} must be a power of two between 256 and 2^27`);
    }
    if (!Number.isInteger(minSize) || !Number.isInteger(maxSize) || minSize < 64 || minSize >= avgSize ||
        maxSize <= avgSize || maxSize >= 1 << 28) {
      throw new RangeError(`FastCDC sizes ${minSize}/${avgSize}/${maxSize} must satisfy 64 <= min < avg < max < 2^28`);
    }
    this.name = name;
    this.minSize = minSize;
    this.avgSize = avgSize;
    this.maxSize = maxSize;
    this.maskS = highMask(bits + 2);
    this.maskL = highMask(bits - 2);
    this.maskSShifted = (this.maskS << 1) | 0;
    this.maskLShifted = (this.maskL << 1) | 0;
  }

  reset(): void {
    this.count = 0;
    this.hash = 0;
  }

  next(buffer: Uint8Array, start: number, end: number): number {
    const g = GEAR_TABLE;
    // `base` is where the current chunk started (may be before `start`): chunk length after byte j = j - base + 1.
    const base = start - this.count;
    let h = this.hash;
    let i = start;

    // 1. Skip: bytes more than 32 positions before the first candidate never influence a decision.
    const hashFrom = base + this.minSize - GEAR_WINDOW;
    if (i < hashFrom) {
      if (end <= hashFrom) {
        this.count += end - start;
        return -1;
      }
      i = hashFrom;
    }
    // 2. Warm-up: hash the 31 bytes before the first candidate without testing.
    const firstCandidate = base + this.minSize - 1;
    const warmEnd = Math.min(end, firstCandidate);
    for (; i < warmEnd; i++) h = ((h << 1) + g[buffer[i]!]!) | 0;
    if (i === end) return this.park(h, end, base);

    // 3. Candidates with L < avg use maskS (two bytes per iteration; h is kept shifted after the first).
    const endS = Math.min(end, base + this.avgSize - 1);
    let mask = this.maskS;
    let cut = gearScanner.scan(buffer, i, endS, h, mask, this.maskSShifted);
    if (cut >= 0) return this.cut(cut);
    h = gearScanner.hash;
    i = gearScanner.stoppedAt;
    if (i < endS) {
      h = ((h << 1) + g[buffer[i]!]!) | 0;
      if ((h & mask) === 0) return this.cut(i + 1);
      i++;
    }
    if (i === end) return this.park(h, end, base);

    // 4. Candidates with avg <= L < max use maskL; the byte at L == max is a forced cut.
    const forced = base + this.maxSize - 1;
    const endL = Math.min(end, forced);
    mask = this.maskL;
    cut = gearScanner.scan(buffer, i, endL, h, mask, this.maskLShifted);
    if (cut >= 0) return this.cut(cut);
    h = gearScanner.hash;
    i = gearScanner.stoppedAt;
    if (i < endL) {
      h = ((h << 1) + g[buffer[i]!]!) | 0;
      if ((h & mask) === 0) return this.cut(i + 1);
      i++;
    }
    if (i === forced && i < end) return this.cut(i + 1);
    return this.park(h, end, base);
  }

  private cut(index: number): number {
    this.count = 0;
    this.hash = 0;
    return index;
  }

  private park(h: number, end: number, base: number): number {
    this.hash = h;
    this.count = end - base;
    return -1;
  }
}

/** Cairn's default for new data: FASTCDC-1M = 512 KiB / 1 MiB / 8 MiB. */
export const FASTCDC_1M: FastCdcParameters = { minSize: 512 << 10, avgSize: 1 << 20, maxSize: 8 << 20 };
