import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DirEntry } from '../snapshot/dir-entry.ts';
import { emptySnapshotStats } from '../snapshot/snapshot-manifest.ts';
import { saveSnapshot } from '../snapshot/snapshot-manager.ts';
import { FakeRepository } from '../snapshot/test-support/fake-repository.ts';
import { snapshotDirectory } from '../snapshot/test-support/snapshot-directory.ts';
import { isSampled } from './verify-content-reader.ts';
import { verifySnapshots } from './verify.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-verify-'));
  await mkdir(join(work, 'src/docs/deep'), { recursive: true });
  await writeFile(join(work, 'src/docs/deep/victim.bin'), Buffer.alloc(10_000, 7));
  await writeFile(join(work, 'src/docs/readme.txt'), 'hello');
  await writeFile(join(work, 'src/other.bin'), Buffer.alloc(9000, 1));
  await writeFile(join(work, 'src/empty'), '');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const src = { host: 'h', userName: 'u', path: '/data' };

async function repoWithSnapshots(n = 2): Promise<{ repo: FakeRepository; root: DirEntry; ids: string[] }> {
  const repo = new FakeRepository({ chunkSize: 4096, packSize: 1 << 20 });
  const root = await snapshotDirectory(repo, join(work, 'src'));
  await repo.flush();
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = `2025-01-0${i + 1}T00:00:00Z`;
    ids.push(
      await saveSnapshot(repo.manifests, {
        id: '',
        source: src,
        description: '',
        startTime: t,
        endTime: t,
        stats: emptySnapshotStats(),
        rootEntry: root,
      }),
    );
  }
  return { repo, root, ids };
}

function victimContent(repo: FakeRepository, length = 4096) {
  return [...repo.contents.iterateContents()].find((c) => c.packBlobId.startsWith('p') && c.originalLength === length && /^[0-9a-f]/.test(c.contentId))!;
}

describe('verify', () => {
  it('passes a clean repository and reads every data content at 100%', async () => {
    const { repo, ids } = await repoWithSnapshots();
    const quick = await verifySnapshots(repo);
    expect(quick).toMatchObject({ snapshots: 2, problems: [], problemCount: 0, contentsRead: 0 });
    expect(quick.objects).toBeGreaterThan(5);
    const full = await verifySnapshots(repo, { readDataPercent: 100, snapshotIds: [ids[0]!] });
    const dataContents = [...repo.contents.iterateContents()].filter((c) => /^[0-9a-f]/.test(c.contentId)).length;
    expect(full).toMatchObject({ snapshots: 1, problems: [], contentsRead: dataContents });
  });

  it('names the affected file in every snapshot when a pack byte is flipped', async () => {
    const { repo, ids } = await repoWithSnapshots();
    const c = victimContent(repo);
    repo.blobs.corrupt(c.packBlobId, c.packOffset + 30);
    // Existence checks alone cannot see a flipped byte in file data (as in kopia without --verify-files-percent).
    expect((await verifySnapshots(repo)).problems).toEqual([]);
    const r = await verifySnapshots(repo, { readDataPercent: 100 });
    expect(r.problems.map((p) => [p.snapshotId, p.path, p.source])).toEqual([
      [ids[0], 'docs/deep/victim.bin', 'u@h:/data'],
      [ids[1], 'docs/deep/victim.bin', 'u@h:/data'],
    ]);
    expect(r.problems[0]!.message).toContain(c.contentId);
  });

  it('finds missing and truncated packs and missing index entries without reading data', async () => {
    const { repo } = await repoWithSnapshots(1);
    const c = victimContent(repo);
    const pack = await repo.blobs.get(c.packBlobId);
    await repo.blobs.put(c.packBlobId, pack.subarray(0, c.packOffset + 10));
    let r = await verifySnapshots(repo);
    expect(r.problems.map((p) => p.path)).toContain('docs/deep/victim.bin');
    expect(r.problems.find((p) => p.path === 'docs/deep/victim.bin')?.message).toMatch(/has \d+ bytes but content/);
    await repo.blobs.delete(c.packBlobId);
    r = await verifySnapshots(repo);
    // Every data content sits in that one pack, so every file is named.
    expect(r.problems.map((p) => p.path).sort()).toEqual(['docs/deep/victim.bin', 'docs/readme.txt', 'empty', 'other.bin']);
    expect(r.problems[0]!.message).toContain('is missing');
    const repo2 = (await repoWithSnapshots(1)).repo;
    repo2.contents.index.delete(victimContent(repo2, 10_000 - 8192).contentId);
    r = await verifySnapshots(repo2);
    expect(r.problems).toEqual([expect.objectContaining({ path: 'docs/deep/victim.bin', message: expect.stringContaining('missing from the index') })]);
  });

  it('reports an unreadable directory listing at the directory path', async () => {
    const { repo, root } = await repoWithSnapshots(1);
    const listing = await repo.objects.openObject(root.obj);
    expect(listing.length).toBeGreaterThan(0);
    const docs = [...repo.contents.iterateContents({ prefix: 'k' })];
    // Flip a byte in every listing except the root's: "docs" and "docs/deep" become unreadable.
    for (const k of docs) if (k.contentId !== root.obj) repo.blobs.corrupt(k.packBlobId, k.packOffset + 20);
    const r = await verifySnapshots(repo);
    expect(r.problems.map((p) => p.path)).toEqual(['docs']);
    expect(r.problems[0]!.message).toMatch(/cannot be read/);
  });

  it('samples deterministically', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => i.toString(16).padStart(32, '0'));
    const picked = ids.filter((id) => isSampled(id, 10, 's1'));
    expect(picked.length).toBeGreaterThan(1700);
    expect(picked.length).toBeLessThan(2300);
    expect(ids.filter((id) => isSampled(id, 10, 's1'))).toEqual(picked);
    expect(ids.filter((id) => isSampled(id, 10, 's2'))).not.toEqual(picked);
    expect(ids.every((id) => isSampled(id, 100, 'x'))).toBe(true);
    expect(ids.some((id) => isSampled(id, 0, 'x'))).toBe(false);
  });

  it('filters by source', async () => {
    const { repo } = await repoWithSnapshots(2);
    expect((await verifySnapshots(repo, { source: { ...src, path: '/other' } })).snapshots).toBe(0);
    expect((await verifySnapshots(repo, { source: src })).snapshots).toBe(2);
  });
});
