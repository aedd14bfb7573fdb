import { describe, expect, it } from 'vitest';
import { isCairnError } from '../errors.ts';
import { listSnapshots, saveSnapshot } from '../snapshot/snapshot-manager.ts';
import { emptySnapshotStats } from '../snapshot/snapshot-manifest.ts';
import type { SourceInfo } from '../snapshot/source-info.ts';
import { MemoryManifestStore } from '../snapshot/test-support/memory-manifest-store.ts';
import { policyForTarget, loadStoredPolicies, setRetentionPolicy } from './policy-store.ts';
import { applyExpiry, checkDeleteAll, literalRetentionPolicy, planExpiry, retentionReasons } from './snapshot-expiry.ts';

const A: SourceInfo = { host: 'h', userName: 'u', path: '/a' };
const B: SourceInfo = { host: 'h', userName: 'u', path: '/b' };
const NOW = new Date('2025-06-10T12:00:00Z');
const base = { timeZone: 'UTC', calendar: 'kopia' as const, now: NOW };

async function snapshots(store: MemoryManifestStore, source: SourceInfo, days: number): Promise<string[]> {
  const ids: string[] = [];
  for (let d = days; d >= 1; d--) {
    const t = new Date(NOW.getTime() - d * 86_400_000).toISOString();
    ids.push(await saveSnapshot(store, { id: '', source, description: '', startTime: t, endTime: t, stats: emptySnapshotStats(), rootEntry: undefined }));
  }
  return ids; // oldest first
}

describe('planExpiry', () => {
  it('applies command-line counts literally and gives kopia\'s reasons', async () => {
    const store = new MemoryManifestStore();
    const ids = await snapshots(store, A, 5);
    const [plan] = await planExpiry(store, { ...base, policy: literalRetentionPolicy({ keepLatest: 2 }) });
    expect(plan!.policyFrom).toBe('flags');
    expect(plan!.entries.map((e) => e.reasons)).toEqual([['latest-1'], ['latest-2'], [], [], []]);
    expect([...plan!.deleteIds].sort()).toEqual(ids.slice(0, 3).sort());
    expect(plan!.wouldDeleteAll).toBe(false);
    const deleted = await applyExpiry(store, [plan!]);
    expect(deleted.sort()).toEqual(ids.slice(0, 3).sort());
    expect((await listSnapshots(store, A)).map((s) => s.id)).toEqual(ids.slice(3));
  });

  it('uses each source\'s stored policy when no flags are given (kopia defaults otherwise)', async () => {
    const store = new MemoryManifestStore();
    await snapshots(store, A, 5);
    await snapshots(store, B, 5);
    await setRetentionPolicy(store, { host: '', userName: '', path: '' }, { keepLatest: 1, keepHourly: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepAnnual: 0 });
    await setRetentionPolicy(store, A, { keepDaily: 3 });
    const plans = await planExpiry(store, base);
    const a = plans.find((p) => p.source.path === '/a')!;
    const b = plans.find((p) => p.source.path === '/b')!;
    expect(a.policyFrom).toBe('stored');
    expect(a.entries.map((e) => e.reasons.join(','))).toEqual(['latest-1,daily-1', 'daily-2', 'daily-3', '', '']);
    expect(b.deleteIds).toHaveLength(4);
    const reasons = await retentionReasons(store, base);
    expect(reasons.get(a.entries[0]!.snapshot.id)).toEqual(['latest-1', 'daily-1']);
  });

  it('refuses a plan that empties a source unless allowed', async () => {
    const store = new MemoryManifestStore();
    await snapshots(store, A, 3);
    const plans = await planExpiry(store, { ...base, policy: literalRetentionPolicy({ keepLatest: 0, keepWithinMs: 3600_000 }) });
    expect(plans[0]!.wouldDeleteAll).toBe(true);
    const err = (() => { try { checkDeleteAll(plans, false); return undefined; } catch (e) { return e; } })();
    expect(isCairnError(err) && err.code).toBe('REFUSED');
    expect(() => checkDeleteAll(plans, true)).not.toThrow();
    // kopia's rule for stored policies: all counts zero keeps everything
    const [stored] = await planExpiry(store, { ...base, policy: { keepLatest: 0 } });
    expect(stored!.deleteIds).toEqual([]);
  });
});

describe('policy manifests', () => {
  it('replaces the target\'s policy and keeps sections Cairn does not model', async () => {
    const store = new MemoryManifestStore();
    await store.put({ type: 'policy', policyType: 'path', hostname: 'h', username: 'u', path: '/a' },
      { retention: { keepLatest: 5 }, compression: { compressorName: 'zstd' } });
    await setRetentionPolicy(store, A, { keepDaily: 2, keepWithinMs: 86_400_000 });
    const stored = await loadStoredPolicies(store);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.labels).toEqual({ type: 'policy', policyType: 'path', hostname: 'h', username: 'u', path: '/a' });
    expect(stored[0]!.payload).toEqual({ retention: { keepLatest: 5, keepDaily: 2, keepWithin: '1d' }, compression: { compressorName: 'zstd' } });
    await setRetentionPolicy(store, A, {}, ['keepLatest']);
    expect(policyForTarget(await loadStoredPolicies(store), A).doc.retention).toEqual({ keepDaily: 2, keepWithinMs: 86_400_000 });
    // a user-level policy is a different target
    expect(policyForTarget(await loadStoredPolicies(store), { host: 'h', userName: 'u', path: '' }).ids).toEqual([]);
  });
});
