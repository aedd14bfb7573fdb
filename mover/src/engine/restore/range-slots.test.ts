import { describe, expect, it } from 'vitest';
import { RangeSlots } from './range-slots.ts';
import { PAGE_BYTES, pageOffsetOf } from '../util/page-aligned-buffer.ts';

describe('RangeSlots', () => {
  it('hands out each slot once, makes the next caller wait for a release, and tells its memory apart', async () => {
    const slots = new RangeSlots(2, 16);
    const a = await slots.acquire();
    const b = await slots.acquire();
    expect(new Set([a, b]).size).toBe(2);
    let third: number | undefined;
    const waiting = slots.acquire().then((s) => (third = s));
    await Promise.resolve();
    expect(third).toBeUndefined();
    slots.release(b);
    await waiting;
    expect(third).toBe(b);
    expect(slots.view(a).length).toBeGreaterThanOrEqual(16 + 2 * PAGE_BYTES);
    expect(pageOffsetOf(slots.view(a))).toBe(0); // where a store can read into it with O_DIRECT
    expect(slots.holds(a, slots.view(a).subarray(3, 9))).toBe(true);
    expect(slots.holds(a, slots.view(b))).toBe(false);
    expect(slots.holds(a, Buffer.alloc(16))).toBe(false);
    expect(slots.holds(b, slots.view(b).subarray(4096 + 5, 4096 + 9))).toBe(true);
  });
});
