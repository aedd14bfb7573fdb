// A file that grows, shrinks or is replaced between the walk's lstat and its read is stored as read: its
// entry's size is the size of the stored object, it keeps the mtime the walk saw, and it is counted
// (issue 8, item 4). The moment between lstat and read is reached through the ignore rules, which the
// walker consults for every entry after listing its directory and before reading it.
import { describe, expect, it } from 'vitest';
import { appendFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useScratchRepository } from '../snapshot/test-support/scratch-repository.ts';
import { decodeDirManifest } from '../snapshot/dir-manifest.ts';
import { restoreEntry } from '../restore/restore.ts';
import { Uploader } from './uploader.ts';
import type { DirectoryIgnoreMatcher } from '../policy/ignore-rules.ts';

const scratch = useScratchRepository('changing');

describe('backup of files that change while being read', () => {
  it('stores each as read, with its size matching the stored object, and counts it', async () => {
    const src = join(scratch.work, 'src');
    await mkdir(src);
    const body = (n: number, c: string): Buffer => Buffer.alloc(n, c);
    for (const name of ['grows', 'shrinks', 'replaced', 'steady']) await writeFile(join(src, name), body(100_000, name[0]!));
    const change: Record<string, () => void> = {
      grows: () => appendFileSync(join(src, 'grows'), body(50_000, '+')),
      shrinks: () => truncateSync(join(src, 'shrinks'), 30_000),
      replaced: () => {
        writeFileSync(join(src, '.new'), body(150_000, 'n'));
        renameSync(join(src, '.new'), join(src, 'replaced'));
      },
    };
    const scope: DirectoryIgnoreMatcher = {
      relDir: '', ignoreFileNames: [],
      ignores: (name) => {
        change[name]?.(); // after the walk's lstat, before the read
        return false;
      },
      forDirectory: () => scope,
    };
    const uploader = new Uploader(scratch.repo, {
      sourcePath: src, source: { host: 'h', userName: 'u', path: '/src' }, workers: 1, previous: null,
      ignore: scope,
    });
    const result = await uploader.run();
    expect(result.progress.changedWhileRead).toBe(3);
    expect(result.failures).toEqual([]);

    const listing = decodeDirManifest(await (await scratch.repo.objects.openObject(result.manifest.rootEntry!.obj)).readAll(), 'root');
    const sizes = Object.fromEntries(listing.entries.map((e) => [e.name, e.size]));
    expect(sizes).toEqual({ grows: 100_000, shrinks: 30_000, replaced: 100_000, steady: 100_000 });
    for (const e of listing.entries) expect((await scratch.repo.objects.openObject(e.obj)).length).toBe(e.size);
    expect(result.manifest.stats.totalSize).toBe(330_000);

    const out = join(scratch.work, 'out');
    await restoreEntry(scratch.repo, result.manifest.rootEntry!, out);
    expect(await readFile(join(out, 'grows'))).toEqual(body(100_000, 'g'));
    expect(await readFile(join(out, 'shrinks'))).toEqual(body(30_000, 's'));
    expect(await readFile(join(out, 'replaced'))).toEqual(body(100_000, 'n'));
  });
});
