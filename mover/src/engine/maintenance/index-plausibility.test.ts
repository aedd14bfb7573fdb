// The lost-index rule (index-plausibility.ts) at the engine level: packs that a GC cycle made garbage are
// explained and deleted, packs whose index entries were lost are not (and block every deletion), the
// recovery puts them back, and pack GC deletes session markers only after the packs of their session.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { listAll } from '../blob/blob-store.ts';
import { generateSessionId, sessionIdFromBlobId, writeSessionMarker } from '../content/session-marker.ts';
import { deleteSnapshot, listSnapshots } from '../snapshot/snapshot-manager.ts';
import { recoverIndex } from './index-recovery.ts';
import { runMaintenance, type MaintenanceRunOptions } from './maintenance-run.ts';
import { deleteUnreferencedPacks } from './pack-gc.ts';
import { checkRepository } from './repository-check.ts';
import { SAFETY_NONE } from './safety.ts';
import { memoryRepo, readTree, writeSnapshot, type MemoryRepo } from './test-support/memory-repository.ts';

const opts = (m: MemoryRepo): MaintenanceRunOptions => ({ mode: 'full', owner: 'me@here', safety: SAFETY_NONE, now: m.clock.now, monotonicMs: () => m.clock.ms });
const packIds = async (m: MemoryRepo): Promise<string[]> => [...(await listAll(m.store, 'p')), ...(await listAll(m.store, 'q'))].map((b) => b.id).sort();

async function threeSnapshots(m: MemoryRepo): Promise<string[]> {
  const repo = await m.open();
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    ids.push(await writeSnapshot(repo, { [`f${i}.bin`]: randomBytes(100_000) }, m.clock));
    m.clock.advanceHours(1);
  }
  return ids;
}

describe('index plausibility', () => {
  it('packs made garbage by GC are explained (tombstones, rewrites) and deleted', async () => {
    const m = memoryRepo();
    const ids = await threeSnapshots(m);
    const repo = await m.open();
    await deleteSnapshot(repo.manifests, ids[0]!);
    await repo.flush();
    const before = await packIds(m);
    await runMaintenance(await m.open(), opts(m));
    m.clock.advanceHours(1);
    await runMaintenance(await m.open(), opts(m));
    expect((await packIds(m)).length).toBeLessThan(before.length);
    expect((await checkRepository(await m.open())).problems).toEqual([]);
  });

  it('with index blobs lost, full maintenance deletes nothing; recovery brings every snapshot back', async () => {
    const m = memoryRepo();
    const ids = await threeSnapshots(m);
    for (const b of await listAll(m.store, 'x')) await m.store.delete(b.id);
    const before = (await listAll(m.store, '')).map((b) => b.id).sort();
    const lost = await m.open();
    expect(await listSnapshots(lost.manifests)).toEqual([]);
    const check = await checkRepository(lost);
    expect(check.packs.unexplained).toBe(before.filter((id) => /^[pq]/.test(id)).length);
    expect(check.problems[0]!.message).toMatch(/cairn index recover --commit/);
    await expect(runMaintenance(await m.open(), opts(m))).rejects.toMatchObject({ code: 'REFUSED', message: expect.stringMatching(/index looks incomplete/) });
    expect((await listAll(m.store, '')).map((b) => b.id).sort()).toEqual(before);

    const dry = await recoverIndex(await m.open());
    expect(dry).toMatchObject({ committed: false, failures: [] });
    expect(dry.recoveredContents).toBeGreaterThan(6);
    expect((await listAll(m.store, '')).map((b) => b.id).sort()).toEqual(before);
    const done = await recoverIndex(await m.open(), { commit: true });
    expect(done).toMatchObject({ committed: true, recoveredContents: dry.recoveredContents });
    const back = await m.open();
    const snaps = await listSnapshots(back.manifests);
    expect(snaps.map((s) => s.id)).toEqual(ids);
    for (const s of snaps) expect(Object.keys(await readTree(back, s.rootEntry!.obj))).toHaveLength(1);
    expect((await recoverIndex(back)).recoveredContents).toBe(0); // nothing left to recover
    await runMaintenance(await m.open(), opts(m));
    expect((await listSnapshots((await m.open()).manifests)).length).toBe(3);
  });

  it('recovery never resurrects deleted contents', async () => {
    const m = memoryRepo();
    const ids = await threeSnapshots(m);
    const repo = await m.open();
    await deleteSnapshot(repo.manifests, ids[1]!);
    await repo.flush();
    await runMaintenance(await m.open(), { ...opts(m), safety: { ...SAFETY_NONE, packDeleteMinAgeMs: 1e12 } }); // tombstones, packs kept
    const r = await recoverIndex(await m.open(), { commit: true });
    expect(r.recoveredContents).toBe(0);
    expect((await listSnapshots((await m.open()).manifests)).map((s) => s.id)).toEqual([ids[0], ids[2]]);
  });

  it('pack GC deletes a session marker only after the packs of its session, and keeps it while one is kept', async () => {
    const m = memoryRepo();
    await threeSnapshots(m);
    const repo = await m.open();
    // two crashed backups: markers and packs no index refers to
    const crash = async (): Promise<{ marker: string; pack: string }> => {
      const id = generateSessionId(m.clock.now());
      const marker = await writeSessionMarker(m.store, repo.hasher, repo.encryptor, { id, startTime: m.clock.now(), checkpointTime: m.clock.now(), username: 'u', hostname: 'h' });
      const pack = `p${randomBytes(16).toString('hex')}-${id}`;
      await m.store.put(pack, randomBytes(1000));
      return { marker, pack };
    };
    const old = [await crash(), await crash()];
    m.clock.advanceHours(100);
    const young = await crash();
    // the young crash's pack is kept (too young), its marker must stay as well
    await m.store.put(`p${randomBytes(16).toString('hex')}-${sessionIdFromBlobId(old[1]!.pack)}`, randomBytes(10));
    const deleted: string[] = [];
    await deleteUnreferencedPacks(await m.open(), {
      prefixes: ['p', 'q', 's'], maintenanceStart: m.clock.now(), packDeleteMinAgeMs: 3_600_000, sessionExpirationAgeMs: 3_600_000,
      onDeleted: (id) => {
        deleted.push(id);
      },
    });
    expect(deleted.slice(0, 2).sort()).toEqual([old[0]!.pack, old[1]!.pack].sort());
    expect(deleted.slice(2)).toEqual([old[0]!.marker]); // old[1] still has a (young) pack: its marker stays
    expect(deleted).not.toContain(young.marker);
    expect(deleted).not.toContain(young.pack);
  });
});
