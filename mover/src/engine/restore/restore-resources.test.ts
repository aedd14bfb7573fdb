import { describe, expect, it } from 'vitest';
import { expectedRestoreMemory, planRestoreResources } from './restore-resources.ts';

const MiB = 1024 * 1024;

describe('planRestoreResources', () => {
  it('keeps the throughput plan without a limit and shrinks reads and writers to fit smaller limits', () => {
    expect(planRestoreResources({ cores: 2 })).toMatchObject({ parallel: 8, writers: 2, maxRangeBytes: 8 * MiB });
    expect(planRestoreResources({ cores: 8, memoryLimitBytes: 2048 * MiB })).toMatchObject({ parallel: 8, writers: 4 });
    const small = planRestoreResources({ cores: 2, memoryLimitBytes: 256 * MiB });
    expect(small).toMatchObject({ parallel: 2, writers: 1 });
    expect(small.expectedBytes).toBeLessThanOrEqual(0.8 * 256 * MiB);
    expect(planRestoreResources({ cores: 2, memoryLimitBytes: 64 * MiB })).toMatchObject({ parallel: 2, writers: 1 });
  });

  it('reads fewer, smaller ranges at once from local storage, with as many writers', () => {
    expect(planRestoreResources({ cores: 8, storage: 'local' })).toMatchObject({ parallel: 6, writers: 4, maxRangeBytes: 4 * MiB });
    expect(planRestoreResources({ cores: 8, storage: 'remote' })).toMatchObject({ parallel: 8, writers: 4, maxRangeBytes: 8 * MiB });
    expect(planRestoreResources({ cores: 2, storage: 'local' }).expectedBytes).toBeLessThan(planRestoreResources({ cores: 2 }).expectedBytes);
  });

  it('costs more for every extra range, byte of range and writer', () => {
    const p = { parallel: 4, writers: 2, maxRangeBytes: 4 * MiB };
    const c = expectedRestoreMemory(p);
    expect(expectedRestoreMemory({ ...p, parallel: 5 })).toBeGreaterThan(c);
    expect(expectedRestoreMemory({ ...p, writers: 3 })).toBeGreaterThan(c);
    expect(expectedRestoreMemory({ ...p, maxRangeBytes: 5 * MiB })).toBeGreaterThan(c);
  });
});
