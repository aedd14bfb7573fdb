// Acceptance (issue 8, item 3): maintenance safety margins cannot be shortened, nor a run stopped, by an
// environment variable of the shipped CLI. bin/cairn.mjs ignores the old CAIRN_TEST_SAFETY and
// CAIRN_TEST_CRASH_AT switches (an expired snapshot's data survives full maintenance, the run completes);
// the same run through the test-only entry point (e2e/support/cairn-test-entry.ts) honours its seams.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../engine/support/cairn-cli.ts';
import { dirBytes, expectKilled, newScenario, type Scenario, type TreeOptions } from './support/scenario.ts';

const TREE: TreeOptions = { seed: 'test-seams', stableBytes: 300_000, changingBytes: 400_000 };
const STRAY = { CAIRN_TEST_SAFETY: 'none', CAIRN_TEST_CRASH_AT: 'task:snapshot-gc' };

describe('maintenance test seams', () => {
  let s: Scenario;

  beforeAll(async () => {
    s = await newScenario('test-seams');
    const first = await s.snapshot(0, TREE);
    await s.snapshot(1, TREE);
    await s.cairnOk(['snapshot', 'delete', first, '--log-level', 'error']);
  });

  afterAll(async () => {
    await s?.cleanup();
  });

  it('the shipped CLI ignores CAIRN_TEST_SAFETY and CAIRN_TEST_CRASH_AT', async () => {
    const before = await dirBytes(s.repoDir);
    const r = await s.cairnJson<{ tasks: { task: string; success: boolean; stats?: { deletedContentCount?: number } }[] }>(
      ['maintenance', 'run', '--full', '--log-level', 'error'], { env: STRAY });
    expect(r.tasks.map((t) => t.task)).toContain('snapshot-gc'); // not killed when the task started
    expect(r.tasks.find((t) => t.task === 'snapshot-gc')?.stats).toMatchObject({ deletedContentCount: 0 });
    // full safety: contents younger than 24 h are not collected, so the deleted snapshot's data stays
    expect(await dirBytes(s.repoDir)).toBeGreaterThanOrEqual(before);
  });

  it('the test entry point honours its seams', async () => {
    const killed = await s.cairn(['maintenance', 'run', '--full', '--log-level', 'error'], { seams: { safety: 'none', crashAt: 'task:snapshot-gc' } });
    expectKilled(killed);
    const before = await dirBytes(s.repoDir);
    await s.cairnOk(['maintenance', 'run', '--full', '--log-level', 'error'], { seams: { safety: 'none' } });
    expect(await dirBytes(s.repoDir)).toBeLessThan(before - TREE.changingBytes! / 2);
  });

  it('no shipped source reads a CAIRN_TEST_ switch', async () => {
    const offenders: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (/\.(ts|mjs)$/.test(e.name) && !/\.(test|itest)\.ts$/.test(e.name) && /CAIRN_TEST_/.test(await readFile(p, 'utf8'))) offenders.push(p);
      }
    };
    for (const d of ['mover/src', 'bin', 'operator/src']) await walk(join(REPO_ROOT, d));
    expect(offenders).toEqual([]);
  });
});
