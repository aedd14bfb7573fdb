import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, readdir, readFile, stat, writeFile, lstat, readlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFixtureTree, removeTree } from '../../../../e2e/fixtures/fixture-tree.ts';
import type { FixtureSummary } from '../../../../e2e/fixtures/fixture-tree.ts';
import { allocatedBytes, compareTrees } from '../../../../e2e/fixtures/compare-trees.ts';
import { PackContentsReader } from '../content/pack-contents-reader.ts';
import type { DirEntry } from '../snapshot/dir-entry.ts';
import { encodeDirManifest } from '../snapshot/dir-manifest.ts';
import { restoreEntry } from './restore.ts';
import type { RestoreProgress } from './restore.ts';
import { FakeRepository } from '../snapshot/test-support/fake-repository.ts';
import { snapshotDirectory } from '../snapshot/test-support/snapshot-directory.ts';

let work: string;
let fixture: FixtureSummary;
let repo: FakeRepository;
let root: DirEntry;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-restore-'));
  fixture = await buildFixtureTree(join(work, 'src'), {
    largeFileBytes: 3 * 1024 * 1024 + 17,
    wideDirEntries: 600,
    sparseFileBytes: 8 * 1024 * 1024,
  });
  repo = new FakeRepository({ chunkSize: 64 * 1024, packSize: 512 * 1024, compression: 'zstd-fastest' });
  root = await snapshotDirectory(repo, fixture.root);
  await repo.flush();
}, 60_000);

afterAll(async () => {
  await removeTree(work);
});

