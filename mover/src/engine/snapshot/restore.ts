// Restore: brings a snapshot's tree back into a directory (kopia snapshot/restore/restore.go,
// local_fs_output.go, with Cairn's read planning).
//
// - Directory listings are walked in parallel; file objects are resolved to (offset, content) chunks
//   and collected into batches; each batch's contents are grouped by pack and read with few large
//   ranged GETs (restore-plan.ts), bounded by `parallel`; writer workers (restore-worker.ts) decrypt and
//   decompress each content once and write it to every file offset that uses it, with synchronous fs
//   calls (on small files one libuv round trip per call costs more than the call itself).
// - Files are written under a temporary name in their directory and renamed into place when complete,
//   so a file never appears half-written under its own name; with `overwrite` the rename replaces an
//   existing file atomically. Long zero runs are skipped (holes), so sparse files stay sparse.
// - Attributes: owner (only when running as root, or when asked), then mode — chown clears setuid/setgid —
//   then times; directories get theirs after their children, deepest first. Times have microsecond
//   precision (Node's fs API), the stored nanoseconds beyond that are lost.
// - Hard links: kopia stores each link as a separate file entry, so they restore as separate files with
//   identical content (as kopia itself does).
// - Extra files already in the target are left alone; a non-empty target needs `overwrite`.
import { lstat, mkdir, readdir, rm, symlink, unlink, chmod, chown, utimes } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { CairnError, CorruptionError, isCairnError, NotFoundError } from '../errors.ts';
import type { RepositoryReader } from '../repo/repository.ts';
import type { DirEntry } from './dir-entry.ts';
import { decodeDirManifest } from './dir-manifest.ts';
import type { DirManifest } from './dir-manifest.ts';
import { applySymlinkAttributes, moveIntoPlace, mtimeSeconds, targetError } from './restore-file-writer.ts';
import { RestoreFilePipeline } from './restore-file-pipeline.ts';
import type { RestoreCounters } from './restore-file-pipeline.ts';
import { Semaphore } from '../util/semaphore.ts';
import type { RestoreOptions, RestoreStats } from './restore-options.ts';
import type { SnapshotManifest } from './snapshot-manifest.ts';

export type { RestoreOptions, RestoreProgress, RestoreStats } from './restore-options.ts';

const FILE_OPS = 64;
const LISTING_READS = 8;
const PROGRESS_INTERVAL_MS = 100;

interface DirToFinish {
  readonly path: string;
  readonly entry: DirEntry;
  readonly depth: number;
}

function checkName(name: string, dirObject: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new CorruptionError(`directory object ${dirObject}: unsafe entry name ${JSON.stringify(name)}`, {
      hint: 'The directory metadata is damaged or hostile; nothing outside the target was written.',
    });
  }
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

async function settleAll(promises: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

function normalizeSubPath(p: string): string[] {
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.includes('..')) {
    throw new CairnError('USAGE', `restore path ${JSON.stringify(p)} contains ".."`, {
      hint: 'Give paths relative to the snapshot root, for example data/db.',
    });
  }
  return parts;
}

/** Normalized sub-paths without those inside another one (["a", "a/b"] -> [["a"]]). */
function minimalSubPaths(paths: readonly string[]): string[][] {
  const parts = paths.map(normalizeSubPath).sort((a, b) => a.length - b.length);
  const out: string[][] = [];
  for (const p of parts) {
    if (!out.some((q) => q.every((s, i) => p[i] === s))) out.push(p);
  }
  return out;
}

class Restorer {
  private readonly repo: RepositoryReader;
  private readonly overwrite: boolean;
  private readonly ownership: boolean;
  private readonly options: RestoreOptions;
  private readonly fileLimiter = new Semaphore(FILE_OPS);
  private readonly listLimiter = new Semaphore(LISTING_READS);
  private readonly listings = new Map<string, Promise<DirManifest>>();
  private readonly dirs: DirToFinish[] = [];
  private readonly dirsSeen = new Set<string>();
  private readonly tmpFiles = new Set<string>();
  private readonly tmpPrefix = `.cairn-${randomBytes(4).toString('hex')}-`;
  private tmpCounter = 0;
  private readonly pending = new Set<Promise<void>>();
  private failure: unknown;
  private lastProgress = 0;
  private readonly counters: RestoreCounters = { files: 0, dirs: 0, symlinks: 0, bytes: 0 };
  private readonly skipped: string[] = [];
  private files: RestoreFilePipeline | undefined;

  constructor(repo: RepositoryReader, options: RestoreOptions) {
    this.repo = repo;
    this.options = options;
    this.overwrite = options.overwrite === true;
    this.ownership = options.restoreOwnership ?? process.getuid?.() === 0;
  }

