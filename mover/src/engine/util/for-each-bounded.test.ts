import { describe, expect, it } from 'vitest';
import { forEachBounded, mapBounded } from './for-each-bounded.ts';

/** A promise with its resolve/reject, to decide in the test when each step ends. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

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

  it('rejects with the first error, starts no item after it and waits for the steps in flight', async () => {
    const gates = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    let thirdEnded = false;
    const run = forEachBounded([0, 1, 2, 3, 4, 5], 3, async (i) => {
      started.push(i);
      await gates[i]!.promise;
      if (i === 2) thirdEnded = true;
    });
    let settled = false;
    run.catch(() => undefined).finally(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    gates[1]!.reject(new Error('first'));
    gates[0]!.reject(new Error('second'));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false); // item 2 is still running
    gates[2]!.resolve();
    await expect(run).rejects.toThrow('first');
    expect(thirdEnded).toBe(true);
    expect(started).toEqual([0, 1, 2]);
  });

  it('takes no more items once the signal aborts, rejecting with its reason', async () => {
    const ac = new AbortController();
    const seen: number[] = [];
    await expect(forEachBounded([1, 2, 3, 4], 1, async (i) => {
      seen.push(i);
      if (i === 2) ac.abort(new Error('stop'));
    }, ac.signal)).rejects.toThrow('stop');
    expect(seen).toEqual([1, 2]);
  });

  it('runs nothing for no items and treats a non-positive or NaN width as one', async () => {
    await forEachBounded([], 4, () => Promise.reject(new Error('never')));
    for (const width of [0, -3, Number.NaN]) {
      let inFlight = 0;
      let most = 0;
      const seen: number[] = [];
      await forEachBounded([1, 2, 3], width, async (i) => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setImmediate(r));
        seen.push(i);
        inFlight--;
      });
      expect({ seen, most }).toEqual({ seen: [1, 2, 3], most: 1 });
    }
  });
});

describe('mapBounded', () => {
  it('returns results in item order whatever order the steps finish in', async () => {
    const out = await mapBounded([30, 10, 20, 0], 4, async (ms, i) => {
      for (let k = 0; k < ms; k++) await new Promise((r) => setImmediate(r));
      return `${i}:${ms}`;
    });
    expect(out).toEqual(['0:30', '1:10', '2:20', '3:0']);
  });

  it('propagates the first error', async () => {
    await expect(mapBounded([1, 2, 3], 2, async (i) => {
      if (i === 2) throw new Error('two');
      return i;
    })).rejects.toThrow('two');
  });
});
