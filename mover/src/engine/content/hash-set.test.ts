import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HashSet } from './hash-set.ts';

describe('HashSet', () => {
  it('holds every hash added, through many growths, and nothing else', () => {
    const set = new HashSet(16);
    const added = Array.from({ length: 50_000 }, () => randomBytes(16));
    for (const h of added) expect(set.add(h)).toBe(true);
    expect(set.size).toBe(50_000);
    for (const h of added) expect(set.has(h)).toBe(true);
    for (let i = 0; i < 5_000; i++) expect(set.has(randomBytes(16))).toBe(false);
  });

  it('reports a repeat without storing it twice, and copies the bytes it is given', () => {
    const set = new HashSet(32);
    const h = randomBytes(32);
    expect(set.add(h)).toBe(true);
    const copy = Buffer.from(h);
    h.fill(0); // a hasher may hand out one reused buffer
    expect(set.has(copy)).toBe(true);
    expect(set.add(copy)).toBe(false);
    expect(set.size).toBe(1);
    const other = randomBytes(32);
    expect(set.add(other)).toBe(true);
    expect(set.has(other)).toBe(true);
    expect(set.has(copy)).toBe(true);
  });

  it('tells apart hashes that share their last bytes (the table hashes those)', () => {
    const set = new HashSet(16);
    const a = Buffer.alloc(16, 1);
    const b = Buffer.from(a);
    b[0] = 2;
    set.add(a);
    expect(set.has(b)).toBe(false);
    expect(set.add(b)).toBe(true);
    expect(set.size).toBe(2);
  });

  it('refuses a hash of another length', () => {
    const set = new HashSet(16);
    expect(() => set.add(Buffer.alloc(32))).toThrow(/32 bytes in a set of 16-byte hashes/);
    expect(() => set.has(Buffer.alloc(8))).toThrow(RangeError);
  });
});
