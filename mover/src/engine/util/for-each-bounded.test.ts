import { describe, expect, it } from 'vitest';
import { forEachBounded } from './for-each-bounded.ts';

describe('forEachBounded', () => {
  it('visits every item once with at most `parallel` steps in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];
    await forEachBounded([...Array(20).keys()], 3, async (i) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setImmediate(r));
      seen.push(i);
      inFlight--;
    });
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    expect(most).toBe(3);
  });

  it('rejects with the first error and takes no more items after an abort', async () => {
    await expect(forEachBounded([1, 2, 3], 2, async (i) => {
      if (i === 2) throw new Error('two');
    })).rejects.toThrow('two');
    const ac = new AbortController();
    const seen: number[] = [];
    await expect(forEachBounded([1, 2, 3, 4], 1, async (i) => {
      seen.push(i);
      if (i === 2) ac.abort(new Error('stop'));
    }, ac.signal)).rejects.toThrow('stop');
    expect(seen).toEqual([1, 2]);
    await forEachBounded([], 4, () => Promise.reject(new Error('never')));
  });
});
