import { describe, expect, it } from 'vitest';
import { releaseBuffer } from './release-buffer.ts';

describe('releaseBuffer', () => {
  it('frees a buffer that owns its ArrayBuffer at once', () => {
    const before = process.memoryUsage().arrayBuffers;
    const buf = Buffer.allocUnsafe(32 << 20);
    expect(process.memoryUsage().arrayBuffers - before).toBeGreaterThanOrEqual(32 << 20);
    expect(releaseBuffer(buf)).toBe(true);
    expect(buf.length).toBe(0);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
  });

  it('leaves views of a larger ArrayBuffer, pooled small Buffers and released buffers alone', () => {
    const whole = Buffer.alloc(1 << 20, 7);
    const view = whole.subarray(0, 1024);
    expect(releaseBuffer(view)).toBe(false);
    expect(whole[1000]).toBe(7);
    const small = Buffer.from('abc');
    expect(releaseBuffer(small)).toBe(false);
    expect(small.toString()).toBe('abc');
    expect(releaseBuffer(whole)).toBe(true);
    expect(releaseBuffer(whole)).toBe(false);
  });
});
