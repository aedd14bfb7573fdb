import { describe, expect, it } from 'vitest';
import { createDecipheriv } from 'node:crypto';
import { MemoryBlobStore } from '../blob/memory-store.ts';
import { testRepositoryFormat } from '../content/content-test-support.ts';
import { isCairnError } from '../errors.ts';
import { MemoryManifestStore } from '../snapshot/test-support/memory-manifest-store.ts';
import {
  DEFAULT_MAINTENANCE_PARAMS, decodeMaintenanceParams, encodeMaintenanceParams, readMaintenanceParams, writeMaintenanceParams,
} from './maintenance-params.ts';
import {
  GO_ZERO_TIME, MAINTENANCE_SCHEDULE_BLOB_ID, TASK, decodeSchedule, emptySchedule, encodeSchedule, findSafeDropTime, readSchedule,
  recordRun, shouldRewriteContents, writeSchedule, type RunInfo,
} from './maintenance-schedule.ts';
import { SAFETY_FULL, SAFETY_NONE, parseSafety } from './safety.ts';

const H = 3_600_000;
const T = Date.parse('2025-05-01T00:00:00Z');
const run = (startH: number, endH: number, success = true): RunInfo => ({ start: new Date(T + startH * H), end: new Date(T + endH * H), success });

describe('kopia.maintenance schedule blob', () => {
  it('is AES-256-GCM with the derived "maintenance schedule" key and AAD "maintenance"', async () => {
    const format = testRepositoryFormat();
    const store = new MemoryBlobStore();
    const s = emptySchedule();
    s.nextFullMaintenance = new Date('2025-05-02T03:04:05.5Z');
    recordRun(s, TASK.snapshotGc, { ...run(0, 1), extra: [{ kind: 'snapshotGCStats', data: { deletedContentCount: 3 } }] });
    recordRun(s, TASK.snapshotGc, { ...run(5, 6, false), error: 'boom <&>' });
    await writeSchedule(store, format, s);
    const blob = await store.get(MAINTENANCE_SCHEDULE_BLOB_ID);
    const d = createDecipheriv('aes-256-gcm', format.deriveKey('maintenance schedule', 32), blob.subarray(0, 12));
    d.setAAD(Buffer.from('maintenance'));
    d.setAuthTag(blob.subarray(blob.length - 16));
    const json = JSON.parse(Buffer.concat([d.update(blob.subarray(12, blob.length - 16)), d.final()]).toString()) as Record<string, unknown>;
    expect(json['nextFullMaintenance']).toBe('2025-05-02T03:04:05.5Z');
    expect(json['nextQuickMaintenance']).toBe('0001-01-01T00:00:00Z');
    expect(json['runs']).toEqual({
      'snapshot-gc': [
        { start: '2025-05-01T05:00:00Z', end: '2025-05-01T06:00:00Z', error: 'boom <&>' },
        { start: '2025-05-01T00:00:00Z', end: '2025-05-01T01:00:00Z', success: true, extra: [{ kind: 'snapshotGCStats', data: { deletedContentCount: 3 } }] },
      ],
    });
    const back = await readSchedule(store, format);
    expect(back.runs.get(TASK.snapshotGc)).toEqual(s.runs.get(TASK.snapshotGc));
    expect(back.nextQuickMaintenance).toEqual(GO_ZERO_TIME);
    // another repository's key fails authentication
    await expect(readSchedule(store, testRepositoryFormat())).rejects.toMatchObject({ code: 'CORRUPT' });
    expect((await readSchedule(new MemoryBlobStore(), format)).runs.size).toBe(0);
  });

  it('decodes what kopia writes (nanosecond times, unknown tasks kept)', () => {
    const s = decodeSchedule(Buffer.from('{"nextFullMaintenance":"2025-05-02T00:00:00.123456789Z","nextQuickMaintenance":"2025-05-01T01:00:00+02:00","runs":{"cleanup-logs":[{"start":"2025-05-01T00:00:00Z","end":"2025-05-01T00:00:01Z","success":true}],"future-task":[{"start":"2025-05-01T00:00:00Z","end":"2025-05-01T00:00:01Z"}]}}'));
    expect(s.nextFullMaintenance.toISOString()).toBe('2025-05-02T00:00:00.123Z');
    expect(s.nextQuickMaintenance.toISOString()).toBe('2025-04-30T23:00:00.000Z');
    expect([...s.runs.keys()].sort()).toEqual(['cleanup-logs', 'future-task']);
    expect(JSON.parse(encodeSchedule(s).toString())['runs']['future-task']).toEqual([{ start: '2025-05-01T00:00:00Z', end: '2025-05-01T00:00:01Z' }]);
  });

  it('keeps the newest 50 runs per task', () => {
    const s = emptySchedule();
    for (let i = 0; i < 60; i++) recordRun(s, TASK.cleanupLogs, run(i, i));
    expect(s.runs.get(TASK.cleanupLogs)).toHaveLength(50);
    expect(s.runs.get(TASK.cleanupLogs)![0]!.start.getTime()).toBe(T + 59 * H);
  });
});

