// The uploader's incremental rules over a real repository (MemoryBlobStore): unchanged files are reused
// from the previous snapshot without being read, changed ones are read again, unchanged directory listings
// are reused without being written again, exclusions are counted as kopia counts them, and an aborted run
// commits nothing.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { MemoryBlobStore } from '../blob/memory-store.ts';
import { createRepository, openRepository } from '../repo/open-repository.ts';
import { useScratchRepository } from '../snapshot/test-support/scratch-repository.ts';
import { readDirManifest } from '../snapshot/dir-manifest.ts';
import type { DirEntry, DirectorySummary } from '../snapshot/dir-entry.ts';
import type { SnapshotManifest } from '../snapshot/snapshot-manifest.ts';
import { listSnapshots } from '../snapshot/snapshot-manager.ts';
import { createIgnoreMatcher } from '../policy/ignore-rules.ts';
import { Uploader, type UploadOptions, type UploadResult } from './uploader.ts';
import { ListingReadAhead, worthReadingAhead } from './listing-read-ahead.ts';

const SOURCE = { host: 'h', userName: 'u', path: '/src' };
const FIXED = new Date('2024-01-02T03:04:05.678Z');
const scratch = useScratchRepository('uploader');

function upload(src: string, options: Partial<UploadOptions> = {}): Promise<UploadResult> {
  return new Uploader(scratch.repo, { sourcePath: src, source: SOURCE, workers: 1, ...options }).run();
}

async function child(dir: DirEntry, name: string): Promise<DirEntry> {
  const found = (await readDirManifest(scratch.repo.objects, dir.obj)).entries.find((e) => e.name === name);
  if (found === undefined) throw new Error(`${name} not in listing`);
  return found;
}

async function content(entry: DirEntry): Promise<string> {
  return (await (await scratch.repo.objects.openObject(entry.obj)).readAll()).toString();
}

/** Rewrites a file, then gives it back its size (by construction) and mtime: a backup must not look inside. */
async function replaceKeepingStat(path: string, text: string): Promise<void> {
  const before = await stat(path);
  await writeFile(path, text);
  await utimes(path, before.atime, before.mtime);
}