describe('restore', () => {
  it('gives back identical bytes, modes, mtimes (µs) and link targets', async () => {
    const target = join(work, 'out-full');
    const seen: RestoreProgress[] = [];
    const stats = await restoreEntry(repo, root, target, { onProgress: (p) => seen.push(p), parallel: 4 });
    expect(await compareTrees(fixture.root, target)).toEqual([]);
    expect(stats).toMatchObject({ files: fixture.files, symlinks: fixture.symlinks, dirs: fixture.dirs - 1, bytes: fixture.bytes, skipped: [] });
    expect(seen.at(-1)).toEqual({ files: fixture.files, dirs: fixture.dirs - 1, symlinks: fixture.symlinks, bytes: fixture.bytes });
    // Hard links come back as separate files with identical content.
    const [a, b] = fixture.paths.hardLinks.map((p) => join(target, p));
    expect((await stat(a!)).nlink).toBe(1);
    expect(await readFile(b!)).toEqual(await readFile(a!));
    // Sparse stays sparse.
    expect(await allocatedBytes(join(target, fixture.paths.sparse))).toBeLessThan(1024 * 1024);
    // Setuid survives chown (applied before chmod).
    expect((await stat(join(target, fixture.paths.setuid))).mode & 0o7777).toBe(0o4755);
    expect((await readdir(join(target, 'names'))).some((n) => n.startsWith('.cairn-'))).toBe(false);
  });

  it('reads contents grouped by pack: far fewer GETs than contents', async () => {
    const target = join(work, 'out-count');
    const gets: string[] = [];
    const blobs = repo.blobs;
    const counting = Object.create(blobs) as typeof blobs;
    counting.get = (id, range) => {
      gets.push(id);
      return blobs.get(id, range);
    };
    const r = Object.assign(Object.create(repo) as FakeRepository, { blobs: counting });
    await restoreEntry(r, root, target);
    const dataContents = [...repo.contents.iterateContents({ prefix: '' })].filter((c) => /^[0-9a-f]/.test(c.contentId)).length;
    const dataPacks = new Set([...repo.contents.iterateContents()].filter((c) => c.packBlobId.startsWith('p')).map((c) => c.packBlobId)).size;
    expect(gets.filter((g) => g.startsWith('p')).length).toBeLessThanOrEqual(dataPacks * 2);
    expect(dataContents).toBeGreaterThan(dataPacks * 10);
  });

  it('refuses a non-empty target without overwrite, writing nothing', async () => {
    const target = join(work, 'out-nonempty');
    await mkdir(target);
    await writeFile(join(target, 'keep.txt'), 'mine');
    await expect(restoreEntry(repo, root, target)).rejects.toMatchObject({
      code: 'TARGET_NOT_EMPTY',
      message: expect.stringContaining(target),
      hint: expect.stringContaining('--overwrite'),
    });
    expect(await readdir(target)).toEqual(['keep.txt']);
  });

  it('counts a target holding only lost+found (a fresh ext4 volume) as empty, and leaves lost+found alone', async () => {
    const target = join(work, 'out-ext4');
    await mkdir(join(target, 'lost+found'), { recursive: true, mode: 0o700 });
    await restoreEntry(repo, root, target);
    expect(await compareTrees(fixture.root, target)).toEqual(['lost+found: extra']);
    const other = join(work, 'out-ext4-file');
    await mkdir(other);
    await writeFile(join(other, 'lost+found'), 'not a directory');
    await expect(restoreEntry(repo, root, other)).rejects.toMatchObject({ code: 'TARGET_NOT_EMPTY' });
  });

  it('with overwrite replaces files and type conflicts and keeps extra files', async () => {
    const target = join(work, 'out-overwrite');
    await mkdir(join(target, 'links/to-file'), { recursive: true }); // a dir where a symlink goes
    await mkdir(join(target, 'hardlinks/a'), { recursive: true }); // a dir where a file goes
    await mkdir(join(target, 'modes'), { recursive: true });
    await writeFile(join(target, 'modes/setuid'), 'old content that is longer than the new one');
    await writeFile(join(target, 'extra.txt'), 'extra');
    await restoreEntry(repo, root, target, { overwrite: true });
    expect(await compareTrees(fixture.root, join(target), { rootAttributes: true })).toEqual(['extra.txt: extra']);
    expect(await readlink(join(target, 'links/to-file'))).toBe('target.txt');
  });

  it('restores only the requested sub-paths, with their ancestors', async () => {
    const target = join(work, 'out-paths');
    await restoreEntry(repo, root, target, { paths: ['names/日本語ディレクトリ', 'links/to-file', 'links', 'deep/level-1/'] });
    expect((await readdir(target)).sort()).toEqual(['deep', 'links', 'names']);
    expect(await readdir(join(target, 'names'))).toEqual(['日本語ディレクトリ']);
    expect(await compareTrees(join(fixture.root, 'links'), join(target, 'links'))).toEqual([]);
    expect(await compareTrees(join(fixture.root, 'deep/level-1'), join(target, 'deep/level-1'))).toEqual([]);
    await expect(restoreEntry(repo, root, join(work, 'out-paths2'), { paths: ['nope/x'] })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('"nope"'),
    });
    await expect(restoreEntry(repo, root, join(work, 'out-paths3'), { paths: ['../etc'] })).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('reports target write errors as TARGET_ERROR naming the path', async () => {
    const blocker = join(work, 'a-file');
    await writeFile(blocker, 'x');
    await expect(restoreEntry(repo, root, join(blocker, 'sub'))).rejects.toMatchObject({
      code: 'TARGET_ERROR',
      message: expect.stringContaining(blocker),
    });
  });

  it('names the file when a pack is corrupt or missing, and leaves no temp files', async () => {
    const r = new FakeRepository({ chunkSize: 4096, packSize: 1 << 20 });
    const src = join(work, 'small-src');
    await mkdir(join(src, 'sub'), { recursive: true });
    await writeFile(join(src, 'sub', 'victim.bin'), Buffer.alloc(10000, 7));
    await writeFile(join(src, 'ok.txt'), 'fine');
    const rootEntry = await snapshotDirectory(r, src);
    await r.flush();
    const pack = [...r.contents.iterateContents()].find((c) => c.packBlobId.startsWith('p') && c.originalLength === 4096)!;
    r.blobs.corrupt(pack.packBlobId, pack.packOffset + 20);
    const out = join(work, 'out-corrupt');
    await expect(restoreEntry(r, rootEntry, out)).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringContaining('sub/victim.bin') });
    expect((await readdir(join(out, 'sub'))).filter((n) => n.startsWith('.cairn-'))).toEqual([]);
    await r.blobs.delete(pack.packBlobId);
    await expect(restoreEntry(r, rootEntry, join(work, 'out-missing'))).rejects.toMatchObject({
      code: 'CORRUPT',
      message: expect.stringContaining('sub/victim.bin'),
    });
  });

  it('decodes on the main thread when the pack reader has no spec for workers', async () => {
    const wrapped = Object.create(repo) as FakeRepository;
    const inner = repo.encryptor;
    const encryptor = { name: 'WRAPPED', overhead: inner.overhead, encrypt: inner.encrypt.bind(inner), encryptInto: inner.encryptInto.bind(inner), decrypt: inner.decrypt.bind(inner) };
    const packs = new PackContentsReader(repo.blobs, encryptor);
    expect(packs.workerSpec).toBeUndefined();
    const contents = Object.create(repo.contents) as FakeRepository['contents'];
    Object.defineProperty(contents, 'packReader', { value: () => packs });
    Object.defineProperty(wrapped, 'contents', { value: contents });
    const target = join(work, 'out-main-decode');
    await restoreEntry(wrapped, root, target, { writers: 1 });
    expect(await compareTrees(fixture.root, target)).toEqual([]);
  });

  it('rejects unsafe names in listings', async () => {
    const r = new FakeRepository();
    const file = r.objects.put(Buffer.from('evil'));
    const obj = r.objects.put(
      encodeDirManifest([{ name: '..', type: 'f', mode: 0o644, size: 4, mtime: '2025-01-01T00:00:00Z', uid: 0, gid: 0, obj: file }], undefined),
      'k',
    );
    await r.flush();
    const evilRoot: DirEntry = { name: 'x', type: 'd', mode: 0o755, size: 0, mtime: '2025-01-01T00:00:00Z', uid: 0, gid: 0, obj };
    await expect(restoreEntry(r, evilRoot, join(work, 'out-evil'))).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringContaining('".."') });
  });

  it('restores a file root to the target path', async () => {
    const entry = { ...(await snapshotDirectory(repo, join(fixture.root, fixture.paths.large))) };
    await repo.flush();
    const target = join(work, 'single', 'file.bin');
    await restoreEntry(repo, entry, target);
    expect(await compareTrees(join(fixture.root, fixture.paths.large), target)).toEqual([]);
    await expect(restoreEntry(repo, entry, target)).rejects.toMatchObject({ code: 'TARGET_NOT_EMPTY' });
    expect((await lstat(target)).isFile()).toBe(true);
  });

  it('walks no further ahead of the reads than the batches in flight and one listing per walker', async () => {
    // 40,000 one-content files in 100 directories, each content in a pack of its own, so every file's data is
    // one GET: at each listing read, the files listed so far minus the files whose data was asked for must stay
    // within 3 batches (2 in flight, 1 filling) and a listing per walker. Walking every directory at once, as
    // restore did, listed all 40,000 while the reads were at the first few thousand.
    const dirs = 100;
    const perDir = 400;
    const r = new FakeRepository({ packSize: 1 });
    const mtime = '2025-01-01T00:00:00Z';
    const dirEntries: DirEntry[] = [];
    for (let d = 0; d < dirs; d++) {
      const files: DirEntry[] = [];
      for (let f = 0; f < perDir; f++) {
        files.push({ name: `f${f}`, type: 'f', mode: 0o644, size: 8, mtime, uid: 0, gid: 0, obj: r.objects.put(Buffer.from(`${d}:${f}`.padEnd(8))) });
      }
      dirEntries.push({ name: `d${d}`, type: 'd', mode: 0o755, size: 0, mtime, uid: 0, gid: 0, obj: r.objects.put(encodeDirManifest(files, undefined), 'k') });
    }
    const treeRoot: DirEntry = { name: 'x', type: 'd', mode: 0o755, size: 0, mtime, uid: 0, gid: 0, obj: r.objects.put(encodeDirManifest(dirEntries, undefined), 'k') };
    await r.flush();
    const listingObjects = new Set(dirEntries.map((e) => e.obj));
    let listed = 0;
    let asked = 0;
    let ahead = 0;
    const objects = Object.create(r.objects) as FakeRepository['objects'];
    objects.openObject = (id) => {
      if (listingObjects.has(id)) {
        listed += perDir;
        ahead = Math.max(ahead, listed - asked);
      }
      return r.objects.openObject(id);
    };
    const blobs = Object.create(r.blobs) as FakeRepository['blobs'];
    blobs.get = (id, range) => {
      if (id.startsWith('p')) asked++;
      return r.blobs.get(id, range);
    };
    const wrapped = Object.assign(Object.create(r) as FakeRepository, { objects, blobs });
    Object.defineProperty(wrapped, 'contents', { value: Object.assign(Object.create(r.contents) as FakeRepository['contents'], { packReader: () => new PackContentsReader(blobs, r.encryptor) }) });
    const out = join(work, 'out-wide');
    const stats = await restoreEntry(wrapped, treeRoot, out);
    expect(stats.files).toBe(dirs * perDir);
    expect(listed).toBe(dirs * perDir);
    expect(ahead).toBeLessThanOrEqual(3 * 4096 + 8 * perDir);
  }, 60_000);
});
