import { describe, expect, it } from 'vitest';
import type { SnapshotManifest } from './snapshot-manifest.ts';
import { emptySnapshotStats, snapshotManifestFromJson, snapshotManifestToJson } from './snapshot-manifest.ts';
import { deleteSnapshot, findPreviousSnapshot, findPreviousSnapshots, listSnapshots, listSources, loadSnapshot, resolveSnapshot, saveSnapshot } from './snapshot-manager.ts';
import { MemoryManifestStore } from './test-support/memory-manifest-store.ts';

const src = { host: 'cluster', userName: 'ns', path: '/pvc' };
const other = { host: 'cluster', userName: 'ns', path: '/other' };

function snap(startTime: string, extra: Partial<SnapshotManifest> = {}): SnapshotManifest {
  return {
    id: '',
    source: src,
    description: '',
    startTime,
    endTime: startTime,
    stats: { ...emptySnapshotStats(), fileCount: 3, totalSize: 42 },
    incomplete: '',
    rootEntry: { name: 'pvc', type: 'd', mode: 0o755, size: 0, mtime: startTime, uid: 0, gid: 0, obj: 'k01' },
    tags: {},
    pins: [],
    ...extra,
  };
}

describe('snapshot manifests', () => {
  it('encodes kopia key order, empty id, omitempty fields', () => {
    const json = snapshotManifestToJson(snap('2025-01-01T00:00:00.5Z', { id: 'abc', tags: { 'tag:b': '2', 'tag:a': '1' } }));
    expect(JSON.stringify(json)).toBe(
      '{"id":"","source":{"host":"cluster","userName":"ns","path":"/pvc"},"description":"",' +
        '"startTime":"2025-01-01T00:00:00.5Z","endTime":"2025-01-01T00:00:00.5Z","stats":{"totalSize":42,' +
        '"excludedTotalSize":0,"fileCount":3,"cachedFiles":0,"nonCachedFiles":0,"dirCount":0,"excludedFileCount":0,' +
        '"excludedDirCount":0,"ignoredErrorCount":0,"errorCount":0},"rootEntry":{"name":"pvc","type":"d","mode":"0755",' +
        '"mtime":"2025-01-01T00:00:00.5Z","obj":"k01"},"tags":{"tag:a":"1","tag:b":"2"}}',
    );
  });

  it('decodes a kopia payload', () => {
    const m = snapshotManifestFromJson(
      {
        id: '',
        source: { host: 'h', userName: 'u', path: '/p' },
        description: 'd',
        startTime: '2025-01-01T01:00:00.123+01:00',
        endTime: '2025-01-01T00:00:01Z',
        stats: { totalSize: 7, fileCount: 1 },
        incomplete: 'checkpoint',
        rootEntry: { name: 'p', type: 'd', mode: '020000755', obj: 'kabc', summ: { size: 7, files: 1, symlinks: 0, dirs: 1, maxTime: '2025-01-01T00:00:00Z', numFailed: 0 } },
        storageStats: { newData: {} },
        pins: ['keep'],
      },
      'id1',
    );
    expect(m.id).toBe('id1');
    expect(m.startTime).toBe('2025-01-01T00:00:00.123Z');
    expect(m.incomplete).toBe('checkpoint');
    expect(m.rootEntry?.mode).toBe(0o2755);
    expect(m.rootEntry?.summ?.files).toBe(1);
    expect(m.stats.totalSize).toBe(7);
    expect(m.pins).toEqual(['keep']);
  });
});

