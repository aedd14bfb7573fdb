// Acceptance (issue 3): full maintenance killed with SIGKILL at each step (a crash point of the test entry's seams) leaves a
// repository that `cairn repository check` and `kopia snapshot verify --verify-files-percent=100` pass,
// whose remaining snapshots restore identically, and a rerun converges (nothing left to reclaim).
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD } from '../engine/support/cairn-cli.ts';
import { requireTool } from '../support/tools.ts';
import { compareWithState, connectKopia, dirBytes, expectKilled, newScenario, type Scenario, type TreeOptions } from './support/scenario.ts';

const kopiaBinary = requireTool('kopia');
const TREE: TreeOptions = { seed: 'crash', stableBytes: 500_000, changingBytes: 400_000 };
const SAFETY = 'none';
// epochs advance and get compacted and cleaned up within seconds (test-only; never with other writers)
const FAST_EPOCHS = 'none,epoch.minEpochDuration=0s,epoch.advanceOnCount=2,epoch.cleanupSafetyMargin=0s,epoch.fullCheckpointFrequency=2';

interface Check {
  readonly problemCount: number;
  readonly reclaimable: { readonly totalBytes: number };
}

describe.skipIf(kopiaBinary === undefined)('maintenance killed at any step', () => {
  let base: Scenario;
  const states = new Map<string, number>();

  beforeAll(async () => {
    base = await newScenario('crash-base');
    for (let i = 0; i < 6; i++) states.set(await base.snapshot(i, TREE), i);
    await base.cairnOk(['snapshot', 'expire', '--keep-latest', '2', '--apply', '--log-level', 'error']);
  }, 600_000);

  afterAll(async () => {
    await base?.cleanup();
  });

  /** A copy of the base repository for one crash point (same password, same snapshots). */
  async function copyOf(name: string): Promise<{ repoDir: string; env: Record<string, string> }> {
    const repoDir = join(base.work, `repo-${name}`);
    await cp(base.repoDir, repoDir, { recursive: true });
    return { repoDir, env: { CAIRN_REPOSITORY: `file://${repoDir}` } };
  }

  async function expectHealthy(repoDir: string, env: Record<string, string>, label: string): Promise<Check> {
    const check = await base.cairnJson<Check & { problems: unknown[] }>(['repository', 'check', '--log-level', 'error'], { env });
    expect(check.problems, label).toEqual([]);
    const kopia = await connectKopia(repoDir, TEST_PASSWORD);
    try {
      await kopia.ok(['snapshot', 'verify', '--verify-files-percent=100']);
    } finally {
      await kopia.cleanup();
    }
    const kept = await base.cairnJson<{ id: string }[]>(['snapshot', 'list', '--log-level', 'error'], { env });
    expect(kept.map((k) => states.get(k.id)).sort(), label).toEqual([4, 5]);
    for (const k of kept) {
      const target = join(base.work, `restore-${label}-${k.id}`);
      await base.cairnOk(['snapshot', 'restore', k.id, target, '--log-level', 'error'], { env });
      expect(await compareWithState(target, states.get(k.id)!, TREE, base.work), label).toEqual([]);
    }
    return check;
  }

  for (const point of ['after-gc-marks', 'after-new-packs', 'after-new-indexes', 'after-watermark', 'mid-deletion']) {
    it(`SIGKILL ${point}: the repository stays consistent and a rerun converges`, async () => {
      const { repoDir, env } = await copyOf(point);
      const before = await dirBytes(repoDir);
      const killed = await base.cairn(['maintenance', 'run', '--full', '--log-level', 'error'], { env, seams: { safety: SAFETY, crashAt: point } });
      expectKilled(killed);
      await expectHealthy(repoDir, env, `${point}/after-kill`);
      await base.cairnOk(['maintenance', 'run', '--full', '--log-level', 'error'], { env, seams: { safety: SAFETY } });
      const after = await expectHealthy(repoDir, env, `${point}/after-rerun`);
      expect(after.reclaimable.totalBytes).toBe(0);
      const size = await dirBytes(repoDir);
      process.stdout.write(`[crash ${point}] ${before} -> ${size} bytes after kill + rerun\n`);
      expect(before - size).toBeGreaterThanOrEqual(0.9 * 4 * TREE.changingBytes!);
    });
  }

  it('SIGKILL in the middle of index cleanup: the repository stays consistent and a rerun converges', async () => {
    const { repoDir, env } = await copyOf('index-cleanup');
    let killed = false;
    for (let round = 0; round < 8 && !killed; round++) {
      await base.cairnOk(['snapshot', 'create', base.src, '--source', 'tester@e2e:/other', '--log-level', 'error'], { env });
      const r = await base.cairn(['maintenance', 'run', '--full', '--log-level', 'error'],
        { env, seams: { safety: FAST_EPOCHS, crashAt: 'mid-index-cleanup' } });
      if (r.signal === 'SIGKILL') killed = true;
      else expect(r.exitCode).toBe(0);
    }
    expect(killed).toBe(true);
    const extra = (await base.cairnJson<{ id: string; source: string }[]>(['snapshot', 'list', '--log-level', 'error'], { env })).filter((x) => x.source.endsWith(':/other'));
    for (const x of extra) await base.cairnOk(['snapshot', 'delete', x.id, '--log-level', 'error'], { env });
    await expectHealthy(repoDir, env, 'index-cleanup/after-kill');
    await base.cairnOk(['maintenance', 'run', '--full', '--log-level', 'error'], { env, seams: { safety: FAST_EPOCHS } });
    const after = await expectHealthy(repoDir, env, 'index-cleanup/after-rerun');
    expect(after.reclaimable.totalBytes).toBe(0);
  });
});
