// A port of Go's math/rand (v1) source: the additive lagged Fibonacci generator (length 607, tap 273)
// seeded through a Park–Miller step and the cooked table. Kopia's buzhash table and its splitter test
// data come from it, so Cairn needs the exact stream. State is kept as 32-bit halves (no BigInt on the
// hot path) so generating megabytes of test data stays fast.
import { GO_RAND_COOKED } from './go-rand-cooked.ts';

const LEN = 607;
const TAP = 273;
const M = 2147483647; // 2^31 - 1
const A = 48271;
const Q = 44488;
const R = 3399;
const TWO32 = 4294967296;

function seedrand(x: number): number {
  const hi = Math.trunc(x / Q);
  const lo = x % Q;
  let y = A * lo - R * hi;
  if (y < 0) y += M;
  return y;
}

export class GoMathRand {
  private readonly vecHi = new Uint32Array(LEN);
  private readonly vecLo = new Uint32Array(LEN);
  private tap = 0;
  private feed = LEN - TAP;
  private readHi = 0;
  private readLo = 0;
  private readPos = 0;
  /** High 31 bits and low 32 bits of the last Int63() value. */
  hi = 0;
  lo = 0;

  constructor(seed: number | bigint) {
    let s = BigInt(seed) % BigInt(M);
    if (s < 0n) s += BigInt(M);
    if (s === 0n) s = 89482311n;
    let x = Number(s);
    for (let i = -20; i < LEN; i++) {
      x = seedrand(x);
      if (i >= 0) {
        let u = BigInt(x) << 40n;
        x = seedrand(x);
        u ^= BigInt(x) << 20n;
        x = seedrand(x);
        u ^= BigInt(x);
        u ^= GO_RAND_COOKED[i]!;
        u &= 0x7fffffffffffffffn;
        this.vecHi[i] = Number(u >> 32n);
        this.vecLo[i] = Number(u & 0xffffffffn);
      }
    }
  }

  /** Advances the generator; the 63-bit result is left in `hi` (31 bits) and `lo` (32 bits). */
  step(): void {
    if (--this.tap < 0) this.tap += LEN;
    if (--this.feed < 0) this.feed += LEN;
    const f = this.feed;
    const t = this.tap;
    const sumLo = this.vecLo[f]! + this.vecLo[t]!;
    const carry = sumLo >= TWO32 ? 1 : 0;
    const lo = sumLo >>> 0;
    const hi = (this.vecHi[f]! + this.vecHi[t]! + carry) >>> 0;
    this.vecHi[f] = hi;
    this.vecLo[f] = lo;
    this.hi = hi & 0x7fffffff;
    this.lo = lo;
  }

  /** Go's Int63(). */
  int63(): bigint {
    this.step();
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** Go's uint32(r.Int63()): the low 32 bits of the next Int63(). */
  uint32OfInt63(): number {
    this.step();
    return this.lo;
  }

  /** Go's (*Rand).Read: 7 bytes from each Int63(), least significant first. */
  read(out: Uint8Array): void {
    let pos = this.readPos;
    let hi = this.readHi;
    let lo = this.readLo;
    for (let n = 0; n < out.length; n++) {
      if (pos === 0) {
        this.step();
        hi = this.hi;
        lo = this.lo;
        pos = 7;
      }
      out[n] = lo & 0xff;
      lo = ((lo >>> 8) | ((hi & 0xff) << 24)) >>> 0;
      hi >>>= 8;
      pos--;
    }
    this.readPos = pos;
    this.readHi = hi;
    this.readLo = lo;
  }
}