describe('snapshot manager', () => {
  it('saves with kopia labels, lists sorted by start time, filters by source', async () => {
    const store = new MemoryManifestStore();
    const b = await saveSnapshot(store, snap('2025-02-01T00:00:00Z'));
    const a = await saveSnapshot(store, snap('2025-01-01T00:00:00Z'));
    const c = await saveSnapshot(store, snap('2025-03-01T00:00:00Z', { source: other }));
    expect(store.entries.get(a)?.labels).toEqual({ type: 'snapshot', hostname: 'cluster', username: 'ns', path: '/pvc' });
    expect((await listSnapshots(store, src)).map((m) => m.id)).toEqual([a, b]);
    expect((await listSnapshots(store)).map((m) => m.id)).toEqual([a, b, c]);
    expect(await listSources(store)).toEqual([other, src]);
    expect((await loadSnapshot(store, b)).startTime).toBe('2025-02-01T00:00:00Z');
  });

  it('refuses sources without user/host/path and tags shadowing labels', async () => {
    const store = new MemoryManifestStore();
    await expect(saveSnapshot(store, snap('2025-01-01T00:00:00Z', { source: { ...src, path: '' } }))).rejects.toThrow(/no path/);
    await expect(saveSnapshot(store, snap('2025-01-01T00:00:00Z', { tags: { path: 'x' } }))).rejects.toThrow(/collides/);
  });

  it('resolves latest (complete only, as of a time), IDs and prefixes', async () => {
    const store = new MemoryManifestStore();
    const a = await saveSnapshot(store, snap('2025-01-01T00:00:00Z'));
    const b = await saveSnapshot(store, snap('2025-02-01T00:00:00Z'));
    await saveSnapshot(store, snap('2025-03-01T00:00:00Z', { incomplete: 'checkpoint' }));
    const c = await saveSnapshot(store, snap('2025-04-01T00:00:00Z', { source: other }));
    expect((await resolveSnapshot(store, 'latest', { source: src })).id).toBe(b);
    expect((await resolveSnapshot(store, 'latest')).id).toBe(c);
    expect((await resolveSnapshot(store, 'latest', { source: src, asOf: '2025-01-15T00:00:00Z' })).id).toBe(a);
    expect((await resolveSnapshot(store, 'latest', { source: src, asOf: new Date('2025-01-15T00:00:00Z') })).id).toBe(a);
    expect((await resolveSnapshot(store, a)).id).toBe(a);
    expect((await resolveSnapshot(store, a.slice(0, 12))).id).toBe(a);
    await expect(resolveSnapshot(store, 'latest', { source: src, asOf: '2024-01-01T00:00:00Z' })).rejects.toThrow(
      /no complete snapshot of ns@cluster:\/pvc at or before 2024-01-01T00:00:00Z/,
    );
    await expect(resolveSnapshot(store, 'ffffffffffff')).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('"ffffffffffff"') });
    await expect(resolveSnapshot(store, '')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('reports ambiguous prefixes and non-snapshot manifests', async () => {
    const store = new MemoryManifestStore();
    const ids = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20].map((d) => saveSnapshot(store, snap(`2025-01-${String(d).padStart(2, '0')}T00:00:00Z`))));
    const byFirst = new Map<string, number>();
    for (const id of ids) byFirst.set(id[0]!, (byFirst.get(id[0]!) ?? 0) + 1);
    const shared = [...byFirst.entries()].find(([, n]) => n > 1)![0];
    await expect(resolveSnapshot(store, shared)).rejects.toMatchObject({ code: 'USAGE' });
    const pol = await store.put({ type: 'policy' }, {});
    await expect(loadSnapshot(store, pol)).rejects.toThrow(/is not a snapshot/);
    await expect(loadSnapshot(store, 'nope')).rejects.toThrow(/snapshot nope not found/);
  });

  it('deletes snapshots', async () => {
    const store = new MemoryManifestStore();
    const a = await saveSnapshot(store, snap('2025-01-01T00:00:00Z'));
    await deleteSnapshot(store, a);
    expect(await listSnapshots(store)).toEqual([]);
    await expect(deleteSnapshot(store, a)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('finds the previous complete snapshot and later checkpoints', async () => {
    const store = new MemoryManifestStore();
    expect(await findPreviousSnapshot(store, src)).toBeUndefined();
    await saveSnapshot(store, snap('2025-01-01T00:00:00Z'));
    const b = await saveSnapshot(store, snap('2025-02-01T00:00:00Z'));
    const c = await saveSnapshot(store, snap('2025-03-01T00:00:00Z', { incomplete: 'checkpoint' }));
    await saveSnapshot(store, snap('2025-04-01T00:00:00Z', { source: other }));
    expect((await findPreviousSnapshot(store, src))?.id).toBe(b);
    expect((await findPreviousSnapshots(store, src)).map((m) => m.id)).toEqual([b, c]);
    expect((await findPreviousSnapshots(store, src, 1738000000000000000n)).length).toBe(1);
  });
});
