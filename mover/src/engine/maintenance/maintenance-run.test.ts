import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createFilesystemStore } from '../blob/filesystem-store.ts';
import { listAll } from '../blob/blob-store.ts';
import { DeleteNotPermittedError } from '../blob/blob-errors.ts';
import { FaultInjectingBlobStore } from '../blob/test-support/fault-injecting-store.ts';
import { isCairnError } from '../errors.ts';
import { deleteSnapshot, listSnapshots } from '../snapshot/snapshot-manager.ts';
import { readMaintenanceParams, writeMaintenanceParams, DEFAULT_MAINTENANCE_PARAMS } from './maintenance-params.ts';
import { runMaintenance, type MaintenanceRunOptions } from './maintenance-run.ts';
import { TASK, readSchedule } from './maintenance-schedule.ts';
import { SAFETY_FULL, SAFETY_NONE, parseSafety } from './safety.ts';
import { checkRepository, measureStorage } from './repository-check.ts';
import { TestClock, memoryRepo, readTree, writeSnapshot, type MemoryRepo } from './test-support/memory-repository.ts';

const ME = 'me@here';

function opts(m: MemoryRepo, extra: Partial<MaintenanceRunOptions> = {}): MaintenanceRunOptions {
  return { mode: 'full', owner: ME, safety: SAFETY_NONE, now: m.clock.now, monotonicMs: () => m.clock.ms, ...extra };
}

async function ids(m: MemoryRepo, prefix = ''): Promise<string[]> {
  return (await listAll(m.store, prefix)).map((b) => b.id).sort();
}

/** Three snapshots with their own 200 KB file each plus a shared one; the first two deleted. */
async function twoExpired(m: MemoryRepo): Promise<{ keep: string; keepData: Record<string, Buffer> }> {
  const shared = randomBytes(50_000);
  const repo = await m.open();
  const snaps: string[] = [];
  let last: Record<string, Buffer> = {};
  for (let i = 0; i < 3; i++) {
    last = { 'shared.bin': shared, [`own-${i}.bin`]: randomBytes(200_000) };
    snaps.push(await writeSnapshot(repo, { sub: { ...last } }, m.clock));
    m.clock.advanceHours(1);
  }
  await deleteSnapshot(repo.manifests, snaps[0]!);
  await deleteSnapshot(repo.manifests, snaps[1]!);
  await repo.flush();
  return { keep: snaps[2]!, keepData: Object.fromEntries(Object.entries(last).map(([k, v]) => [`sub/${k}`, v])) };
}

