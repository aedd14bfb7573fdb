// Acceptance (issue 8, item 3): nothing of the user's is deleted when the index is lost. With every index
// blob gone a repository looked empty and healthy and full maintenance deleted every pack. Now:
// `snapshot list` points at the missing index, `repository check` reports the packs no index explains
// (exit 17), full maintenance — even with no safety margins — refuses (exit 24) and deletes nothing, and
// `cairn index recover --commit` rebuilds the entries from the packs' own local indexes, after which Cairn
// and the real kopia list, verify and restore every snapshot, and maintenance runs again. The same holds
// when only the newest index blob is lost. `repository create` refuses a directory that is not empty.
import { cp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanStderr, TEST_PASSWORD } from '../engine/support/cairn-cli.ts';
import { diffListings, listTree } from '../engine/support/blob-listing.ts';
import type { Kopia } from '../support/kopia.ts';
import { requireTool } from '../support/tools.ts';
import { compareWithState, connectKopia, newScenario, type Scenario, type TreeOptions } from './support/scenario.ts';

const kopiaBinary = requireTool('kopia');
const TREE: TreeOptions = { seed: 'lost-index', stableBytes: 700_000, changingBytes: 300_000 };
const STATES = 3;
const NONE = { seams: { safety: 'none' } };

describe('a lost index', () => {
  let s: Scenario;
  const ids: string[] = [];
  let pristine: string;
  /** The index blobs (in x/n0_) the newest snapshot wrote. */
  let newestIndexBlobs: string[] = [];

  beforeAll(async () => {
    s = await newScenario('lost-index');
    const indexDir = join(s.repoDir, 'x', 'n0_');
    for (let i = 0; i < STATES; i++) {
      const before = i === STATES - 1 ? await readdir(indexDir) : [];
      ids.push(await s.snapshot(i, TREE));
      // Recorded as written: mtimes can't tell (fs.cp gives every copied file the time of the copy).
      if (i === STATES - 1) newestIndexBlobs = (await readdir(indexDir)).filter((n) => !before.includes(n));
    }
    pristine = join(s.work, 'pristine');
    await cp(s.repoDir, pristine, { recursive: true });
  });

  afterAll(async () => {
    await s?.cleanup();
  });

  /** A fresh copy of the three-snapshot repository with `lose` applied; returns its directory. */
  async function damagedCopy(name: string, lose: (repoDir: string) => Promise<void>): Promise<string> {
    const dir = join(s.work, name);
    await rm(dir, { recursive: true, force: true });
    await cp(pristine, dir, { recursive: true });
    await lose(dir);
    return dir;
  }

  it('every index blob lost: refused, reported, recovered, and kopia reads the result', async () => {
    const dir = await damagedCopy('all-lost', (d) => rm(join(d, 'x'), { recursive: true }));
    const env = { env: { CAIRN_REPOSITORY: `file://${dir}` } };

    const listed = await s.cairn(['snapshot', 'list'], env);
    expect(listed.exitCode).toBe(0);
    expect(humanStderr(listed.stderr).join('\n')).toMatch(/no index entry refers to.*`cairn index recover --commit`/s);

    const check = await s.cairn(['repository', 'check', '--json'], env);
    expect(check.exitCode).toBe(17);
    const report = JSON.parse(check.stdout) as { packs: { unexplained: number }; problems: { message: string }[]; reclaimable: { unreferencedPackBytes: number } };
    expect(report.packs.unexplained).toBeGreaterThan(0);
    expect(report.reclaimable.unreferencedPackBytes).toBe(0);
    expect(report.problems[0]!.message).toMatch(/cairn index recover --commit/);

    const before = await listTree(dir);
    const refused = await s.cairn(['maintenance', 'run', '--full'], { ...env, ...NONE });
    expect(refused.exitCode, refused.stderr).toBe(24);
    expect(refused.stderr).toMatch(/the index looks incomplete/);
    const dry = await s.cairn(['index', 'recover'], env);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/Nothing was written/);
    const after = diffListings(before, await listTree(dir));
    // refused before anything is written: not even the ownership record or the delete probe
    expect(after).toEqual({ added: [], removed: [], changed: [] });

    await s.cairnOk(['index', 'recover', '--commit'], env);
    expect((await s.cairnJson<{ id: string }[]>(['snapshot', 'list'], env)).map((x) => x.id)).toEqual(ids);
    const checked = await s.cairnJson<{ problems: unknown[]; packs: { unexplained: number } }>(['repository', 'check'], env);
    expect(checked).toMatchObject({ problems: [], packs: { unexplained: 0 } });
    for (const [i, id] of ids.entries()) {
      const target = join(s.work, `restored-${i}`);
      await s.cairnOk(['snapshot', 'restore', id, target], env);
      expect(await compareWithState(target, i, TREE, s.work)).toEqual([]);
    }
    await s.cairnOk(['maintenance', 'run', '--full'], { ...env, ...NONE });
    expect((await s.cairnJson<{ problems: unknown[] }>(['repository', 'check'], env)).problems).toEqual([]);
  });

  it.skipIf(kopiaBinary === undefined)('kopia lists, verifies and restores a recovered repository', async () => {
    const dir = await damagedCopy('all-lost-kopia', (d) => rm(join(d, 'x'), { recursive: true }));
    await s.cairnOk(['index', 'recover', '--commit'], { env: { CAIRN_REPOSITORY: `file://${dir}` } });
    let kopia: Kopia | undefined;
    try {
      kopia = await connectKopia(dir, TEST_PASSWORD);
      const snaps = await kopia.json<{ id: string }[]>(['snapshot', 'list', '--all']);
      expect(snaps.map((x) => x.id).sort()).toEqual([...ids].sort());
      await kopia.ok(['snapshot', 'verify', '--verify-files-percent=100']);
      const target = join(s.work, 'kopia-restored');
      await kopia.ok(['snapshot', 'restore', ids[STATES - 1]!, target]);
      expect(await compareWithState(target, STATES - 1, TREE, s.work, true)).toEqual([]);
    } finally {
      await kopia?.cleanup();
    }
  });

  it('the newest index blob lost: refused until recovered', async () => {
    expect(newestIndexBlobs.length).toBeGreaterThan(0);
    const dir = await damagedCopy('newest-lost', async (d) => {
      for (const newest of newestIndexBlobs) await rm(join(d, 'x', 'n0_', newest));
    });
    const env = { env: { CAIRN_REPOSITORY: `file://${dir}` } };
    expect((await s.cairnJson<{ id: string }[]>(['snapshot', 'list'], env)).map((x) => x.id)).toEqual(ids.slice(0, -1));
    const refused = await s.cairn(['maintenance', 'run', '--full'], { ...env, ...NONE });
    expect(refused.exitCode, refused.stderr).toBe(24);
    await s.cairnOk(['index', 'recover', '--commit'], env);
    expect((await s.cairnJson<{ id: string }[]>(['snapshot', 'list'], env)).map((x) => x.id)).toEqual(ids);
    await s.cairnOk(['maintenance', 'run', '--full'], { ...env, ...NONE });
    const target = join(s.work, 'restored-newest');
    await s.cairnOk(['snapshot', 'restore', ids[STATES - 1]!, target], env);
    expect(await compareWithState(target, STATES - 1, TREE, s.work)).toEqual([]);
  });

  it('repository create refuses a directory that is not empty, and writes nothing there', async () => {
    const dir = join(s.work, 'not-empty');
    await mkdir(join(dir, 'p', '012'), { recursive: true });
    await writeFile(join(dir, 'notes.txt'), 'user data\n');
    await writeFile(join(dir, 'p', '012', '3456789abcdef0123456789abcdef-s0123456789abcdef.f'), 'looks like a pack\n');
    const before = await listTree(dir);
    const r = await s.cairn(['repository', 'create', '--repo', `file://${dir}`]);
    expect(r.exitCode, r.stderr).toBe(24);
    expect(r.stderr).toMatch(/not empty \("notes\.txt", "p"\)/);
    expect(diffListings(before, await listTree(dir))).toEqual({ added: [], removed: [], changed: [] });
    const fresh = join(s.work, 'fresh-volume');
    await mkdir(join(fresh, 'lost+found'), { recursive: true }); // a new filesystem's only entry
    await s.cairnOk(['repository', 'create', '--repo', `file://${fresh}`]);
  });
});
