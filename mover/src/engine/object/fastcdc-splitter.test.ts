import { createCipheriv, createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FastCdcParameters } from './fastcdc-splitter.ts';
import { FASTCDC_1M, FastCdcSplitter, GEAR_TABLE } from './fastcdc-splitter.ts';
import { GoMathRand } from './go-math-rand.ts';
import { mulberry32, splitInSlices, splitWhole } from './test-support/split-all.ts';

function keystream(label: string, length: number): Buffer {
  const key = createHash('sha256').update(label).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length));
}

/** The documented rules, one byte at a time and without any optimization (the reference). */
function referenceSplit(p: FastCdcParameters, data: Uint8Array): number[] {
  const bits = Math.log2(p.avgSize);
  const mask = (n: number): number => ((2 ** n - 1) * 2 ** (31 - n)) >>> 0;
  const maskS = mask(bits + 2);
  const maskL = mask(bits - 2);
  const out: number[] = [];
  let s = 0;
  while (s < data.length) {
    let cut = -1;
    for (let len = p.minSize; len <= p.maxSize && s + len <= data.length; len++) {
      const j = s + len - 1;
      let h = 0;
      for (let k = j - 31; k <= j; k++) h = (h * 2 + (GEAR_TABLE[data[k]!]! >>> 0)) % 2 ** 32;
      if (len === p.maxSize || (h & (len < p.avgSize ? maskS : maskL)) >>> 0 === 0) {
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

describe('FastCdcSplitter (Cairn FASTCDC-1M format)', () => {
  it('derives the gear table from SHA-256 counter mode of "cairn/fastcdc/gear/v1"', () => {
    const words: number[] = [];
    for (let k = 0; k < 32; k++) {
      const ctr = Buffer.alloc(4);
      ctr.writeUInt32BE(k);
      const d = createHash('sha256').update('cairn/fastcdc/gear/v1').update(ctr).digest();
      for (let w = 0; w < 8; w++) words.push(d.readUInt32BE(w * 4));
    }
    expect([...GEAR_TABLE].map((x) => x >>> 0)).toEqual(words);
    expect(words.slice(0, 4)).toEqual([0x2644fb87, 0xd8c55cf0, 0x623fd087, 0xbdc06ccd]);
  });

  it('golden: FASTCDC-1M cut points over 40 MiB of seeded data', () => {
    const data = keystream('cairn/fastcdc/golden/v1', 40 << 20);
    expect(splitWhole(new FastCdcSplitter(FASTCDC_1M), data)).toEqual([
      1604084, 1550809, 1492972, 1173824, 1166719, 1616829, 1081960, 1556740, 999011, 1465212, 2149647, 570120,
      1077005, 1138475, 1071130, 1263062, 1334543, 1300587, 698295, 1130312, 741882, 1381610, 1170379, 1404691,
      1215472, 1249493, 1295011, 1187628, 1273914, 1157514, 881044, 1121106, 1082254, 1204086,
    ]);
  });

  it('golden: 2K/8K/64K over kopia\'s seed-5 test data', () => {
    const data = new Uint8Array(5_000_000);
    new GoMathRand(5).read(data);
    const cuts = splitWhole(new FastCdcSplitter({ minSize: 2048, avgSize: 8192, maxSize: 65536 }), data);
    expect(cuts.length).toBe(545);
    expect(cuts.slice(0, 8)).toEqual([9713, 9682, 8475, 9618, 9080, 9532, 8015, 6565]);
    const h = createHash('sha256');
    for (const l of cuts) {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(l);
      h.update(b);
    }
    expect(h.digest('hex')).toBe('929e4aad9e3dee28a68ad3aba682a0511e5a16e791f239241c419e220ecd0de8');
  });

  it('cuts constant data at the maximum size', () => {
    expect(splitWhole(new FastCdcSplitter(FASTCDC_1M), Buffer.alloc(20 << 20))).toEqual([8 << 20, 8 << 20]);
  });

  it('matches the unoptimized reference implementation of the rules', () => {
    const p = { minSize: 256, avgSize: 1024, maxSize: 4096 };
    const data = keystream('reference', 200_000);
    const ref = referenceSplit(p, data);
    expect(ref.length).toBeGreaterThan(100);
    expect(splitWhole(new FastCdcSplitter(p), data)).toEqual(ref);
    // low-entropy data exercises the maskL range and forced cuts
    const sparse = Buffer.alloc(100_000);
    for (let i = 0; i < sparse.length; i += 97) sparse[i] = i & 0xff;
    expect(splitWhole(new FastCdcSplitter(p), sparse)).toEqual(referenceSplit(p, sparse));
  });

  it('chunk sizes stay within bounds and average near the target (normalized chunking)', () => {
    const data = keystream('distribution', 24 << 20);
    const p = { minSize: 16 << 10, avgSize: 64 << 10, maxSize: 512 << 10 };
    const cuts = splitWhole(new FastCdcSplitter(p), data);
    for (const l of cuts) {
      expect(l).toBeGreaterThanOrEqual(p.minSize);
      expect(l).toBeLessThanOrEqual(p.maxSize);
    }
    const mean = cuts.reduce((a, b) => a + b, 0) / cuts.length;
    const sd = Math.sqrt(cuts.reduce((a, b) => a + (b - mean) ** 2, 0) / cuts.length);
    expect(mean).toBeGreaterThan(p.avgSize);
    expect(mean).toBeLessThan(1.4 * p.avgSize);
    expect(sd).toBeLessThan(0.45 * mean); // plain gear would give ~0.6-0.9
  });

  it('gives the same cuts however the stream is sliced', () => {
    const data = keystream('slices', 300_000);
    const p = { minSize: 512, avgSize: 2048, maxSize: 16384 };
    const s = new FastCdcSplitter(p);
    const whole = splitWhole(s, data);
    expect(splitInSlices(s, data, () => 1)).toEqual(whole);
    fc.assert(fc.property(fc.integer({ min: 1, max: 1 << 30 }), fc.integer({ min: 1, max: 5000 }), (seed, maxSlice) => {
      const rnd = mulberry32(seed);
      expect(splitInSlices(s, data, () => Math.floor(rnd() * maxSlice) + 1)).toEqual(whole);
    }), { numRuns: 30 });
  });

  it('is insensitive to data before a shift (content-defined)', () => {
    const data = keystream('shift', 2 << 20);
    const p = { minSize: 1024, avgSize: 4096, maxSize: 32768 };
    const a = splitWhole(new FastCdcSplitter(p), data);
    const shifted = Buffer.concat([Buffer.from('inserted prefix bytes'), data]);
    const b = splitWhole(new FastCdcSplitter(p), shifted);
    const endsA = new Set(a.map(((sum) => (l: number) => (sum += l))(0)));
    const endsB = b.map(((sum) => (l: number) => (sum += l) - 21)(0));
    const shared = endsB.filter((e) => endsA.has(e)).length;
    expect(shared / a.length).toBeGreaterThan(0.95);
  });

  it('validates its parameters', () => {
    expect(() => new FastCdcSplitter({ minSize: 32, avgSize: 1024, maxSize: 4096 })).toThrow(RangeError);
    expect(() => new FastCdcSplitter({ minSize: 512, avgSize: 1000, maxSize: 4096 })).toThrow(RangeError);
    expect(() => new FastCdcSplitter({ minSize: 512, avgSize: 1024, maxSize: 1024 })).toThrow(RangeError);
  });
});
