import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { listAll } from '../blob/blob-store.ts';
import type { ContentInfo } from '../content/content-info.ts';
import type { SessionInfo } from '../content/session-marker.ts';
import { listSnapshots } from '../snapshot/snapshot-manager.ts';
import { packUsage, shortPacks } from './content-rewrite.ts';
import { runMaintenance } from './maintenance-run.ts';
import { TASK } from './maintenance-schedule.ts';
import { judgeUnreferencedBlob } from './pack-gc.ts';
import { SAFETY_FULL, SAFETY_NONE } from './safety.ts';
import { runSnapshotGc } from './snapshot-gc.ts';
import { memoryRepo, readTree, writeSnapshot } from './test-support/memory-repository.ts';

function ci(contentId: string, packBlobId: string, packedLength: number, deleted = false): ContentInfo {
  return { contentId, packBlobId, packOffset: 0, packedLength, originalLength: packedLength, timestampSeconds: 0, deleted, compressionHeaderId: 0, formatVersion: 2, encryptionKeyId: 0 };
}

describe('short pack selection (kopia findContentInShortPacks)', () => {
  it('holds back a prefix\'s first short pack until a second one appears; full packs stay', () => {
    const lone = packUsage([ci('a1', 'p1', 10), ci('b1', 'q1', 5), ci('b2', 'q2', 5, true)]);
    expect([...shortPacks(lone.values(), 100)].sort()).toEqual(['q1', 'q2']);
    const many = packUsage([ci('a1', 'p1', 10), ci('a2', 'p2', 10), ci('a3', 'p3', 500), ci('b1', 'q1', 5)]);
    expect([...shortPacks(many.values(), 100)].sort()).toEqual(['p1', 'p2']);
    expect(many.get('p3')).toEqual({ packBlobId: 'p3', contentCount: 1, totalSize: 500 });
    expect(packUsage([ci('a', 'p1', 10), ci('b', 'q1', 10)], 'q').size).toBe(1);
  });
});

describe('unreferenced blob verdicts (kopia DeleteUnreferencedPacks)', () => {
  const cutoff = Date.parse('2025-01-10T00:00:01Z');
  const md = (id: string, iso: string) => ({ id, length: 1, timestamp: new Date(iso) });
  const sessions = new Map<string, SessionInfo>([['sabc', { id: 'sabc', startTime: new Date('2025-01-09T00:00:00Z'), checkpointTime: new Date('2025-01-09T12:00:00Z'), username: 'u', hostname: 'h' }]]);
  it('keeps blobs after the cutoff, young blobs and blobs of live sessions', () => {
    const day = 24 * 3_600_000;
    expect(judgeUnreferencedBlob(md('p1-sx', '2025-01-10T00:00:05Z'), cutoff, sessions, 0, 0)).toBe('after-cutoff');
    expect(judgeUnreferencedBlob(md('p1-sx', '2025-01-09T12:00:00Z'), cutoff, sessions, day, 0)).toBe('too-young');
    expect(judgeUnreferencedBlob(md('p1-sabc', '2025-01-01T00:00:00Z'), cutoff, sessions, day, 96 * 3_600_000)).toBe('live-session');
    expect(judgeUnreferencedBlob(md('p1-sabc', '2025-01-01T00:00:00Z'), cutoff, sessions, day, 6 * 3_600_000)).toBe('delete');
    expect(judgeUnreferencedBlob(md('sabc-sabc', '2025-01-01T00:00:00Z'), cutoff, new Map(), day, 96 * 3_600_000)).toBe('delete');
  });
});

