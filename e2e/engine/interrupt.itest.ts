// Interruptions behave as documented (issue 8, item 5), with the real CLI: Ctrl-C (SIGINT) or SIGTERM
// while `cairn snapshot create` uploads — after the walk, which for one directory ends at once — commits
// nothing, exits 130 and leaves a result file saying so; the next run reuses the packs the interrupted one
// stored instead of uploading them again, and kopia 0.23.1 verifies and restores what it committed.
// (Every moment up to the commit write is covered exactly in mover/src/engine/upload/uploader-interrupted.test.ts.)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareTrees } from '../fixtures/compare-trees.ts';
import { removeTree } from '../fixtures/fixture-tree.ts';
import { requireTool } from '../support/tools.ts';
import { CAIRN_BIN, NODE, REPO_ROOT, TEST_PASSWORD, cairnJson, cairnOk, isLogRecord, type CreatedSnapshot, type ListedSnapshot } from './support/cairn-cli.ts';
import { connectKopia } from './support/kopia-repo.ts';

const kopiaBinary = requireTool('kopia');
const MIB = 1024 * 1024;

let work: string;
let src: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-e2e-interrupt-'));
  src = join(work, 'src');
  await mkdir(src);
  // One directory: the walk is over at once, the uploads take a while (the case that used to commit).
  await writeFile(join(src, 'big.bin'), randomBytes(96 * MIB));
  await writeFile(join(src, 'small.txt'), 'small\n');
});

afterAll(async () => {
  if (work !== undefined && process.env['CAIRN_E2E_KEEP'] !== '1') await removeTree(work);
});

/** Runs `snapshot create`, sends `signal` once the first data pack is stored; resolves with exit code and stderr. */
function createAndSignal(repo: string, resultFile: string, signal: NodeJS.Signals): Promise<{ exitCode: number | null; stderr: string; signalled: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [CAIRN_BIN, 'snapshot', 'create', src, '--repo', repo, '--log-level', 'debug', '--result-file', resultFile], {
      cwd: REPO_ROOT,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: work, CAIRN_PASSWORD: TEST_PASSWORD },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let signalled = false;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr += d;
      if (signalled) return;
      for (const line of stderr.split('\n')) {
        if (!isLogRecord(line)) continue;
        const rec = JSON.parse(line) as { msg: string; pack?: string };
        if (rec.msg === 'uploaded pack' && rec.pack?.startsWith('p') === true) {
          signalled = true;
          child.kill(signal);
          return;
        }
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, stderr, signalled });
    });
  });
}

describe('snapshot create, interrupted', () => {
  it('by SIGTERM while the CLI is still loading (a pod deleted at once) exits 130 and commits nothing', async () => {
    const path = join(work, 'repo-loading');
    const repo = `file://${path}`;
    await cairnOk(['repository', 'create', '--repo', repo]);
    const resultFile = join(work, 'result-loading.json');
    const preload = join(REPO_ROOT, 'e2e/engine/support/signal-while-loading.mjs');
    const child = spawn(NODE, ['--import', preload, CAIRN_BIN, 'snapshot', 'create', src, '--repo', repo, '--result-file', resultFile], {
      cwd: REPO_ROOT,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: work, CAIRN_PASSWORD: TEST_PASSWORD },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    // before main() had handlers, the signal's default action killed the process (and PID 1 would ignore it)
    expect(signal, stderr).toBeNull();
    expect(exitCode, stderr).toBe(130);
    expect(stderr).toContain('cairn: error: interrupted; nothing was committed by this run');
    expect(JSON.parse(await readFile(resultFile, 'utf8'))).toMatchObject({ ok: false, code: 'INTERRUPTED', exitCode: 130 });
    expect(await cairnJson<ListedSnapshot[]>(['snapshot', 'list', '--repo', repo])).toEqual([]);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`by ${signal} while uploading commits nothing, exits 130, and the rerun reuses what was uploaded`, async () => {
      const path = join(work, `repo-${signal}`);
      const repo = `file://${path}`;
      await cairnOk(['repository', 'create', '--repo', repo]);
      const resultFile = join(work, `result-${signal}.json`);
      const run = await createAndSignal(repo, resultFile, signal);
      expect(run.signalled, run.stderr.slice(-3000)).toBe(true);
      expect(run.exitCode, run.stderr.slice(-3000)).toBe(130);
      expect(run.stderr).toContain('cairn: error: interrupted; nothing was committed by this run');
      expect(JSON.parse(await readFile(resultFile, 'utf8'))).toMatchObject({ ok: false, code: 'INTERRUPTED', exitCode: 130 });
      expect(await cairnJson<ListedSnapshot[]>(['snapshot', 'list', '--repo', repo])).toEqual([]);

      const rerun = await cairnJson<CreatedSnapshot & { progress: { resumedPacks: number; resumedBytes: number } }>(['snapshot', 'create', src, '--repo', repo]);
      expect(rerun.progress.resumedPacks).toBeGreaterThanOrEqual(1);
      expect(rerun.progress.bytesUploaded).toBeLessThan(96 * MIB - rerun.progress.resumedBytes + 2 * MIB);
      expect((await cairnJson<ListedSnapshot[]>(['snapshot', 'list', '--repo', repo])).map((s) => s.id)).toEqual([rerun.snapshot.id]);

      if (kopiaBinary === undefined) return;
      const kopia = await connectKopia({ kind: 'filesystem', path });
      try {
        const verify = await kopia.run(['snapshot', 'verify', '--verify-files-percent=100']);
        expect(verify.exitCode, verify.stderr).toBe(0);
        const out = join(work, `kopia-restored-${signal}`);
        await kopia.ok(['snapshot', 'restore', rerun.snapshot.id, out]);
        expect(await compareTrees(src, out)).toEqual([]);
      } finally {
        await kopia.cleanup();
      }
    });
  }
});