  async run(root: DirEntry, target: string): Promise<RestoreStats> {
    try {
      await this.prepareTarget(root, target);
      this.files = new RestoreFilePipeline({
        repo: this.repo,
        options: this.options,
        overwrite: this.overwrite,
        ownership: this.ownership,
        tmpFiles: this.tmpFiles,
        counters: this.counters,
        fileLimiter: this.fileLimiter,
        check: () => this.check(),
        fail: (e) => this.fail(e),
        track: (p) => this.track(p),
        report: () => this.report(),
        tmpName: (dir) => this.tmpName(dir),
      });
      const paths = this.options.paths ?? [];
      if (root.type === 'd') {
        this.addDir(target, root, 0);
        const subPaths = minimalSubPaths(paths);
        if (subPaths.length === 0 || subPaths.some((p) => p.length === 0)) await this.walkDir(root, target, '', 0);
        else for (const p of subPaths) await this.restorePath(root, target, p);
      } else if (paths.length > 0) {
        throw new CairnError('USAGE', 'restore paths need a snapshot whose root is a directory', {
          hint: 'Restore the whole snapshot, without --path.',
        });
      } else {
        await this.restoreChild(root, target, root.name, 0);
      }
      await this.files.flush();
      await this.drain();
      this.check();
      await this.finishDirs();
    } catch (e) {
      this.fail(e);
      await this.drain().catch(() => undefined);
      await this.cleanup();
      throw this.failure;
    } finally {
      await this.files?.close();
    }
    this.report(true);
    return { ...this.counters, skipped: this.skipped };
  }

