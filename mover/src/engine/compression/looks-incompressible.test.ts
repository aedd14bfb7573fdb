import { randomBytes } from 'node:crypto';
import { zstdCompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { looksIncompressible, SAMPLED_MIN_LENGTH } from './looks-incompressible.ts';

const MiB = 1 << 20;

function text(length: number): Buffer {
  const words = ['backup', 'volume', 'snapshot', 'kubelet', 'restore', 'pack', 'index', 'chunk', 'node', 'pod'];
  let s = '';
  for (let i = 0; s.length < length; i++) s += `${i} ${words[(i * 7) % words.length]} ${words[(i * 3) % words.length]}\n`;
  return Buffer.from(s.slice(0, length));
}

describe('looksIncompressible', () => {
  it('turns away random bytes, which zstd cannot shrink', () => {
    for (const n of [SAMPLED_MIN_LENGTH, MiB, 4 * MiB + 12_345]) {
      const data = randomBytes(n);
      expect(looksIncompressible(data)).toBe(true);
      expect(zstdCompressSync(data).length).toBeGreaterThan(n);
    }
  });

  it('offers text, zeros and small chunks to the compressor', () => {
    expect(looksIncompressible(text(MiB))).toBe(false);
    expect(looksIncompressible(Buffer.alloc(MiB))).toBe(false);
    expect(looksIncompressible(randomBytes(SAMPLED_MIN_LENGTH - 1))).toBe(false);
  });

  it('offers random data with one text block in sixteen (a mixed file) to the compressor', () => {
    const data = randomBytes(MiB);
    text(64 * 1024).copy(data, 5 * 64 * 1024);
    expect(looksIncompressible(data)).toBe(false);
  });

  it('offers a repeated random block (what LZ matching finds) to the compressor', () => {
    const block = randomBytes(64 * 1024);
    const data = Buffer.concat(Array.from({ length: 16 }, () => block));
    expect(looksIncompressible(data)).toBe(false);
    expect(zstdCompressSync(data).length).toBeLessThan(data.length / 4);
  });
});

describe('looksIncompressible on chunk sizes between the sampling steps', () => {
  it('decides every size from 64 KiB to 9 MiB without reading past the chunk', () => {
    const big = randomBytes(9 * MiB);
    for (const n of [SAMPLED_MIN_LENGTH, SAMPLED_MIN_LENGTH + 7, 100_000, MiB - 1, MiB + 1, 2 * MiB + 4095, 8 * MiB + 3, 9 * MiB]) {
      expect(looksIncompressible(big.subarray(0, n))).toBe(true);
    }
  });

  it('sees a 4 KiB random block repeated at a disk-block multiple', () => {
    const data = randomBytes(3 * MiB);
    const block = data.subarray(0, 4096);
    for (let off = 40 * 4096; off < 48 * 4096; off += 4096) block.copy(data, off);
    expect(looksIncompressible(data)).toBe(false);
  });
});
