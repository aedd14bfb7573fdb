import { describe, expect, it } from 'vitest';
import { evaluateRetentionBySource, toRetentionSnapshot } from './snapshot-retention.ts';
import { emptySnapshotStats } from '../snapshot/snapshot-manifest.ts';
import type { SnapshotManifest } from '../snapshot/snapshot-manifest.ts';

function manifest(id: string, path: string, startTime: string, extra: Partial<SnapshotManifest> = {}): SnapshotManifest {
  return {
    id,
    source: { host: 'h', userName: 'u', path },
    description: '',
    startTime,
    endTime: startTime,
    stats: emptySnapshotStats(),
    rootEntry: undefined,
    ...extra,
  };
}

describe('retention over snapshot manifests', () => {
  it('maps manifest fields', () => {
    const r = toRetentionSnapshot(manifest('a', '/p', '2024-01-01T00:00:00.5Z', { incomplete: 'checkpoint', pins: ['x'] }));
    expect(r).toEqual({ id: 'a', startTime: '2024-01-01T00:00:00.5Z', endTime: '2024-01-01T00:00:00.5Z', incomplete: true, pins: ['x'] });
    expect(toRetentionSnapshot(manifest('b', '/p', '2024-01-01T00:00:00Z', { incomplete: '' })).incomplete).toBe(false);
  });

  it('evaluates each source separately with its own policy', () => {
    const all = [
      manifest('a1', '/a', '2024-01-01T00:00:00Z'),
      manifest('b1', '/b', '2024-01-01T00:00:00Z'),
      manifest('a2', '/a', '2024-01-02T00:00:00Z'),
      manifest('b2', '/b', '2024-01-02T00:00:00Z'),
    ];
    const result = evaluateRetentionBySource(all, (s) => ({ keepLatest: s.path === '/a' ? 1 : 2 }), { timeZone: 'UTC', now: '2024-02-01T00:00:00Z' });
    expect(result.map((r) => [r.source.path, [...r.decision.keep.keys()], r.decision.delete])).toEqual([
      ['/a', ['a2'], ['a1']],
      ['/b', ['b2', 'b1'], []],
    ]);
  });
});
