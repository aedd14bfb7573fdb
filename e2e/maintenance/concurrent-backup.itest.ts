// Acceptance (issue 3): a backup written by another process while full maintenance deletes is never
// damaged. Maintenance runs back to back (margins shortened through the test entry's seams, except the session
// expiry that protects a running backup's packs) from the moment the backup has stored its first pack
// until it finishes; the backup's later packs wait for a gate file (holding-store.ts) that the test creates
// once two maintenance runs have finished, so those runs certainly meet a running backup however fast it is.
// Then the backup's snapshot restores identically, `cairn repository check` and
// `kopia snapshot verify --verify-files-percent=100` pass.
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareTrees } from '../fixtures/compare-trees.ts';
import { seededBytes } from '../fixtures/fixture-tree.ts';
import { TEST_PASSWORD, describeRun, type CairnRun } from '../engine/support/cairn-cli.ts';
import { requireTool } from '../support/tools.ts';
import { connectKopia, newScenario, type Scenario, type TreeOptions } from './support/scenario.ts';

const kopiaBinary = requireTool('kopia');
const TREE: TreeOptions = { seed: 'concurrent', stableBytes: 1_000_000, changingBytes: 1_000_000 };
const CONCURRENT_SAFETY = 'none,sessionExpirationAge=96h';
// Several packs, so that the backup still has packs to store once the gate opens.
const BIG_FILES = 150;
const BIG_FILE_BYTES = 4 << 20;

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else out.push(join(d, e.name));
    }
  };
  await walk(dir);
  return out;
}

interface RunReport {
  readonly tasks: { task: string; stats?: { deletedPackCount?: number; retainedPackCount?: number; deletedContentCount?: number } }[];
}

let s: Scenario | undefined;
afterAll(async () => {
  await s?.cleanup();
});

describe.skipIf(kopiaBinary === undefined)('backup concurrent with full maintenance', () => {
  it('is never damaged', async () => {
    s = await newScenario('concurrent');
    for (let i = 0; i < 8; i++) await s.snapshot(i, TREE);
    await s.cairnOk(['snapshot', 'expire', '--keep-latest', '2', '--apply', '--log-level', 'error']);

    const bigSrc = join(s.work, 'big');
    await mkdir(bigSrc);
    for (let i = 0; i < BIG_FILES; i++) {
      const p = join(bigSrc, `f-${String(i).padStart(3, '0')}.bin`);
      await writeFile(p, seededBytes('concurrent-big', String(i), BIG_FILE_BYTES));
      await utimes(p, 1_700_000_000 + i, 1_700_000_000 + i);
    }
    await utimes(bigSrc, 1_700_000_000, 1_700_000_000);

    const packsBefore = new Set(await filesUnder(join(s.repoDir, 'p')));
    let backupDone = false;
    const gate = join(s.work, 'backup-may-go-on');
    const backup: Promise<CairnRun> = s.cairn(['snapshot', 'create', bigSrc, '--source', 'tester@e2e:/big', '--parallel', '1', '--json', '--log-level', 'error'],
      { seams: { holdPacksUntil: gate } })
      .finally(() => { backupDone = true; });
    // wait until the backup has stored packs that no index refers to yet
    while (!backupDone && (await filesUnder(join(s.repoDir, 'p'))).every((p) => packsBefore.has(p))) await new Promise((r) => setTimeout(r, 50));
    expect(backupDone).toBe(false);

    const reports: RunReport[] = []; // runs that finished while the backup was still running
    let runs = 0;
    while (!backupDone) {
      const r = await s.cairnJson<RunReport>(['maintenance', 'run', '--full', '--log-level', 'error'], { seams: { safety: CONCURRENT_SAFETY } });
      runs++;
      if (!backupDone) reports.push(r);
      if (reports.length === 2) await writeFile(gate, '');
    }
    const b = await backup;
    if (b.exitCode !== 0) throw new Error(describeRun(b));
    const created = JSON.parse(b.stdout) as { snapshot: { id: string } };

    const packTasks = reports.flatMap((r) => r.tasks.filter((t) => t.task === 'full-delete-blobs'));
    const deleted = packTasks.reduce((n, t) => n + (t.stats?.deletedPackCount ?? 0), 0);
    const retained = packTasks.reduce((n, t) => n + (t.stats?.retainedPackCount ?? 0), 0);
    process.stdout.write(`[concurrent] ${runs} maintenance runs, ${reports.length} finished while the backup ran; those deleted ${deleted} packs and kept ${retained} unindexed packs of the running backup\n`);
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(deleted).toBeGreaterThan(0); // maintenance really deleted while the backup ran
    expect(retained).toBeGreaterThan(0); // and kept the backup's packs (live session)

    // one more run once everything is quiet, then the backup must still be intact
    await s.cairnOk(['maintenance', 'run', '--full', '--log-level', 'error'], { seams: { safety: CONCURRENT_SAFETY } });
    const check = await s.cairnJson<{ problems: unknown[] }>(['repository', 'check', '--log-level', 'error']);
    expect(check.problems).toEqual([]);
    const restored = join(s.work, 'restored-big');
    await s.cairnOk(['snapshot', 'restore', created.snapshot.id, restored, '--log-level', 'error']);
    expect(await compareTrees(bigSrc, restored)).toEqual([]);
    const kopia = await connectKopia(s.repoDir, TEST_PASSWORD);
    try {
      await kopia.ok(['snapshot', 'verify', '--verify-files-percent=100']);
    } finally {
      await kopia.cleanup();
    }
  });
});
