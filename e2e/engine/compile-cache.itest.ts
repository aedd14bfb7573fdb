// The CLI's worker threads load their modules from the compile cache the main thread fills, as in a mover pod
// whose cache starts empty on every run (mover/src/engine/util/worker-modules.ts says why): with a cold cache,
// a backup and a restore each strip every TypeScript module once, all before their last cache write, and the
// cache has one directory (main thread and workers agree on V8's flag hash: bin/cairn.mjs). With the cache
// filled, no thread rejects what another wrote (the main thread compiles the threads' modules under the flags
// the threads run with: engine/util/worker-ready.ts).
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTree } from '../fixtures/fixture-tree.ts';
import { cairnOk, type CairnRun } from './support/cairn-cli.ts';

let work: string;
let src: string;
const repo = (): string => `file://${join(work, 'repo')}`;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-e2e-compile-cache-'));
  src = join(work, 'src');
  for (let d = 0; d < 4; d++) {
    await mkdir(join(src, `d${d}`), { recursive: true });
    for (let f = 0; f < 25; f++) await writeFile(join(src, `d${d}`, `f${f}`), `${d}/${f} `.repeat(5000 + f * 97));
  }
  await cairnOk(['repository', 'create', '--repo', repo()]);
});

afterAll(async () => {
  if (work !== undefined && process.env['CAIRN_E2E_KEEP'] !== '1') await removeTree(work);
});

/** Runs `cairn` as the image does (its shebang's heap flags) with an empty compile cache of its own (in its TMPDIR). */
async function coldRun(name: string, args: readonly string[]): Promise<{ run: CairnRun; cacheDir: string }> {
  const tmp = join(work, `tmp-${name}`);
  await mkdir(tmp);
  const run = await cairnOk(args, { env: { TMPDIR: tmp, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' }, shebang: true });
  return { run, cacheDir: join(tmp, 'node-compile-cache') };
}

/** The TypeScript modules stripped (not found in the cache), in order, and where the last cache write ended. */
function account(stderr: string): { stripped: string[]; lastFlush: number; lines: string[] } {
  const lines = stderr.split('\n');
  const stripped: string[] = [];
  for (const l of lines) {
    const m = /no transpile cache for StrippedTypeScript (\S+)/.exec(l);
    if (m !== null) stripped.push(m[1]!);
  }
  // Threads' debug lines interleave mid-line, so the last flush is where either of its two lines ("requested",
  // "finished") was seen last: the main thread is blocked in between and strips nothing, and one mangled line
  // must not move the mark back to the flush before (the main thread strips ~46 modules between the two).
  const lastFlush = lines.findLastIndex((l) => /module\.flushCompileCache\(\) (requested|finished)/.test(l));
  return { stripped, lastFlush, lines };
}

function expectWorkersStripNothing(run: CairnRun, entry: string): void {
  const { stripped, lastFlush, lines } = account(run.stderr);
  expect(stripped.some((u) => u.endsWith(entry))).toBe(true); // compiled once, by the main thread...
  expect(stripped.length).toBe(new Set(stripped).size); // ...and no module by a thread again
  expect(lastFlush).toBeGreaterThan(0);
  // the threads start after the last write; nothing is stripped after it
  expect(lines.slice(lastFlush).filter((l) => l.includes('no transpile cache')).map((l) => l.replace(/.*StrippedTypeScript /, ''))).toEqual([]);
}

/** The modules whose V8 code cache a thread found and rejected (written under other V8 flags). */
function rejected(stderr: string): string[] {
  return [...stderr.matchAll(/V8 code cache for \S+ (\S+) was rejected/g)].map((m) => m[1]!);
}

describe('compile cache of the CLI', () => {
  it('a backup with an empty cache: its listing and hashing threads strip no module, and the cache has one directory', async () => {
    const { run, cacheDir } = await coldRun('backup', ['snapshot', 'create', src, '--repo', repo()]);
    expectWorkersStripNothing(run, 'engine/upload/upload-worker.ts');
    expect(account(run.stderr).stripped.filter((u) => u.endsWith('engine/upload/listing-worker.ts'))).toHaveLength(1);
    expect(await readdir(cacheDir)).toHaveLength(1);
  });

  it('a restore with an empty cache: its writer threads strip no module', async () => {
    const { run, cacheDir } = await coldRun('restore', ['snapshot', 'restore', 'latest', join(work, 'out'), '--repo', repo()]);
    expectWorkersStripNothing(run, 'engine/restore/restore-worker.ts');
    expect(await readdir(cacheDir)).toHaveLength(1);
  });

  it('runs that find the cache filled: no thread rejects a code cache another wrote', async () => {
    const tmp = join(work, 'tmp-warm');
    await mkdir(tmp);
    const env = { TMPDIR: tmp, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' };
    const backup = ['snapshot', 'create', src, '--repo', repo()];
    await cairnOk(backup, { env, shebang: true });
    await writeFile(join(src, 'd1', 'changed'), 'changed '.repeat(20000)); // a later backup with data to hash
    const second = await cairnOk(backup, { env, shebang: true });
    const restore = (out: string): Promise<CairnRun> =>
      cairnOk(['snapshot', 'restore', 'latest', join(work, out), '--repo', repo()], { env, shebang: true });
    await restore('out-warm-1');
    const again = await restore('out-warm-2');
    // the threads ran and loaded their modules from the cache (a control: the log is the one inspected)
    expect(second.stderr).toMatch(/V8 code cache for ESM \S+engine\/upload\/listing-worker\.ts was accepted/);
    expect(second.stderr).toMatch(/V8 code cache for ESM \S+engine\/upload\/upload-worker\.ts was accepted/);
    expect(again.stderr).toMatch(/V8 code cache for ESM \S+engine\/restore\/restore-worker\.ts was accepted/);
    expect(rejected(second.stderr)).toEqual([]);
    expect(rejected(again.stderr)).toEqual([]);
  });
});
