import { describe, expect, it } from 'vitest';
import { emptyStorageCounts } from '../engine/blob/counting-store.ts';
import { formatStorageReport, storageReport } from './storage-report.ts';

describe('storage report', () => {
  it('says what reached storage and how the cache served it', () => {
    const counts = { ...emptyStorageCounts(), gets: 12, getBytes: 1_200_000, lists: 3 };
    expect(formatStorageReport(storageReport(counts, undefined))).toBe('storage: 12 gets (1.20 MB), 3 lists');
    const withCache = storageReport({ ...counts, puts: 2, putBytes: 25_100_000 }, { hits: 1400, misses: 2, invalid: 0, pruned: 0 });
    expect(formatStorageReport(withCache)).toBe('storage: 12 gets (1.20 MB), 3 lists, 2 puts (25.1 MB), cache 1,400 hits / 2 misses');
    expect(formatStorageReport(storageReport(counts, { hits: 1, misses: 1, invalid: 1, pruned: 0 }))).toContain('cache 1 hits / 1 misses, 1 invalid');
  });

  it('is a copy: later counting does not change a report already made', () => {
    const counts = emptyStorageCounts();
    const cache = { hits: 0, misses: 0, invalid: 0, pruned: 0 };
    const r = storageReport(counts, cache);
    counts.gets++;
    cache.hits++;
    expect(r.gets).toBe(0);
    expect(r.cache?.hits).toBe(0);
  });
});