describe('snapshot GC', () => {
  it('restores a used content a racing GC marked deleted, and reads it meanwhile', async () => {
    const m = memoryRepo();
    const repo = await m.open();
    const data = { 'a.bin': randomBytes(5000), 'b.txt': Buffer.from('hello') };
    await writeSnapshot(repo, data, m.clock);
    const [snap] = await listSnapshots(repo.manifests);
    // a "racing GC" tombstones the root listing and a file
    const victims = [...repo.contents.iterateContents()].filter((c) => !c.contentId.startsWith('m')).slice(0, 2);
    for (const v of victims) await repo.contents.deleteContent(v.contentId);
    await repo.flush();
    const gc = await runSnapshotGc(await m.open(), { maintenanceStart: m.clock.now(), minContentAgeMs: 0, delete: true });
    expect(gc.recoveredContentCount).toBe(2);
    expect(gc.deletedContentCount).toBe(0);
    const fresh = await m.open();
    for (const v of victims) expect(fresh.contents.contentInfo(v.contentId)?.deleted).toBe(false);
    expect(await readTree(fresh, snap!.rootEntry!.obj)).toEqual(data);
  });

  it('keeps manifest contents and young unreferenced contents', async () => {
    const m = memoryRepo();
    const repo = await m.open();
    await repo.contents.writeContent(randomBytes(100), { prefix: '' }); // unreferenced
    await writeSnapshot(repo, { f: randomBytes(10) }, m.clock);
    const young = await runSnapshotGc(await m.open(), { maintenanceStart: m.clock.now(), minContentAgeMs: 3_600_000, delete: true });
    expect(young.unreferencedRecentContentCount).toBe(1);
    expect(young.deletedContentCount).toBe(0);
    expect(young.inUseSystemContentCount).toBeGreaterThan(0);
    m.clock.advanceHours(2);
    const old = await runSnapshotGc(await m.open(), { maintenanceStart: m.clock.now(), minContentAgeMs: 3_600_000, delete: true });
    expect(old.deletedContentCount).toBe(1);
  });

  it('aborts before marking anything when a snapshot is damaged', async () => {
    const m = memoryRepo();
    const repo = await m.open();
    await repo.contents.writeContent(randomBytes(100), { prefix: '' });
    await writeSnapshot(repo, { f: randomBytes(10_000) }, m.clock);
    const [snap] = await listSnapshots(repo.manifests);
    const listing = repo.contents.contentInfo(snap!.rootEntry!.obj)!; // bit rot in the root directory listing
    m.store.corrupt(listing.packBlobId, listing.packOffset + 10);
    const before = (await listAll(m.store, 'x')).length;
    await expect(runSnapshotGc(await m.open(), { maintenanceStart: m.clock.now(), minContentAgeMs: 0, delete: true })).rejects.toMatchObject({ code: 'CORRUPT' });
    expect((await listAll(m.store, 'x')).length).toBe(before);
  });
});

describe('quick maintenance', () => {
  it('compacts and advances epochs and rewrites short metadata packs, leaving data packs alone', async () => {
    const m = memoryRepo();
    const repo = await m.open();
    for (let i = 0; i < 3; i++) await writeSnapshot(repo, { [`f${i}`]: randomBytes(50_000) }, m.clock);
    const dataPacks = (await listAll(m.store, 'p')).map((b) => b.id);
    const qBefore = (await listAll(m.store, 'q')).length;
    expect(qBefore).toBeGreaterThanOrEqual(2);
    const r = await runMaintenance(await m.open(), { mode: 'quick', owner: 'me@here', safety: SAFETY_NONE, now: m.clock.now, monotonicMs: () => m.clock.ms });
    expect(r.tasks.map((t) => t.task)).toEqual([TASK.epochCompactSingle, TASK.epochAdvance, TASK.rewriteContentsQuick, TASK.deleteOrphanedBlobsQuick]);
    expect((await listAll(m.store, 'p')).map((b) => b.id)).toEqual(dataPacks);
    expect((await listAll(m.store, 'q')).length).toBe(1);
    const fresh = await m.open();
    for (const s of await listSnapshots(fresh.manifests)) await readTree(fresh, s.rootEntry!.obj);
    // with full safety nothing young is rewritten or deleted
    const full = await runMaintenance(await m.open(), { mode: 'quick', owner: 'me@here', safety: SAFETY_FULL, now: m.clock.now, monotonicMs: () => m.clock.ms });
    expect((full.tasks.find((t) => t.task === TASK.rewriteContentsQuick)?.stats as { rewrittenContentCount: number }).rewrittenContentCount).toBe(0);
    expect(full.skipped.map((x) => x.task)).toContain(TASK.deleteOrphanedBlobsQuick);
  });
});
