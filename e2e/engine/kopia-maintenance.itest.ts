// Acceptance (issue 2, "After kopia maintenance run --full --safety=none"): Cairn takes several snapshots of
// a changing tree; kopia deletes the oldest one and runs full maintenance without safety margins (GC of the
// contents only that snapshot used, pack rewrites, index compaction, epoch advance); afterwards both Cairn
// and kopia restore every remaining snapshot identically, Cairn's verify reads all data, and Cairn can
// still write a new snapshot into the maintained repository that kopia reads back.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareTrees } from '../fixtures/compare-trees.ts';
import { removeTree, seededBytes } from '../fixtures/fixture-tree.ts';
import { requireTool } from '../support/tools.ts';
import { buildAcceptanceTree, copyTree, IS_ROOT, SMALL_FIXTURE } from './support/acceptance-tree.ts';
import { diffListings, fsBlobIds, listTree } from './support/blob-listing.ts';
import { cairnJson, cairnOk, type CreatedSnapshot, type ListedSnapshot } from './support/cairn-cli.ts';
import { connectKopia, kopiaSnapshots } from './support/kopia-repo.ts';

const kopiaBinary = requireTool('kopia');

let work: string;
let src: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-e2e-maintenance-'));
  src = join(work, 'src');
  await buildAcceptanceTree(src, SMALL_FIXTURE);
});

afterAll(async () => {
  if (work !== undefined && process.env['CAIRN_E2E_KEEP'] !== '1') await removeTree(work);
});

/** Files and directories appear, change and disappear between snapshots. */
const CHANGES: readonly ((root: string) => Promise<void>)[] = [
  async (root) => {
    await writeFile(join(root, 'large/random.bin'), seededBytes('maintenance', 'large-v2', 2 * 1024 * 1024 + 5));
    await mkdir(join(root, 'added'));
    for (let i = 0; i < 40; i++) await writeFile(join(root, `added/file-${i}`), seededBytes('maintenance', `added-${i}`, 1000 + i * 997));
    await rm(join(root, 'wide/entry-00007'));
  },
  async (root) => {
    await rm(join(root, 'added'), { recursive: true });
    await writeFile(join(root, 'large/random.bin'), seededBytes('maintenance', 'large-v3', 3 * 1024 * 1024 + 7));
    await writeFile(join(root, 'names/with space/file with  two spaces.txt'), 'third version\n');
  },
];

// Cairn restores mtimes with µs precision (Node's utimes); the changed entries have kernel ns mtimes.
const MTIME_RES = { mtimeResolutionNs: 1000, owners: IS_ROOT };
// kopia's restore gives a directory the newest mtime found beneath it (its summary's maxTime), not its own
// mtime — for kopia's own snapshots too — so directory mtimes are left out when kopia restores a tree in
// which a file is newer than its directory.
const KOPIA_RES = { ...MTIME_RES, directoryMtimes: false };

describe.skipIf(kopiaBinary === undefined)('kopia full maintenance on a Cairn repository', () => {
  it('leaves every remaining snapshot restorable by both tools', async () => {
    const repoPath = join(work, 'repo');
    const repo = `file://${repoPath}`;
    await cairnOk(['repository', 'create', '--repo', repo]);

    const snapshots: { id: string; state: string }[] = [];
    for (let i = 0; i <= CHANGES.length; i++) {
      if (i > 0) await CHANGES[i - 1]!(src);
      const created = await cairnJson<CreatedSnapshot>(['snapshot', 'create', src, '--repo', repo]);
      expect(created.snapshot.partial).toBe(false);
      const state = join(work, `state-${i}`);
      await copyTree(src, state);
      snapshots.push({ id: created.snapshot.id, state });
    }

    const kopia = await connectKopia({ kind: 'filesystem', path: repoPath });
    try {
      expect((await kopiaSnapshots(kopia)).map((s) => s.id).sort()).toEqual(snapshots.map((s) => s.id).sort());
      await kopia.ok(['maintenance', 'set', '--owner=me']);
      const [dropped, ...kept] = snapshots;
      await kopia.ok(['snapshot', 'delete', dropped!.id, '--delete']);

      const before = await listTree(repoPath);
      const run = await kopia.ok(['maintenance', 'run', '--full', '--safety=none']);
      const log = run.stdout + run.stderr;
      expect(log).toMatch(/Finished full maintenance/);
      const unused = /GC found (\d+) unused contents/.exec(log);
      expect(unused, log).not.toBeNull();
      expect(Number(unused![1]), log).toBeGreaterThan(0); // the first version of large/random.bin, at least
      const diff = diffListings(before, await listTree(repoPath));
      const removedPacks = diff.removed.filter((k) => k.startsWith('p/'));
      expect(removedPacks.length, JSON.stringify(diff)).toBeGreaterThan(0); // maintenance really rewrote/deleted packs

      const listed = await cairnJson<ListedSnapshot[]>(['snapshot', 'list', '--repo', repo]);
      expect(listed.map((s) => s.id)).toEqual(kept.map((s) => s.id));

      for (const s of kept) {
        const byCairn = join(work, `cairn-${s.id}`);
        await cairnOk(['snapshot', 'restore', s.id, byCairn, '--repo', repo]);
        expect(await compareTrees(s.state, byCairn, MTIME_RES)).toEqual([]);
        const byKopia = join(work, `kopia-${s.id}`);
        await kopia.ok(['snapshot', 'restore', s.id, byKopia]);
        expect(await compareTrees(s.state, byKopia, KOPIA_RES)).toEqual([]);
      }
      await cairnOk(['snapshot', 'verify', '--read-data-percent', '100', '--repo', repo]);
      await kopia.ok(['snapshot', 'verify', '--verify-files-percent=100']);

      // Cairn keeps writing into the maintained repository (new epoch, compacted indexes); kopia reads it.
      await writeFile(join(src, 'after-maintenance.txt'), 'written after kopia maintenance\n');
      const indexesBefore = (await fsBlobIds(repoPath)).filter((id) => id.startsWith('x'));
      const next = await cairnJson<CreatedSnapshot>(['snapshot', 'create', src, '--repo', repo]);
      expect(next.progress.hashedFiles).toBe(1); // the previous snapshot is still found and reused
      const indexesAfter = (await fsBlobIds(repoPath)).filter((id) => id.startsWith('x'));
      expect(indexesAfter.length).toBeGreaterThan(indexesBefore.length);
      const byKopia = join(work, 'kopia-after');
      await kopia.ok(['snapshot', 'restore', next.snapshot.id, byKopia]);
      expect(await compareTrees(src, byKopia, KOPIA_RES)).toEqual([]);
      const byCairn = join(work, 'cairn-after');
      await cairnOk(['snapshot', 'restore', 'latest', byCairn, '--repo', repo]);
      expect(await compareTrees(src, byCairn, MTIME_RES)).toEqual([]);
    } finally {
      await kopia.cleanup();
    }
  });
});
