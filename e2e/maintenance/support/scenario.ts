// Shared pieces of the maintenance acceptance tests: a changing source tree whose every state is
// reproducible (so a restore can be compared with a freshly generated copy of that state), a
// filesystem repository driven through the real `cairn` CLI, the real kopia CLI connected to the same
// repository under another identity, and storage size measured by walking the repository directory
// (independent of Cairn's own accounting).
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareTrees } from '../../fixtures/compare-trees.ts';
import { seededBytes } from '../../fixtures/fixture-tree.ts';
import { cairnJson, cairnOk, describeRun, runCairn, type CairnRun, type CairnRunOptions, type ListedSnapshot } from '../../engine/support/cairn-cli.ts';
import { createKopia, type Kopia } from '../../support/kopia.ts';

export const SOURCE = 'tester@e2e:/data';
const BASE_S = 1_700_000_000;

export interface TreeOptions {
  readonly seed: string;
  /** Bytes of the file every state shares (default 2 MB). */
  readonly stableBytes?: number;
  /** Bytes of the file that is new in every state (default 600 KB). */
  readonly changingBytes?: number;
}

/** Writes state `i` of the changing tree into an empty or absent `dir` (all mtimes fixed). */
export async function writeTreeState(dir: string, i: number, o: TreeOptions): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  const files: [string, Buffer, number][] = [
    ['stable/big.bin', seededBytes(o.seed, 'big', o.stableBytes ?? 2_000_000), BASE_S],
    ['stable/notes.txt', Buffer.from('these notes never change\n'.repeat(100)), BASE_S],
    ['changing/current.bin', seededBytes(o.seed, `current-${i}`, o.changingBytes ?? 600_000), BASE_S + 100 + i],
    ['changing/counter.txt', Buffer.from(`state ${i}\n`), BASE_S + 100 + i],
    [`rotating/day-${i % 4}/log.txt`, Buffer.from(`entry ${i}\n`.repeat(1 + i)), BASE_S + 100 + i],
  ];
  for (const [rel, data, mtime] of files) {
    const path = join(dir, rel);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, data);
    await utimes(path, mtime, mtime);
  }
  for (const d of [`rotating/day-${i % 4}`, 'rotating', 'changing', 'stable', '.']) await utimes(join(dir, d), BASE_S, BASE_S);
}

/**
 * Differences between a restored tree and a freshly written state `i` ([] when identical). For kopia
 * restores pass `kopiaRestore`: kopia gives restored directories the newest mtime below them (its
 * directory summary's maxTime), not their own, so directory mtimes are not compared then.
 */
export async function compareWithState(restored: string, i: number, o: TreeOptions, scratch: string, kopiaRestore = false): Promise<string[]> {
  const expected = join(scratch, `expected-${i}-${Math.random().toString(36).slice(2)}`);
  await writeTreeState(expected, i, o);
  try {
    return await compareTrees(expected, restored, { directoryMtimes: !kopiaRestore });
  } finally {
    await rm(expected, { recursive: true, force: true });
  }
}

/** Sum of the file sizes under a directory. */
export async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await dirBytes(p);
    else if (e.isFile()) total += (await stat(p)).size;
  }
  return total;
}

export interface Scenario {
  readonly work: string;
  readonly repoDir: string;
  readonly repoUrl: string;
  readonly src: string;
  /** Runs cairn against this repository (CAIRN_REPOSITORY set, identity tester@e2e). */
  cairn(args: readonly string[], options?: CairnRunOptions): Promise<CairnRun>;
  cairnOk(args: readonly string[], options?: CairnRunOptions, exit?: number): Promise<CairnRun>;
  cairnJson<T>(args: readonly string[], options?: CairnRunOptions, exit?: number): Promise<T>;
  /** Snapshots state `i` of the tree; returns the snapshot ID. */
  snapshot(i: number, tree: TreeOptions): Promise<string>;
  list(): Promise<ListedSnapshot[]>;
  cleanup(): Promise<void>;
}

export async function newScenario(name: string, repoUrl?: string, env: Readonly<Record<string, string>> = {}): Promise<Scenario> {
  const work = await mkdtemp(join(tmpdir(), `cairn-e2e-${name}-`));
  const repoDir = join(work, 'repo');
  const url = repoUrl ?? `file://${repoDir}`;
  const src = join(work, 'src');
  const base: CairnRunOptions = { env: { CAIRN_REPOSITORY: url, CAIRN_USER: 'tester', CAIRN_HOSTNAME: 'e2e', ...env } };
  const merge = (o: CairnRunOptions = {}): CairnRunOptions => ({ ...base, ...o, env: { ...base.env, ...o.env } });
  const s: Scenario = {
    work, repoDir, repoUrl: url, src,
    cairn: (args, o) => runCairn(args, merge(o)),
    cairnOk: (args, o, exit) => cairnOk(args, merge(o), exit),
    cairnJson: <T>(args: readonly string[], o?: CairnRunOptions, exit?: number) => cairnJson<T>(args, merge(o), exit),
    async snapshot(i, tree) {
      await writeTreeState(src, i, tree);
      const r = await s.cairnJson<{ snapshot: { id: string } }>(['snapshot', 'create', src, '--source', SOURCE, '--log-level', 'error']);
      return r.snapshot.id;
    },
    list: () => s.cairnJson<ListedSnapshot[]>(['snapshot', 'list', '--log-level', 'error']),
    cleanup: () => rm(work, { recursive: true, force: true }),
  };
  await s.cairnOk(['repository', 'create', '--log-level', 'error']);
  return s;
}

/** The kopia CLI connected to a filesystem repository as kopia@other (never the Cairn identity). */
export async function connectKopia(repoDir: string, password: string): Promise<Kopia> {
  const kopia = await createKopia({ password });
  await kopia.ok(['repository', 'connect', 'filesystem', `--path=${repoDir}`, '--override-username=kopia', '--override-hostname=other']);
  return kopia;
}

/** Throws with the run's output unless it was killed by SIGKILL. */
export function expectKilled(r: CairnRun): void {
  if (r.signal !== 'SIGKILL') throw new Error(`expected the process to be killed: ${describeRun(r)}`);
}