describe('Uploader', () => {
  let src: string;
  let first: UploadResult;

  beforeAll(async () => {
    src = join(scratch.work, 'incremental');
    await mkdir(join(src, 'a'), { recursive: true });
    await mkdir(join(src, 'b'), { recursive: true });
    await writeFile(join(src, 'a', 'one.txt'), 'one-1');
    await writeFile(join(src, 'a', 'big.bin'), randomBytes(300_000));
    await writeFile(join(src, 'b', 'two.txt'), 'two-1');
    await writeFile(join(src, 'top.txt'), 'top-1');
    // whole-millisecond mtimes, so that utimes can give a rewritten file its exact mtime back
    for (const f of ['a/one.txt', 'a/big.bin', 'b/two.txt', 'top.txt']) await utimes(join(src, f), FIXED, FIXED);
    first = await upload(src, { previous: null });
  });

  it('reuses unchanged files without reading them, and unchanged listings without writing them', async () => {
    await replaceKeepingStat(join(src, 'top.txt'), 'TOP-2'); // same size and mtime: trusted as unchanged
    const written = { ...scratch.repo.contents.stats };
    const second = await upload(src, { previous: first.manifest });
    expect(second.progress).toMatchObject({ cachedFiles: 4, hashedFiles: 0, bytesRead: 0 });
    expect(second.manifest.rootEntry!.obj).toBe(first.manifest.rootEntry!.obj);
    expect(await content(await child(second.manifest.rootEntry!, 'top.txt'))).toBe('top-1');
    // nothing but the snapshot manifest was written: no file content, no listing, not even a dedup hit
    expect(scratch.repo.contents.stats.dedupedContents).toBe(written.dedupedContents);
    expect(scratch.repo.contents.stats.writtenContents - written.writtenContents).toBe(1);
    expect(second.manifest.stats).toMatchObject({ cachedFiles: 4, nonCachedFiles: 0, fileCount: 4, dirCount: 3 });
  });

  it('reads a file again when its size or its mtime changed, and still reuses the unchanged ones', async () => {
    await writeFile(join(src, 'a', 'one.txt'), 'one-22'); // other size
    await replaceKeepingStat(join(src, 'b', 'two.txt'), 'two-2');
    const t = await stat(join(src, 'b', 'two.txt'));
    await utimes(join(src, 'b', 'two.txt'), t.atime, new Date(t.mtimeMs + 5000)); // other mtime
    const third = await upload(src, { previous: first.manifest });
    expect(third.progress).toMatchObject({ cachedFiles: 2, hashedFiles: 2 });
    const root = third.manifest.rootEntry!;
    expect(await content(await child(await child(root, 'a'), 'one.txt'))).toBe('one-22');
    expect(await content(await child(await child(root, 'b'), 'two.txt'))).toBe('two-2');
    expect((await child(await child(root, 'a'), 'big.bin')).obj).toBe((await child(await child(first.manifest.rootEntry!, 'a'), 'big.bin')).obj);
    expect(root.obj).not.toBe(first.manifest.rootEntry!.obj);
  });

  it('stores the empty content once for many empty files, each with its own entry, and backs up a name that is not UTF-8', async () => {
    const dir = join(scratch.work, 'empties');
    await mkdir(dir);
    for (let i = 0; i < 300; i++) await writeFile(join(dir, `e${i}`), '');
    const odd = Buffer.concat([Buffer.from(dir + '/bad-'), Buffer.of(0xff), Buffer.from('.txt')]);
    await writeFile(odd, 'not utf-8 name');
    const written = scratch.repo.contents.stats.writtenContents;
    const r = await upload(dir, { previous: null });
    expect(r.progress).toMatchObject({ files: 301, hashedFiles: 301, cachedFiles: 0, errors: 0 });
    const listing = (await readDirManifest(scratch.repo.objects, r.manifest.rootEntry!.obj)).entries;
    const empties = listing.filter((e) => e.name.startsWith('e'));
    expect(empties).toHaveLength(300);
    expect(new Set(empties.map((e) => e.obj)).size).toBe(1);
    expect(empties.every((e) => e.size === 0 && e.type === 'f')).toBe(true);
    expect(await content(listing.find((e) => e.name === 'bad-\udcff.txt')!)).toBe('not utf-8 name');
    // the empty content, the odd file's, the listing and the manifest (the empty content may already exist)
    expect(scratch.repo.contents.stats.writtenContents - written).toBeLessThanOrEqual(4);
  });

  it('reads a file again when its reused object is no longer in the index', async () => {
    const dir = join(scratch.work, 'gone');
    await mkdir(dir);
    await writeFile(join(dir, 'f.txt'), 'will be deleted from the index');
    const before = await upload(dir, { previous: null });
    const file = await child(before.manifest.rootEntry!, 'f.txt');
    await scratch.repo.contents.deleteContent(file.obj);
    await scratch.repo.flush();
    const after = await upload(dir, { previous: before.manifest });
    expect(after.progress).toMatchObject({ cachedFiles: 0, hashedFiles: 1 });
    expect(await content(await child(after.manifest.rootEntry!, 'f.txt'))).toBe('will be deleted from the index');
  });
});

describe('Uploader exclusions', () => {
  it('counts excluded files (with their bytes) and directories as kopia does; unknown file types are not counted', async () => {
    const src = join(scratch.work, 'excluded');
    await mkdir(join(src, 'cache', 'deep'), { recursive: true });
    await mkdir(join(src, 'keep'));
    await writeFile(join(src, '.kopiaignore'), '*.log\n');
    await writeFile(join(src, 'keep', 'a.log'), '12345');
    await writeFile(join(src, 'keep', 'b.txt'), 'kept');
    await writeFile(join(src, 'x.log'), '123');
    await writeFile(join(src, 'cache', 'deep', 'c.bin'), 'not even walked');
    execFileSync('mkfifo', [join(src, 'pipe')]);
    const result = await upload(src, { previous: null, ignore: createIgnoreMatcher({ rules: ['/cache/'], ignoreFileNames: ['.kopiaignore'] }) });
    expect(result.manifest.stats).toMatchObject({
      excludedFileCount: 2, excludedTotalSize: 8, excludedDirCount: 1, fileCount: 2, dirCount: 2, errorCount: 0,
    });
    expect(result.manifest.rootEntry!.summ).toMatchObject({ files: 2, dirs: 2, size: 6 + 4, numFailed: 0 });
    expect(result.failures).toEqual([]);
  });
});

