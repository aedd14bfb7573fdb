import { createCipheriv, createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FASTCDC_1M, FastCdcSplitter, GEAR_TABLE, type FastCdcParameters } from './fastcdc-splitter.ts';
import { GearScanner } from './gear-scan.ts';
import { splitWhole } from './test-support/split-all.ts';

function keystream(label: string, length: number): Buffer {
  const key = createHash('sha256').update(label).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length));
}

/** The loop gear-scan.ts implements, in plain JS (what FastCdcSplitter ran before the WebAssembly scanner). */
function jsScan(data: Uint8Array, from: number, to: number, h: number, mask: number, maskShifted: number): { cut: number; h: number; at: number } {
  let i = from;
  for (; i + 1 < to; i += 2) {
    h = ((h << 2) + (GEAR_TABLE[data[i]!]! << 1)) | 0;
    if ((h & maskShifted) === 0) return { cut: i + 1, h, at: i };
    h = (h + GEAR_TABLE[data[i + 1]!]!) | 0;
    if ((h & mask) === 0) return { cut: i + 2, h, at: i };
  }
  return { cut: -1, h, at: i };
}

/** The documented rules with a one-byte rolling hash (no skipping tricks beyond the 32-byte window). */
function rollingSplit(p: FastCdcParameters, data: Uint8Array): number[] {
  const bits = Math.log2(p.avgSize);
  const mask = (n: number): number => (((1 << n) - 1) << (31 - n)) | 0;
  const maskS = mask(bits + 2);
  const maskL = mask(bits - 2);
  const out: number[] = [];
  let s = 0;
  while (s + p.minSize <= data.length) {
    let h = 0;
    let cut = -1;
    for (let len = p.minSize - 31; len <= p.maxSize && s + len <= data.length; len++) {
      h = ((h << 1) + GEAR_TABLE[data[s + len - 1]!]!) | 0;
      if (len < p.minSize) continue;
      if (len === p.maxSize || (h & (len < p.avgSize ? maskS : maskL)) === 0) {
        cut = len;
        break;
      }
    }
    if (cut < 0) break;
    out.push(cut);
    s += cut;
  }
  return out;
}

describe('GearScanner (WebAssembly two-byte gear loop)', () => {
  const scanner = new GearScanner(GEAR_TABLE);
  const data = keystream('gear-scan', 600_000);

  it('finds the same cut and hash as the JS loop, across its 64 KiB blocks and at odd ends', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 400_000 }), fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 4, max: 20 }),
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      (from, length, bits, h0) => {
        const mask = (((1 << bits) - 1) << (31 - bits)) | 0;
        const to = from + length;
        const want = jsScan(data, from, to, h0, mask, (mask << 1) | 0);
        const cut = scanner.scan(data, from, to, h0, mask, (mask << 1) | 0);
        expect(cut).toBe(want.cut);
        if (cut < 0) {
          expect(scanner.hash).toBe(want.h);
          expect(scanner.stoppedAt).toBe(want.at);
        }
      },
    ), { numRuns: 300 });
  });

  it('scans nothing when fewer than two bytes remain', () => {
    expect(scanner.scan(data, 10, 11, 1234, 0, 0)).toBe(-1);
    expect(scanner.hash).toBe(1234);
    expect(scanner.stoppedAt).toBe(10);
  });

  it('FASTCDC-1M cuts 48 MiB of random data exactly as the one-byte rolling loop does', () => {
    const big = keystream('gear-scan/fastcdc-1m', 48 << 20);
    const cuts = splitWhole(new FastCdcSplitter(FASTCDC_1M), big);
    expect(cuts.length).toBeGreaterThan(30);
    expect(cuts.slice(0, -1)).toEqual(rollingSplit(FASTCDC_1M, big).slice(0, cuts.length - 1));
  });

  it('small parameters (many cuts near block edges) match the one-byte rolling loop', () => {
    const p = { minSize: 64, avgSize: 256, maxSize: 2048 };
    const d = keystream('gear-scan/small', 1 << 20);
    const cuts = splitWhole(new FastCdcSplitter(p), d);
    expect(cuts.length).toBeGreaterThan(2000);
    expect(cuts.slice(0, -1)).toEqual(rollingSplit(p, d).slice(0, cuts.length - 1));
  });
});
