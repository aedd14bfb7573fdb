// Acceptance (issue 3): Cairn and kopia maintain the same repository in turns. After kopia's
// `maintenance run --full --safety=none` Cairn restores everything; after Cairn's full maintenance kopia
// restores everything and verifies every file. Ownership lives where kopia keeps it: whoever does not own
// maintenance is refused until ownership is handed over.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD } from '../engine/support/cairn-cli.ts';
import { createKopia, type Kopia } from '../support/kopia.ts';
import { requireTool } from '../support/tools.ts';
import { compareWithState, connectKopia, dirBytes, newScenario, writeTreeState, type Scenario, type TreeOptions } from './support/scenario.ts';

const kopiaBinary = requireTool('kopia');
const TREE: TreeOptions = { seed: 'kopia-interop', stableBytes: 1_000_000, changingBytes: 300_000 };
const NONE = { seams: { safety: 'none' } };
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe.skipIf(kopiaBinary === undefined)('maintenance shared with kopia', () => {
  it('Cairn-written snapshots survive kopia\'s full maintenance, and kopia\'s survive Cairn\'s', async () => {
    const s: Scenario = await newScenario('kopia-interop');
    cleanups.push(() => s.cleanup());
    const states = new Map<string, number>(); // snapshot id -> tree state
    for (let i = 0; i < 6; i++) states.set(await s.snapshot(i, TREE), i);
    await s.cairnOk(['snapshot', 'expire', '--keep-latest', '3', '--apply', '--log-level', 'error']);
    const claimed = await s.cairnJson<{ claimedOwnership: boolean; owner: string }>(['maintenance', 'run', '--full', '--log-level', 'error'], NONE);
    expect(claimed).toMatchObject({ claimedOwnership: true, owner: 'tester@e2e' });

    const kopia = await connectKopia(s.repoDir, TEST_PASSWORD);
    cleanups.push(() => kopia.cleanup());
    const refused = await kopia.run(['maintenance', 'run', '--full', '--safety=none']);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toMatch(/tester@e2e/);
    const info = await kopia.ok(['maintenance', 'info']);
    expect(info.stdout).toMatch(/Owner: tester@e2e/);
    expect(info.stdout).toMatch(/snapshot-gc:\n\s+\S.*SUCCESS/);

    // kopia takes over and runs full maintenance on Cairn's snapshots
    await kopia.ok(['maintenance', 'set', '--owner=me']);
    for (let i = 6; i < 9; i++) states.set(await s.snapshot(i, TREE), i);
    await s.cairnOk(['snapshot', 'expire', '--keep-latest', '2', '--apply', '--log-level', 'error']);
    const beforeKopia = await dirBytes(s.repoDir);
    await kopia.ok(['maintenance', 'run', '--full', '--safety=none']);
    const afterKopia = await dirBytes(s.repoDir);
    process.stdout.write(`[kopia-interop] kopia full maintenance: ${beforeKopia} -> ${afterKopia} bytes\n`);
    expect(afterKopia).toBeLessThanOrEqual(beforeKopia); // kopia copies deleted contents when rewriting: it reclaims over two runs
    const owned = await s.cairn(['maintenance', 'run', '--full', '--log-level', 'error'], NONE);
    expect(owned.exitCode).toBe(22); // MAINTENANCE_OWNED
    expect(owned.stderr).toMatch(/owned by "kopia@other"/);

    expect((await s.cairnJson<{ problemCount: number }>(['repository', 'check', '--log-level', 'error'])).problemCount).toBe(0);
    const kept = await s.list();
    expect(kept).toHaveLength(2);
    for (const snap of kept) {
      const target = join(s.work, `cairn-after-kopia-${snap.id}`);
      await s.cairnOk(['snapshot', 'restore', snap.id, target, '--log-level', 'error']);
      expect(await compareWithState(target, states.get(snap.id)!, TREE, s.work)).toEqual([]);
    }

    // Cairn takes ownership back and maintains; kopia restores and verifies everything
    for (let i = 9; i < 12; i++) states.set(await s.snapshot(i, TREE), i);
    await s.cairnOk(['snapshot', 'expire', '--keep-latest', '2', '--apply', '--log-level', 'error']);
    await s.cairnOk(['maintenance', 'set-owner', '--log-level', 'error']);
    const beforeCairn = await dirBytes(s.repoDir);
    await s.cairnOk(['maintenance', 'run', '--full', '--log-level', 'error'], NONE);
    const afterCairn = await dirBytes(s.repoDir);
    process.stdout.write(`[kopia-interop] Cairn full maintenance: ${beforeCairn} -> ${afterCairn} bytes\n`);
    expect(afterCairn).toBeLessThan(beforeCairn);
    for (const snap of await s.list()) {
      const target = join(s.work, `kopia-after-cairn-${snap.id}`);
      await kopia.ok(['snapshot', 'restore', snap.id, target]);
      expect(await compareWithState(target, states.get(snap.id)!, TREE, s.work, true)).toEqual([]);
    }
    await kopia.ok(['snapshot', 'verify', '--verify-files-percent=100']);
    const runs = await s.cairnJson<{ owner: string; schedule: { runs: Record<string, unknown[]> } }>(['maintenance', 'info', '--log-level', 'error']);
    expect(runs.owner).toBe('tester@e2e');
    expect(runs.schedule.runs['snapshot-gc']!.length).toBeGreaterThanOrEqual(3); // Cairn's and kopia's runs, one history
  });

  it('Cairn maintains a repository kopia created and wrote, and kopia still restores and verifies it', async () => {
    const kopia: Kopia = await createKopia({ password: TEST_PASSWORD });
    cleanups.push(() => kopia.cleanup());
    const s = await newScenario('kopia-written', undefined, {});
    cleanups.push(() => s.cleanup());
    const repoDir = join(s.work, 'kopia-repo');
    await kopia.ok(['repository', 'create', 'filesystem', `--path=${repoDir}`, '--override-username=kopia', '--override-hostname=other']);
    const src = join(s.work, 'kopia-src');
    const states = new Map<string, number>();
    for (let i = 0; i < 6; i++) {
      await writeTreeState(src, i, TREE);
      const m = await kopia.json<{ id: string }>(['snapshot', 'create', src]);
      states.set(m.id, i);
    }
    const ids = [...states.keys()];
    for (const id of ids.slice(0, 4)) await kopia.ok(['snapshot', 'delete', id, '--delete']);
    const env = { env: { CAIRN_REPOSITORY: `file://${repoDir}` }, seams: { safety: 'none' } };
    const refused = await s.cairn(['maintenance', 'run', '--full', '--log-level', 'error'], env);
    expect(refused.exitCode).toBe(22); // kopia's snapshot create made kopia@other the owner
    await s.cairnOk(['maintenance', 'set-owner', '--log-level', 'error'], env);
    const before = await dirBytes(repoDir);
    await s.cairnOk(['maintenance', 'run', '--full', '--log-level', 'error'], env);
    const after = await dirBytes(repoDir);
    process.stdout.write(`[kopia-written] Cairn full maintenance of a kopia repository: ${before} -> ${after} bytes\n`);
    expect(before - after).toBeGreaterThanOrEqual(0.9 * 4 * TREE.changingBytes!);
    for (const id of ids.slice(4)) {
      const viaKopia = join(s.work, `kopia-${id}`);
      await kopia.ok(['snapshot', 'restore', id, viaKopia]);
      expect(await compareWithState(viaKopia, states.get(id)!, TREE, s.work, true)).toEqual([]);
      const viaCairn = join(s.work, `cairn-${id}`);
      await s.cairnOk(['snapshot', 'restore', id, viaCairn, '--log-level', 'error'], env);
      expect(await compareWithState(viaCairn, states.get(id)!, TREE, s.work)).toEqual([]);
    }
    await kopia.ok(['snapshot', 'verify', '--verify-files-percent=100']);
    await kopia.ok(['maintenance', 'info']);
  });

  it('kopia reads the index compactions (xs, xr) and cleanups Cairn\'s epoch maintenance writes', async () => {
    const s = await newScenario('epochs');
    cleanups.push(() => s.cleanup());
    // test-only epoch parameters: advance after 2 index blobs, no cleanup margin, range every 2 epochs
    const fast = { seams: { safety: 'none,epoch.minEpochDuration=0s,epoch.advanceOnCount=2,epoch.cleanupSafetyMargin=0s,epoch.fullCheckpointFrequency=2' } };
    const states = new Map<string, number>();
    // blob IDs from the sharded filesystem layout: <first char>/<shard>/<rest>.f, short IDs at the root
    const blobIds = async (): Promise<string[]> => {
      const ids: string[] = [];
      const walk = async (dir: string, prefix: string): Promise<void> => {
        for (const e of await readdir(dir, { withFileTypes: true })) {
          if (e.isDirectory()) await walk(join(dir, e.name), prefix + e.name);
          else if (e.name.endsWith('.f')) ids.push(prefix + e.name.slice(0, -2));
        }
      };
      await walk(s.repoDir, '');
      return ids;
    };
    const blobs = async (prefix: string): Promise<number> => (await blobIds()).filter((id) => id.startsWith(prefix)).length;
    for (let i = 0; i < 12 && (await blobs('xr')) === 0; i++) {
      states.set(await s.snapshot(i, TREE), i);
      await s.cairnOk(['maintenance', 'run', '--full', '--log-level', 'error'], fast);
    }
    const xs = await blobs('xs');
    const xr = await blobs('xr');
    const xe = await blobs('xe');
    process.stdout.write(`[epochs] after ${states.size} rounds: ${xs} xs, ${xr} xr, ${xe} xe, ${await blobs('xn')} xn blobs\n`);
    expect(xr).toBeGreaterThan(0);
    expect(xs).toBeGreaterThan(0);
    expect(xe).toBeLessThanOrEqual(2); // markers below writeEpoch-1 were cleaned up
    // connected only now: a kopia client that listed the index blobs in the last 30 s would still use
    // that listing, which --safety=none (no delay before deleting rewritten packs) does not allow for
    const kopia = await connectKopia(s.repoDir, TEST_PASSWORD);
    cleanups.push(() => kopia.cleanup());
    await kopia.ok(['snapshot', 'verify', '--verify-files-percent=100']);
    const listed = await kopia.json<{ id: string }[]>(['snapshot', 'list', '--all']);
    expect(listed.map((x) => x.id).sort()).toEqual([...states.keys()].sort());
    for (const [id, state] of states) {
      const target = join(s.work, `epochs-${id}`);
      await kopia.ok(['snapshot', 'restore', id, target]);
      expect(await compareWithState(target, state, TREE, s.work, true)).toEqual([]);
    }
    // and kopia's own maintenance continues from Cairn's epoch state
    await kopia.ok(['maintenance', 'set', '--owner=me']);
    await kopia.ok(['maintenance', 'run', '--full', '--safety=none']);
    expect((await s.cairnJson<{ problems: unknown[] }>(['repository', 'check', '--log-level', 'error'])).problems).toEqual([]);
  });
});