describe('Uploader abort', () => {
  it('commits nothing when aborted before the commit point', async () => {
    const src = join(scratch.work, 'aborted');
    await mkdir(src);
    await writeFile(join(src, 'f.bin'), randomBytes(100_000));
    const fresh = new MemoryBlobStore();
    await createRepository(fresh, 'pw');
    const r = await openRepository(fresh, 'pw');
    const controller = new AbortController();
    controller.abort();
    try {
      const run = new Uploader(r, { sourcePath: src, source: SOURCE, workers: 1, previous: null, signal: controller.signal }).run();
      await expect(run).rejects.toMatchObject({ code: 'INTERRUPTED' });
    } finally {
      await r.close();
    }
    const reopened = await openRepository(fresh, 'pw');
    try {
      const snapshots: SnapshotManifest[] = await listSnapshots(reopened.manifests, SOURCE);
      expect(snapshots).toEqual([]);
      expect([...reopened.contents.iterateContents()]).toEqual([]);
    } finally {
      await reopened.close();
    }
  });
});

describe('Uploader with listings read ahead', () => {
  it('stores the same tree as without, reuses unchanged files, and dates the snapshot from the read-ahead', async () => {
    const src = join(scratch.work, 'read-ahead');
    await mkdir(join(src, 'x', 'y'), { recursive: true });
    await writeFile(join(src, 'x', 'y', 'deep.txt'), 'deep');
    await writeFile(join(src, 'top.txt'), 'top');
    const plain = await upload(src, { previous: null });

    const at = new Date(Date.now() - 60_000);
    const ahead = await ListingReadAhead.start(src, { now: () => at });
    await ahead.finished;
    const again = await upload(src, { readAhead: ahead });
    expect(again.manifest.rootEntry?.obj).toBe(plain.manifest.rootEntry?.obj);
    expect(again.progress.cachedFiles).toBe(2);
    expect(Date.parse(again.manifest.startTime)).toBe(at.getTime());
    expect(ahead.take(join(src, 'x'))).toBeUndefined(); // taken by the walk, or dropped when the run ended
  });

  it('stops the listing thread of a first backup once the repository is open, and keeps a later backup\'s', async () => {
    const src = join(scratch.work, 'read-ahead-policy');
    await mkdir(join(src, 'd'), { recursive: true });
    await writeFile(join(src, 'd', 'f.txt'), 'f');
    const seen: (number | undefined)[] = [];
    const keepReadAhead = (summ: DirectorySummary | undefined): boolean => {
      seen.push(summ?.files);
      return worthReadingAhead(summ);
    };

    const firstAhead = await ListingReadAhead.start(src);
    const firstTake = vi.spyOn(firstAhead, 'take');
    const first = await upload(src, { previous: null, readAhead: firstAhead, keepReadAhead });
    expect(seen).toEqual([undefined]);
    expect(firstTake).not.toHaveBeenCalled(); // stopped before the walk, which listed for itself

    const laterAhead = await ListingReadAhead.start(src);
    const laterTake = vi.spyOn(laterAhead, 'take');
    const later = await upload(src, { previous: first.manifest, readAhead: laterAhead, keepReadAhead });
    expect(seen).toEqual([undefined, 1]);
    expect(laterTake).toHaveBeenCalled();
    expect(later.manifest.rootEntry?.obj).toBe(first.manifest.rootEntry?.obj);
    expect(later.progress.cachedFiles).toBe(1);
  });

  it('records a file or directory that vanished after it was listed ahead as a failed path and stores the rest', async () => {
    const src = join(scratch.work, 'read-ahead-vanishing');
    await mkdir(join(src, 'gone-dir'), { recursive: true });
    await writeFile(join(src, 'gone-dir', 'inner.txt'), 'inner');
    await writeFile(join(src, 'gone.txt'), 'gone');
    await writeFile(join(src, 'kept.txt'), 'kept');
    const ahead = await ListingReadAhead.start(src);
    await ahead.finished; // every listing was read before anything vanished
    await rm(join(src, 'gone.txt'));
    await rm(join(src, 'gone-dir', 'inner.txt'));
    const result = await upload(src, { previous: null, readAhead: ahead });
    expect(result.failures.map((f) => [f.path, f.errno]).sort()).toEqual([['gone-dir/inner.txt', 'ENOENT'], ['gone.txt', 'ENOENT']]);
    expect(await content(await child(result.manifest.rootEntry!, 'kept.txt'))).toBe('kept');
  });
});
