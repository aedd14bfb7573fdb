import { describe, expect, it } from 'vitest';
import { fillRandom } from './random-pool.ts';

describe('fillRandom', () => {
  it('never hands out the same bytes twice, across refills of its pool and for requests larger than it', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const nonce = new Uint8Array(12);
      fillRandom(nonce);
      seen.add(Buffer.from(nonce).toString('hex'));
    }
    expect(seen.size).toBe(2000);
    const big = new Uint8Array(10_000);
    fillRandom(big);
    expect(big.some((b) => b !== 0)).toBe(true);
    // bytes look random: all 256 values appear in 10,000 of them
    expect(new Set(big).size).toBe(256);
  });
});
