// The re-verification restore-target.ts does before making a symlink and before setting a directory's
// attributes: if a directory restore created is no longer that directory — swapped for a symlink, as a
// case-folding filesystem or another writer could make happen — nothing is done through it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lstat, mkdir, mkdtemp, readdir, rename, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DirEntry } from '../snapshot/dir-entry.ts';
import { RestoreTarget } from './restore-target.ts';

let work: string;
const entry: DirEntry = { name: 'x', type: 'd', mode: 0o700, size: 0, mtime: '2001-01-01T00:00:00Z', uid: 0, gid: 0, obj: 'k1' };
const name = (text: string): { text: string; bytes: Buffer } => ({ text, bytes: Buffer.from(text) });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-target-'));
  await mkdir(join(work, 'outside'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('RestoreTarget', () => {
  it('refuses to work through a directory that was swapped for a symlink after it was verified', async () => {
    const { target, dir: root } = await RestoreTarget.open(join(work, 't'), 'd', true);
    const a = await target.makeDir(root, name('a'), 'a');
    const b = await target.makeDir(a, name('b'), 'a/b');
    await rename(join(work, 't', 'a'), join(work, 't', 'a-moved'));
    await symlink(join(work, 'outside'), join(work, 't', 'a'));
    const tmp = { name: () => join(work, 't', 'a', '.tmp-link'), track: () => undefined, untrack: () => undefined };
    await expect(target.symlink(b, name('evil'), Buffer.from('/'), entry, false, tmp)).rejects.toMatchObject({
      code: 'TARGET_ERROR', message: expect.stringContaining('changed during the restore'),
    });
    await expect(target.finishDir(b, entry, false)).rejects.toMatchObject({ code: 'TARGET_ERROR' });
    await expect(target.finishDir(a, { ...entry, mode: 0o777 }, false)).rejects.toMatchObject({ code: 'TARGET_ERROR' });
    expect(await readdir(join(work, 'outside'))).toEqual([]);
    expect((await stat(join(work, 'outside'))).mode & 0o777).not.toBe(0o777);
  });

  it('replaces a symlink in the way of a directory with --overwrite and refuses it without', async () => {
    await mkdir(join(work, 'u'));
    await symlink(join(work, 'outside'), join(work, 'u', 'd'));
    const strict = await RestoreTarget.open(join(work, 'u'), 'd', false).catch((e: unknown) => e);
    expect(strict).toMatchObject({ code: 'TARGET_NOT_EMPTY' });
    const { target, dir } = await RestoreTarget.open(join(work, 'u'), 'd', true);
    const d = await target.makeDir(dir, name('d'), 'd');
    expect((await lstat(join(work, 'u', 'd'))).isDirectory()).toBe(true);
    await target.finishDir(d, entry, false);
    expect(await readdir(join(work, 'outside'))).toEqual([]);
  });
});
