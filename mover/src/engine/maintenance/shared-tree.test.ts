// Issue 8, item 7: a forged snapshot whose listings share one subtree at every level (2^depth paths over
// depth+1 listings) costs verify and `repository check` time and memory in proportion to its listings.
// Before, one damaged leaf made them walk and report every one of the 2^depth paths.
import { describe, expect, it, vi } from 'vitest';
import type { DirEntry } from '../snapshot/dir-entry.ts';
import { encodeDirManifest } from '../snapshot/dir-manifest.ts';
import { emptySnapshotStats } from '../snapshot/snapshot-manifest.ts';
import { saveSnapshot } from '../snapshot/snapshot-manager.ts';
import { createMemoryRepository, putObject, type MemoryRepository } from '../snapshot/test-support/memory-repository.ts';
import { verifySnapshots } from '../verify/verify.ts';
import { checkRepository } from './repository-check.ts';

const DEPTH = 24;
const MTIME = '2025-01-01T00:00:00Z';

/** The repository and a count of its content reads (listings, once written). */
async function forgedSharedTree(damaged: boolean): Promise<{ repo: MemoryRepository; reads: () => number }> {
  const repo = await createMemoryRepository();
  const fileObj = damaged ? 'ab'.repeat(16) : await putObject(repo, Buffer.from('leaf data'));
  const file: DirEntry = { name: 'leaf.txt', type: 'f', mode: 0o644, size: 9, mtime: MTIME, uid: 0, gid: 0, obj: fileObj };
  let obj = await putObject(repo, encodeDirManifest([file], undefined), { prefix: 'k' });
  for (let i = 0; i < DEPTH; i++) {
    const dir = (name: string): DirEntry => ({ name, type: 'd', mode: 0o755, size: 0, mtime: MTIME, uid: 0, gid: 0, obj });
    obj = await putObject(repo, encodeDirManifest([dir('a'), dir('b')], undefined), { prefix: 'k' });
  }
  await repo.flush();
  await saveSnapshot(repo.manifests, {
    id: '', source: { host: 'h', userName: 'u', path: '/forged' }, description: '', startTime: MTIME, endTime: MTIME,
    stats: emptySnapshotStats(), rootEntry: { name: 'root', type: 'd', mode: 0o755, size: 0, mtime: MTIME, uid: 0, gid: 0, obj },
  });
  await repo.flush();
  const getContent = vi.spyOn(repo.contents, 'getContent');
  return { repo, reads: () => getContent.mock.calls.length };
}

describe('a forged tree sharing one listing 2^24 times', () => {
  it('verify reads each listing a bounded number of times and names the damage once per level', async () => {
    const { repo, reads } = await forgedSharedTree(true);
    const r = await verifySnapshots(repo);
    expect(r.problemCount).toBeGreaterThan(0);
    expect(r.problemCount).toBeLessThanOrEqual(DEPTH + 1);
    expect(r.problems[0]!.message).toMatch(/content abab.* is missing from the index/);
    expect(r.problems.slice(1).every((p) => /already reported at /.test(p.message))).toBe(true);
    expect(reads()).toBeLessThanOrEqual(3 * (DEPTH + 1));
  });

  it('repository check reads each listing a bounded number of times', async () => {
    const { repo, reads } = await forgedSharedTree(true);
    const r = await checkRepository(repo);
    expect(r.problemCount).toBeGreaterThan(0);
    expect(r.problemCount).toBeLessThanOrEqual(DEPTH + 1);
    expect(reads()).toBeLessThanOrEqual(5 * (DEPTH + 1));
  });

  it('a clean shared tree passes with each listing read once per walk', async () => {
    const { repo, reads } = await forgedSharedTree(false);
    const r = await checkRepository(repo);
    expect(r.problems).toEqual([]);
    expect(r.snapshots.objects).toBe(DEPTH + 2);
    expect(reads()).toBeGreaterThanOrEqual(DEPTH + 2); // every listing and the leaf, at least once
    expect(reads()).toBeLessThanOrEqual(3 * (DEPTH + 2));
  });
});