describe('full maintenance', () => {
  it('with no safety margins removes what only deleted snapshots used and keeps the rest readable', async () => {
    const m = memoryRepo();
    const { keep, keepData } = await twoExpired(m);
    const before = await measureStorage(m.store);
    const repo = await m.open();
    const report = await runMaintenance(repo, opts(m));
    expect(report.claimedOwnership).toBe(true);
    const gc = report.tasks.find((t) => t.task === TASK.snapshotGc)!;
    expect(gc.success).toBe(true);
    expect((gc.stats as { deletedContentCount: number }).deletedContentCount).toBeGreaterThanOrEqual(2);
    expect(report.tasks.find((t) => t.task === TASK.deleteOrphanedBlobsFull)?.success).toBe(true);
    const after = await measureStorage(m.store);
    // two 200 KB files gone (plus their listings)
    expect(before.byKind['data-packs']!.bytes - after.byKind['data-packs']!.bytes).toBeGreaterThan(0.9 * 400_000);

    const fresh = await m.open();
    const snaps = await listSnapshots(fresh.manifests);
    expect(snaps.map((s) => s.id)).toEqual([keep]);
    expect(await readTree(fresh, snaps[0]!.rootEntry!.obj)).toEqual(keepData);
    const check = await checkRepository(fresh);
    expect(check.problems).toEqual([]);
    expect(check.reclaimable.totalBytes).toBe(0);
    // the schedule records the runs kopia-style
    const schedule = await readSchedule(m.store, m.format);
    expect(schedule.runs.get(TASK.snapshotGc)?.[0]?.success).toBe(true);
    expect(schedule.nextFullMaintenance.getTime()).toBeGreaterThan(m.clock.ms);
    // a second run has nothing left to do
    await runMaintenance(await m.open(), opts(m));
    expect((await measureStorage(m.store)).byKind['data-packs']!.bytes).toBe(after.byKind['data-packs']!.bytes);
  });

  it('with kopia\'s full safety deletes only after the margins and two GC cycles, by storage time', async () => {
    const m = memoryRepo();
    const { keep, keepData } = await twoExpired(m);
    const full = (): MaintenanceRunOptions => opts(m, { safety: SAFETY_FULL });
    const dataBytes = async (): Promise<number> => (await measureStorage(m.store)).byKind['data-packs']!.bytes;
    const initial = await dataBytes();

    // young data: nothing may be marked or deleted
    const r0 = await runMaintenance(await m.open(), full());
    expect((r0.tasks.find((t) => t.task === TASK.snapshotGc)!.stats as { deletedContentCount: number }).deletedContentCount).toBe(0);
    expect(r0.skipped.map((s) => s.task)).toContain(TASK.dropDeletedContentsFull);

    m.clock.advanceHours(25); // contents now older than MinContentAgeSubjectToGC
    const r1 = await runMaintenance(await m.open(), full());
    expect((r1.tasks.find((t) => t.task === TASK.snapshotGc)!.stats as { deletedContentCount: number }).deletedContentCount).toBeGreaterThan(0);
    // r0 and r1 are two GCs far enough apart: only deletions older than r0 (none) may be dropped
    const drop1 = r1.tasks.find((t) => t.task === TASK.dropDeletedContentsFull)!.stats as { droppedContentsDeletedBefore: Date };
    expect(drop1.droppedContentsDeletedBefore.getTime()).toBeLessThan(r0.startTime.getTime());
    expect(await dataBytes()).toBeGreaterThan(0.98 * initial); // rewritten into fewer packs, no data deleted yet

    m.clock.advanceHours(5);
    await runMaintenance(await m.open(), full()); // deletes the packs orphaned by r1's rewrite
    m.clock.advanceHours(5);
    const r3 = await runMaintenance(await m.open(), full()); // drops r1's tombstones, then their packs go
    expect(r3.tasks.find((t) => t.task === TASK.dropDeletedContentsFull)?.success).toBe(true);
    m.clock.advanceHours(5);
    await runMaintenance(await m.open(), full());
    expect(await dataBytes()).toBeLessThan(initial - 0.9 * 400_000);

    const fresh = await m.open();
    const snap = (await listSnapshots(fresh.manifests)).find((s) => s.id === keep)!;
    expect(await readTree(fresh, snap.rootEntry!.obj)).toEqual(keepData);
    expect((await checkRepository(fresh)).problems).toEqual([]);
  });

  it('keeps the unindexed packs of a backup that is still running (live session marker)', async () => {
    const m = memoryRepo();
    await twoExpired(m);
    const packsBefore = await ids(m, 'p');
    const writer = await m.open();
    const chunks = Array.from({ length: 21 }, () => randomBytes(1 << 20));
    const chunkIds: string[] = [];
    // fills a pack: uploaded with a session marker, not yet indexed
    for (const c of chunks) chunkIds.push(await writer.contents.writeContent(c, { prefix: '' }));
    await writer.contents.close();
    const writerPacks = (await ids(m, 'p')).filter((p) => !packsBefore.includes(p));
    expect(writerPacks.length).toBeGreaterThan(0);
    expect((await ids(m, 's')).length).toBeGreaterThan(0);
    m.clock.advanceHours(1);
    const report = await runMaintenance(await m.open(), opts(m, { safety: parseSafety('none,sessionExpirationAge=96h').safety }));
    const packGc = report.tasks.find((t) => t.task === TASK.deleteOrphanedBlobsFull)!.stats as { deletedPackCount: number; retainedPackCount: number };
    expect(packGc.deletedPackCount).toBeGreaterThan(0);
    expect(packGc.retainedPackCount).toBeGreaterThanOrEqual(writerPacks.length);
    const after = await ids(m, 'p');
    for (const p of writerPacks) expect(after).toContain(p);
    await writer.flush();
    const reader = await m.open();
    for (let i = 0; i < chunks.length; i++) expect((await reader.contents.getContent(chunkIds[i]!)).equals(chunks[i]!)).toBe(true);
  });
});