  private fail(e: unknown): void {
    this.failure ??= e;
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.options.signal?.aborted === true) {
      this.fail(new CairnError('INTERRUPTED', 'restore interrupted', { hint: 'Run the restore again; completed files are kept.' }));
      throw this.failure;
    }
  }

  private report(final = false): void {
    const cb = this.options.onProgress;
    if (cb === undefined) return;
    const now = Date.now();
    if (!final && now - this.lastProgress < PROGRESS_INTERVAL_MS) return;
    this.lastProgress = now;
    cb({ ...this.counters });
  }

  private track(p: Promise<void>): void {
    const t = p.catch((e: unknown) => this.fail(e)).finally(() => this.pending.delete(t));
    this.pending.add(t);
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0 || (this.files?.running.length ?? 0) > 0) {
      await Promise.allSettled([...this.pending, ...(this.files?.running ?? [])]);
    }
  }

  private async cleanup(): Promise<void> {
    await Promise.allSettled([...this.tmpFiles].map((f) => unlink(f)));
  }

  private tmpName(dir: string): string {
    return join(dir, `${this.tmpPrefix}${(this.tmpCounter++).toString(36)}.tmp`);
  }

  private async prepareTarget(root: DirEntry, target: string): Promise<void> {
    let st;
    try {
      st = await lstat(target);
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw targetError(target, 'inspect', e);
      try {
        await mkdir(root.type === 'd' ? target : dirname(target), { recursive: true });
      } catch (e2) {
        throw targetError(target, 'create', e2);
      }
      return;
    }
    const hint = 'Restore into an empty or new directory, or pass --overwrite to replace existing files.';
    if (root.type !== 'd') {
      if (!this.overwrite) throw new CairnError('TARGET_NOT_EMPTY', `restore target ${target} already exists`, { hint });
      return;
    }
    if (!st.isDirectory()) {
      throw new CairnError('TARGET_ERROR', `restore target ${target} exists and is not a directory`, {
        hint: 'Choose a directory as the restore target.',
      });
    }
    let names: string[];
    try {
      // A fresh ext4 volume holds only lost+found (root, 0700): it counts as empty, so a restore into a new
      // PVC needs no --overwrite.
      names = (await readdir(target, { withFileTypes: true })).filter((d) => !(d.name === 'lost+found' && d.isDirectory())).map((d) => d.name);
    } catch (e) {
      throw targetError(target, 'list', e);
    }
    if (names.length > 0 && !this.overwrite) {
      throw new CairnError('TARGET_NOT_EMPTY', `restore target ${target} is not empty (${names.length} entries)`, { hint });
    }
  }

  private readListing(objectId: string): Promise<DirManifest> {
    let p = this.listings.get(objectId);
    if (p === undefined) {
      p = this.listLimiter.run(async () => decodeDirManifest(await (await this.repo.objects.openObject(objectId)).readAll(), objectId));
      // Only the path lookups reuse listings; the walk reads each directory once.
      this.listings.set(objectId, p);
    }
    return p;
  }

  private addDir(path: string, entry: DirEntry, depth: number): void {
    if (this.dirsSeen.has(path)) return;
    this.dirsSeen.add(path);
    this.dirs.push({ path, entry, depth });
  }

  private async makeDir(path: string): Promise<void> {
    try {
      await mkdir(path, { mode: 0o700 });
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw targetError(path, 'create directory', e);
      const st = await lstat(path).catch((e2: unknown) => {
        throw targetError(path, 'inspect', e2);
      });
      if (st.isDirectory()) return;
      if (!this.overwrite) throw targetError(path, 'create directory', e);
      try {
        await rm(path, { force: true });
        await mkdir(path, { mode: 0o700 });
      } catch (e2) {
        throw targetError(path, 'replace with a directory', e2);
      }
    }
    this.counters.dirs++;
  }

  private async restorePath(root: DirEntry, target: string, parts: readonly string[]): Promise<void> {
    const subPath = parts.join('/');
    let dir = root;
    let abs = target;
    let rel = '';
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i]!;
      const listing = await this.readListing(dir.obj);
      const child = listing.entries.find((e) => e.name === name);
      rel = rel === '' ? name : `${rel}/${name}`;
      if (child === undefined) {
        throw new NotFoundError(`restore path "${subPath}": "${rel}" is not in the snapshot`, {
          hint: 'List the snapshot contents and give a path relative to its root.',
        });
      }
      abs = join(abs, name);
      if (i === parts.length - 1) {
        if (this.dirsSeen.has(abs)) return; // already restored by an earlier path
        await this.restoreChild(child, abs, rel, i + 1);
        return;
      }
      if (child.type !== 'd') {
        throw new NotFoundError(`restore path "${subPath}": "${rel}" is not a directory`, {
          hint: 'List the snapshot contents and give a path relative to its root.',
        });
      }
      if (!this.dirsSeen.has(abs)) {
        await this.makeDir(abs);
        this.addDir(abs, child, i + 1);
      }
      dir = child;
    }
  }

  private async restoreChild(entry: DirEntry, path: string, rel: string, depth: number): Promise<void> {
    switch (entry.type) {
      case 'd':
        await this.makeDir(path);
        this.addDir(path, entry, depth);
        await this.walkDir(entry, path, rel, depth);
        return;
      case 'f':
        await this.files!.addFile(entry, path, rel);
        return;
      case 's':
        await this.makeSymlink(entry, path, rel);
        return;
      default:
        this.skipped.push(rel);
    }
  }

  private async walkDir(entry: DirEntry, path: string, rel: string, depth: number): Promise<void> {
    this.check();
    const listing = await this.listLimiter.run(async () =>
      decodeDirManifest(await (await this.repo.objects.openObject(entry.obj)).readAll(), entry.obj),
    );
    const subdirs: Promise<void>[] = [];
    for (const child of listing.entries) {
      this.check();
      checkName(child.name, entry.obj);
      const cPath = join(path, child.name);
      const cRel = rel === '' ? child.name : `${rel}/${child.name}`;
      if (child.type === 'd') {
        await this.makeDir(cPath);
        this.addDir(cPath, child, depth + 1);
        subdirs.push(this.walkDir(child, cPath, cRel, depth + 1));
      } else {
        await this.restoreChild(child, cPath, cRel, depth + 1);
      }
    }
    await settleAll(subdirs);
  }

  private async makeSymlink(entry: DirEntry, path: string, rel: string): Promise<void> {
    const p = this.fileLimiter.run(async () => {
      const linkTarget = await (await this.repo.objects.openObject(entry.obj)).readAll();
      try {
        try {
          await symlink(linkTarget, path);
        } catch (e) {
          if (errno(e) !== 'EEXIST' || !this.overwrite) throw e;
          const tmp = this.tmpName(dirname(path));
          await symlink(linkTarget, tmp);
          this.tmpFiles.add(tmp);
          await moveIntoPlace(tmp, path, true);
          this.tmpFiles.delete(tmp);
        }
        await applySymlinkAttributes(path, entry, this.ownership);
      } catch (e) {
        throw isCairnError(e) ? e : targetError(path, `create symlink (${rel})`, e);
      }
      this.counters.symlinks++;
      this.report();
    });
    this.track(p);
  }

  private async finishDirs(): Promise<void> {
    const byDepth = new Map<number, DirToFinish[]>();
    for (const d of this.dirs) {
      let list = byDepth.get(d.depth);
      if (list === undefined) byDepth.set(d.depth, (list = []));
      list.push(d);
    }
    const depths = [...byDepth.keys()].sort((a, b) => b - a);
    for (const depth of depths) {
      await settleAll(
        byDepth.get(depth)!.map((d) =>
          this.fileLimiter.run(async () => {
            try {
              if (this.ownership) await chown(d.path, d.entry.uid, d.entry.gid);
              await chmod(d.path, d.entry.mode);
              const t = mtimeSeconds(d.entry.mtime);
              await utimes(d.path, t, t);
            } catch (e) {
              throw targetError(d.path, 'set attributes of', e);
            }
          }),
        ),
      );
    }
  }
}

/** Restores the tree of `root` (a directory, file or symlink entry) into `target`. */
export async function restoreEntry(
  repo: RepositoryReader,
  root: DirEntry,
  target: string,
  options: RestoreOptions = {},
): Promise<RestoreStats> {
  return new Restorer(repo, options).run(root, target);
}

/** Restores a snapshot into `target` (a new or empty directory unless `overwrite`). */
export async function restoreSnapshot(
  repo: RepositoryReader,
  snapshot: SnapshotManifest,
  target: string,
  options: RestoreOptions = {},
): Promise<RestoreStats> {
  if (snapshot.rootEntry === undefined) {
    throw new NotFoundError(`snapshot ${snapshot.id} has no root entry`, {
      hint: 'The snapshot is empty or damaged; choose another snapshot.',
    });
  }
  return restoreEntry(repo, snapshot.rootEntry, target, options);
}
