import { describe, expect, it } from 'vitest';
import { expectedUploadMemory, planUploadResources } from './upload-resources.ts';

const MiB = 1024 * 1024;
const base = { cores: 2, maxChunkBytes: 8 * MiB, maxPackBytes: 20 * MiB };

describe('planUploadResources', () => {
  it('plans for throughput without a limit, and for less memory as the limit shrinks, always within 80% of it when it can', () => {
    const free = planUploadResources(base);
    expect(free).toMatchObject({ workers: 2, jobsPerWorker: 2, packUploads: 3 });
    let previous = free.expectedBytes;
    for (const limit of [2048, 1024, 512, 384, 256]) {
      const plan = planUploadResources({ ...base, memoryLimitBytes: limit * MiB });
      expect(plan.expectedBytes).toBeLessThanOrEqual(previous);
      previous = plan.expectedBytes;
      if (limit >= 384) expect(plan.expectedBytes).toBeLessThanOrEqual(0.8 * limit * MiB);
    }
    expect(planUploadResources({ ...base, memoryLimitBytes: 256 * MiB })).toMatchObject({ workers: 1, packUploads: 1, resultsWaiting: 0 });
  });

  it('takes the smallest plan when nothing fits, and an explicit worker count over the plan\'s', () => {
    const tiny = planUploadResources({ ...base, memoryLimitBytes: 64 * MiB });
    expect(tiny).toMatchObject({ workers: 1, filesInFlight: 128, packBytes: 8 * MiB });
    expect(planUploadResources({ ...base, workers: 3 }).workers).toBe(3);
  });

  it('counts every part of the model: more workers, packs or files in flight cost more', () => {
    const plan = planUploadResources(base);
    const cost = expectedUploadMemory(plan, base);
    expect(expectedUploadMemory({ ...plan, workers: plan.workers + 1 }, base)).toBeGreaterThan(cost);
    expect(expectedUploadMemory({ ...plan, packUploads: plan.packUploads + 1 }, base)).toBeGreaterThan(cost);
    expect(expectedUploadMemory({ ...plan, filesInFlight: plan.filesInFlight * 2 }, base)).toBeGreaterThan(cost);
  });
});
