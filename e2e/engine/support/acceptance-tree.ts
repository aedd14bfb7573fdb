// The acceptance fixture (e2e/fixtures/fixture-tree.ts) plus what only root can set up: a few entries owned
// by other users and groups, so restores prove ownership too. Also saves exact copies of a tree (GNU
// `cp -a`: modes, owners, ns mtimes, symlinks) for tests that change a tree between snapshots.
import { execFile } from 'node:child_process';
import { lchown, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildFixtureTree, type FixtureOptions, type FixtureSummary } from '../../fixtures/fixture-tree.ts';

const run = promisify(execFile);

export const IS_ROOT = process.getuid?.() === 0;

/** Entries that get foreign owners (uid:gid) when the tests run as root. */
export const FOREIGN_OWNERS: readonly { readonly path: string; readonly uid: number; readonly gid: number }[] = [
  { path: 'names/with space', uid: 1001, gid: 1002 },
  { path: 'names/café-ñandú-日本語.txt', uid: 1003, gid: 1004 },
  { path: 'links/to-file', uid: 1005, gid: 1006 },
  { path: 'wide/entry-00001', uid: 65534, gid: 65534 },
  { path: 'modes/read-only', uid: 0, gid: 1007 },
];

/** Small trees for tests that do not need the 64 MiB file or 10,000 entries. */
export const SMALL_FIXTURE: FixtureOptions = {
  largeFileBytes: 3 * 1024 * 1024 + 17,
  wideDirEntries: 300,
  depth: 12,
  sparseFileBytes: 4 * 1024 * 1024,
};

/** buildFixtureTree, then (as root) foreign owners; chown changes ctime only, so mtimes stay exact. */
export async function buildAcceptanceTree(root: string, options: FixtureOptions = {}): Promise<FixtureSummary> {
  const summary = await buildFixtureTree(root, options);
  if (IS_ROOT) {
    for (const o of FOREIGN_OWNERS) await lchown(join(root, o.path), o.uid, o.gid);
  }
  return summary;
}

/** An exact copy of `from` at `to` (which must not exist). */
export async function copyTree(from: string, to: string): Promise<void> {
  await run('cp', ['-a', '--', from, to]);
}

/** Sets a path's atime and mtime to `mtimeNs` exactly, which must be µs-aligned (what Node can set). */
export async function setMtimeNs(path: string, mtimeNs: bigint): Promise<void> {
  if (mtimeNs % 1000n !== 0n) throw new Error(`${path}: mtime ${mtimeNs} ns is not µs-aligned; Node cannot set it`);
  // libuv truncates to µs: aim half a µs past the target so float rounding cannot fall below it.
  const s = Number(mtimeNs / 1000n) / 1e6 + 0.5e-6;
  await utimes(path, s, s);
}