describe('two-GC-cycle rule (kopia findSafeDropTime)', () => {
  it('needs two successful GCs more than MarginBetweenSnapshotGC apart', () => {
    expect(findSafeDropTime([], SAFETY_FULL)).toBeUndefined();
    expect(findSafeDropTime([run(0, 1)], SAFETY_FULL)).toBeUndefined();
    expect(findSafeDropTime([run(0, 1), run(3, 4)], SAFETY_FULL)).toBeUndefined(); // 2 h apart < 4 h
    expect(findSafeDropTime([run(0, 1), run(2, 3, false), run(6, 7)], SAFETY_FULL)?.getTime()).toBe(T - H); // first start - 1 h
    expect(findSafeDropTime([run(0, 1), run(10, 11), run(12, 13)], SAFETY_FULL)?.getTime()).toBe(T - H); // latest 12: 10 is too close, 0 is fine
  });

  it('allows a rewrite only after the previous one was followed by a pack deletion', () => {
    const s = emptySchedule();
    expect(shouldRewriteContents(s, SAFETY_FULL, true)).toBe(true);
    recordRun(s, TASK.rewriteContentsFull, run(0, 1));
    expect(shouldRewriteContents(s, SAFETY_FULL, true)).toBe(false);
    expect(shouldRewriteContents(s, SAFETY_NONE, true)).toBe(true);
    recordRun(s, TASK.deleteOrphanedBlobsFull, run(2, 3));
    expect(shouldRewriteContents(s, SAFETY_FULL, true)).toBe(true);
  });
});

describe('maintenance parameters manifest', () => {
  it('round-trips kopia\'s JSON (ns durations) and keeps unknown keys', () => {
    const kopia = { owner: 'alice@laptop', quick: { enabled: true, interval: 3600000000000 }, full: { enabled: false, interval: 86400000000000 },
      logRetention: { maxTotalSize: 1073741824, maxCount: 10000, maxAge: 2592000000000000 }, extendObjectLocks: false, listParallelism: 0, future: 1 };
    const p = decodeMaintenanceParams(kopia);
    expect(p.owner).toBe('alice@laptop');
    expect(p.full).toEqual({ enabled: false, intervalMs: 24 * H });
    expect(p.logRetention.maxAgeMs).toBe(30 * 24 * H);
    expect(encodeMaintenanceParams(p)).toEqual(kopia);
  });

  it('reads the latest manifest and replaces all on write', async () => {
    const manifests = new MemoryManifestStore();
    expect((await readMaintenanceParams(manifests)).params.owner).toBe('');
    await manifests.put({ type: 'maintenance' }, encodeMaintenanceParams({ ...DEFAULT_MAINTENANCE_PARAMS, owner: 'a@x' }));
    await manifests.put({ type: 'maintenance' }, encodeMaintenanceParams({ ...DEFAULT_MAINTENANCE_PARAMS, owner: 'b@x' }));
    expect((await readMaintenanceParams(manifests)).params.owner).toBe('b@x');
    await writeMaintenanceParams(manifests, { ...DEFAULT_MAINTENANCE_PARAMS, owner: 'c@x' });
    const after = await readMaintenanceParams(manifests);
    expect(after.params.owner).toBe('c@x');
    expect(after.manifestIds).toHaveLength(1);
  });
});

describe('safety levels', () => {
  it('parses a base level and overrides', () => {
    expect(parseSafety('full').safety).toEqual(SAFETY_FULL);
    const s = parseSafety('none, sessionExpirationAge=96h,requireTwoGCCycles=true,epoch.minEpochDuration=10m,epoch.advanceOnCount=10');
    expect(s.safety).toEqual({ ...SAFETY_NONE, sessionExpirationAgeMs: 96 * H, requireTwoGcCycles: true });
    expect(s.epochOverrides).toEqual({ minEpochDurationMs: 600_000, epochAdvanceOnCountThreshold: 10 });
    for (const bad of ['fast', 'none,foo=1', 'none,packDeleteMinAge', 'none,requireTwoGCCycles=yes', 'none,epoch.advanceOnCount=0']) {
      const e = (() => { try { parseSafety(bad); return undefined; } catch (err) { return err; } })();
      expect(isCairnError(e) && e.code).toBe('USAGE');
    }
  });
});