describe('stale temporary files', () => {
  it('are swept on a store that leaves them, older than the content-age margin, and the run is recorded', async () => {
    const m = memoryRepo();
    const cutoffs: Date[] = [];
    const store = Object.assign(m.store, {
      sweepTemporary: async (olderThan: Date) => {
        cutoffs.push(olderThan);
        return { deletedFiles: 2, deletedBytes: 40 << 20, keptFiles: 1 };
      },
    });
    const repo = await m.open(store);
    const report = await runMaintenance(repo, opts(m, { safety: parseSafety('none,minContentAgeSubjectToGC=24h').safety }));
    expect(cutoffs.map((d) => d.getTime())).toEqual([report.startTime.getTime() - 24 * 3_600_000]);
    expect(report.tasks.find((t) => t.task === TASK.cleanupTemporaryFiles)).toMatchObject({
      success: true, stats: { deletedFiles: 2, deletedBytes: 40 << 20, keptFiles: 1 },
    });
    expect((await readSchedule(repo.blobs, repo.format)).runs.get(TASK.cleanupTemporaryFiles)?.[0]?.success).toBe(true);
  });

  it('of a backup still running are kept whatever their age (live session); a dead writer\'s go', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-sweep-live-'));
    try {
      const m = memoryRepo(new TestClock(new Date().toISOString()));
      const store = await createFilesystemStore(dir, { create: true, fsync: false });
      const writer = await m.open(store);
      // a streamed data pack: its first 4 MiB window is on disk as the pack's temp file
      const data = randomBytes(5 << 20);
      const id = await writer.contents.writeContent(data, { prefix: '' });
      expect((await writer.contents.getContent(id)).equals(data)).toBe(true); // settles the window on disk
      const temps = async (): Promise<string[]> => (await readdir(dir, { recursive: true })).filter((f) => f.includes('.tmp.')).sort();
      const [own] = await temps();
      expect(own).toBeDefined();
      // the writer waits on its source for an hour; a writer killed a day ago left a pack's temp file
      const hourAgo = new Date(Date.now() - 3_600_000);
      const dayAgo = new Date(Date.now() - 86_400_000);
      await utimes(join(dir, own!), hourAgo, hourAgo);
      const dead = join(dir, 'p', '012', '3456789abcdef0123456789abcdef-s0123456789abcdef-c1.f.tmp.0011223344556677');
      await mkdir(dirname(dead), { recursive: true });
      await writeFile(dead, 'partial pack');
      await utimes(dead, dayAgo, dayAgo);

      const report = await runMaintenance(await m.open(store), {
        mode: 'full', owner: ME, safety: parseSafety('none,sessionExpirationAge=96h').safety, now: () => new Date(),
      });
      expect(report.tasks.find((t) => t.task === TASK.cleanupTemporaryFiles)).toMatchObject({
        success: true, stats: { deletedFiles: 1, keptFiles: 1 },
      });
      expect(existsSync(dead)).toBe(false);
      expect(await temps()).toEqual([own]);
      await writer.flush(); // the pack is renamed into place
      expect((await (await m.open(store)).contents.getContent(id)).equals(data)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('are not looked for on a store that leaves none (S3, memory)', async () => {
    const m = memoryRepo();
    const report = await runMaintenance(await m.open(), opts(m));
    expect(report.tasks.map((t) => t.task)).not.toContain(TASK.cleanupTemporaryFiles);
  });
});

describe('ownership, append-only storage and budget', () => {
  it('refuses when another client owns maintenance, unless forced', async () => {
    const m = memoryRepo();
    await twoExpired(m);
    const repo = await m.open();
    await writeMaintenanceParams(repo.manifests, { ...DEFAULT_MAINTENANCE_PARAMS, owner: 'kopia@elsewhere' });
    await repo.flush();
    const before = await ids(m);
    const err = await runMaintenance(await m.open(), opts(m)).catch((e: unknown) => e);
    expect(isCairnError(err) && err.code).toBe('MAINTENANCE_OWNED');
    expect(await ids(m)).toEqual(before);
    const forced = await runMaintenance(await m.open(), opts(m, { force: true }));
    expect(forced.owner).toBe('kopia@elsewhere');
    expect((await readMaintenanceParams((await m.open()).manifests)).params.owner).toBe('kopia@elsewhere');
  });

  it('fails with APPEND_ONLY before changing anything when deletes are refused', async () => {
    const m = memoryRepo();
    await twoExpired(m);
    const before = (await listAll(m.store, '')).map((b) => `${b.id}:${b.length}`).sort();
    const faulty = new FaultInjectingBlobStore(m.store);
    faulty.inject({ op: 'delete', fault: { kind: 'fail', error: (_op, id) => new DeleteNotPermittedError(`denied ${id}`) } });
    const err = await runMaintenance(await m.open(faulty), opts(m)).catch((e: unknown) => e);
    expect(isCairnError(err) && err.code).toBe('APPEND_ONLY');
    expect(faulty.calls.put).toBe(0);
    expect((await listAll(m.store, '')).map((b) => `${b.id}:${b.length}`).sort()).toEqual(before);
  });

  it('stops before deleting when the run took longer than its budget', async () => {
    const m = memoryRepo();
    await twoExpired(m);
    const packs = await ids(m, 'p');
    const slow = opts(m, {
      safety: parseSafety('none,maxRunBeforeDelete=1h').safety,
      onTask: () => { m.clock.advanceHours(2); },
    });
    const err = await runMaintenance(await m.open(), slow).catch((e: unknown) => e);
    expect(isCairnError(err) && err.code).toBe('REFUSED');
    expect((err as Error).message).toMatch(/safety budget/);
    expect(await ids(m, 'p')).toEqual(packs);
    const schedule = await readSchedule(m.store, m.format);
    expect(schedule.runs.get(TASK.snapshotGc)?.[0]?.success).toBe(false);
  });

  it('refuses to run with a skewed local clock', async () => {
    const m = memoryRepo();
    await twoExpired(m);
    const err = await runMaintenance(await m.open(), opts(m, { now: () => new Date(m.clock.ms + 10 * 60_000) })).catch((e: unknown) => e);
    expect(isCairnError(err) && err.code).toBe('REFUSED');
    expect((err as Error).message).toMatch(/clock/);
  });
});

describe('interrupted runs', () => {
  for (const point of [TASK.rewriteContentsFull, TASK.dropDeletedContentsFull, TASK.deleteOrphanedBlobsFull, 'mid-deletion']) {
    it(`leave a consistent repository when stopped at ${point}, and a rerun converges`, async () => {
      const m = memoryRepo();
      const { keep, keepData } = await twoExpired(m);
      let deletions = 0;
      const crash = new Error('simulated crash');
      const stop = opts(m, {
        onTask: (task) => { if (task === point) throw crash; },
        onBlobDeleted: () => { if (point === 'mid-deletion' && ++deletions === 2) throw crash; },
      });
      await expect(runMaintenance(await m.open(), stop)).rejects.toBe(crash);
      const mid = await m.open();
      expect((await checkRepository(mid)).problems).toEqual([]);
      expect(await readTree(mid, (await listSnapshots(mid.manifests))[0]!.rootEntry!.obj)).toEqual(keepData);
      await runMaintenance(await m.open(), opts(m));
      await runMaintenance(await m.open(), opts(m));
      const fresh = await m.open();
      const check = await checkRepository(fresh);
      expect(check.problems).toEqual([]);
      expect(check.reclaimable.totalBytes).toBe(0);
      expect((await listSnapshots(fresh.manifests)).map((s) => s.id)).toEqual([keep]);
    });
  }
});
