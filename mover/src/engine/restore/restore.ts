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
// - Safety: a listing is untrusted input; restore-target.ts says how nothing outside the target is ever
//   touched (checked names, verified directories, symlinks made last, attributes through descriptors).
// - Attributes: owner (only when running as root, or when asked), then mode — chown clears setuid/setgid —
//   then times; directories get theirs after their children, deepest first. Times have microsecond
//   precision (Node's fs API), the stored nanoseconds beyond that are lost.
// - Hard links: kopia stores each link as a separate file entry, so they restore as separate files with
//   identical content (as kopia itself does).
// - Extra files already in the target are left alone; a non-empty target needs `overwrite`.
import { unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { CairnError, isCairnError, NotFoundError } from '../errors.ts';
import type { RepositoryReader } from '../repo/repository.ts';
import type { DirEntry } from '../snapshot/dir-entry.ts';
import { readDirManifest } from '../snapshot/dir-manifest.ts';
import type { DirManifest } from '../snapshot/dir-manifest.ts';
import { targetError } from './restore-file-writer.ts';
import { RestoreFilePipeline } from './restore-file-pipeline.ts';
import type { RestoreCounters } from './restore-file-pipeline.ts';
import { checkListingNames, RestoreTarget } from './restore-target.ts';
import type { FsPath, TargetDir } from './restore-target.ts';
import { childPath, displayPath, fsPath, type AnyPath, type EntryName } from '../snapshot/fs-path.ts';
import { Semaphore } from '../util/semaphore.ts';
import { restoresOwnership, type RestoreOptions, type RestoreStats } from './restore-options.ts';
import type { SnapshotManifest } from '../snapshot/snapshot-manifest.ts';

export type { RestoreOptions, RestoreProgress, RestoreStats } from './restore-options.ts';

const FILE_OPS = 64;
const LISTING_READS = 8;
const PROGRESS_INTERVAL_MS = 100;

/** A directory of the target with its snapshot entry: walked (walkDir), then given its attributes (finishDirs). */
interface TreeDir {
  readonly dir: TargetDir;
  readonly entry: DirEntry;
  readonly depth: number;
}

interface SymlinkToMake {
  readonly parent: TargetDir;
  readonly name: EntryName;
  readonly entry: DirEntry;
  readonly rel: string;
}

/** Awaits every promise (none is left unobserved), then throws the first rejection. */
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

function childRel(rel: string, name: string): string {
  return rel === '' ? name : `${rel}/${name}`;
}

class Restorer {
  private readonly repo: RepositoryReader;
  private readonly overwrite: boolean;
  private readonly ownership: boolean;
  private readonly options: RestoreOptions;
  private readonly fileLimiter = new Semaphore(FILE_OPS);
  private readonly listLimiter = new Semaphore(LISTING_READS);
  /** Directories walked at once (walkDir); apart from listLimiter, which a walk takes again to read its listing. */
  private readonly walkLimiter = new Semaphore(LISTING_READS);
  private readonly listings = new Map<string, Promise<{ listing: DirManifest; names: EntryName[] }>>();
  private readonly dirs: TreeDir[] = [];
  /** Directories made on the way to sub-paths, by snapshot-relative path. */
  private readonly pathDirs = new Map<string, TargetDir>();
  private readonly symlinks: SymlinkToMake[] = [];
  private readonly tmpFiles = new Set<AnyPath>();
  private readonly tmpPrefix = `.cairn-${randomBytes(8).toString('hex')}-`;
  private tmpCounter = 0;
  private readonly pending = new Set<Promise<void>>();
  private failure: unknown;
  private lastProgress = 0;
  private readonly counters: RestoreCounters = { files: 0, dirs: 0, symlinks: 0, bytes: 0 };
  private readonly skipped: string[] = [];
  private readonly attributesKept: string[] = [];
  private files: RestoreFilePipeline | undefined;
  private target: RestoreTarget | undefined;

  constructor(repo: RepositoryReader, options: RestoreOptions) {
    this.repo = repo;
    this.options = options;
    this.overwrite = options.overwrite === true;
    this.ownership = restoresOwnership(options);
  }

  async run(root: DirEntry, targetPath: string): Promise<RestoreStats> {
    try {
      if (root.type !== 'd' && (this.options.paths ?? []).length > 0) {
        throw new CairnError('USAGE', 'restore paths need a snapshot whose root is a directory', {
          hint: 'Restore the whole snapshot, without --path.',
        });
      }
      const opened = await RestoreTarget.open(targetPath, root.type, this.overwrite);
      this.target = opened.target;
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
      // 1. Directories and files. No symlink made by this restore exists until every file is in place.
      if (opened.name === undefined) {
        this.dirs.push({ dir: opened.dir, entry: root, depth: 0 });
        const subPaths = minimalSubPaths(this.options.paths ?? []);
        if (subPaths.length === 0 || subPaths.some((p) => p.length === 0)) await this.walkDir(root, opened.dir, 0);
        else for (const p of subPaths) await this.restorePath(root, opened.dir, p);
      } else {
        await this.restoreChild(root, opened.dir, opened.name, root.name, 0);
      }
      await this.files.flush();
      await this.drain();
      this.check();
      // 2. Symlinks, each in a directory verified again just before.
      await this.makeSymlinks();
      // 3. Directory owners, modes and times, deepest first (creating entries changed their mtimes).
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
    return { ...this.counters, skipped: this.skipped, attributesKept: this.attributesKept };
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
    await Promise.allSettled([...this.tmpFiles].map((f) => unlink(fsPath(f))));
  }

  private tmpName(dir: FsPath): FsPath {
    const text = `${this.tmpPrefix}${(this.tmpCounter++).toString(36)}.tmp`;
    return childPath(dir, { text, bytes: Buffer.from(text) });
  }

  /** A listing with its names checked (CORRUPT before anything of it is created). */
  private readListing(entry: DirEntry, rel: string): Promise<{ listing: DirManifest; names: EntryName[] }> {
    let p = this.listings.get(entry.obj);
    if (p === undefined) {
      p = this.listLimiter.run(async () => {
        const listing = await readDirManifest(this.repo.objects, entry.obj);
        return { listing, names: checkListingNames(listing.entries, entry.obj, rel) };
      });
      // Only the path lookups reuse listings; the walk reads each directory once.
      if ((this.options.paths ?? []).length > 0) this.listings.set(entry.obj, p);
    }
    return p;
  }

  private async makeDir(parent: TargetDir, name: EntryName, rel: string, entry: DirEntry, depth: number): Promise<TargetDir> {
    const dir = await this.target!.makeDir(parent, name, rel);
    this.counters.dirs++;
    this.dirs.push({ dir, entry, depth });
    return dir;
  }

  private async restorePath(root: DirEntry, rootDir: TargetDir, parts: readonly string[]): Promise<void> {
    const subPath = parts.join('/');
    let entry = root;
    let dir = rootDir;
    let rel = '';
    for (let i = 0; i < parts.length; i++) {
      const { listing, names } = await this.readListing(entry, rel);
      const at = listing.entries.findIndex((e) => e.name === parts[i]);
      rel = childRel(rel, parts[i]!);
      if (at < 0) {
        throw new NotFoundError(`restore path "${subPath}": "${rel}" is not in the snapshot`, {
          hint: 'List the snapshot contents and give a path relative to its root.',
        });
      }
      const child = listing.entries[at]!;
      if (i === parts.length - 1) {
        await this.restoreChild(child, dir, names[at]!, rel, i + 1);
        return;
      }
      if (child.type !== 'd') {
        throw new NotFoundError(`restore path "${subPath}": "${rel}" is not a directory`, {
          hint: 'List the snapshot contents and give a path relative to its root.',
        });
      }
      let next = this.pathDirs.get(rel);
      if (next === undefined) {
        next = await this.makeDir(dir, names[at]!, rel, child, i + 1);
        this.pathDirs.set(rel, next);
      }
      dir = next;
      entry = child;
    }
  }

  private async restoreChild(entry: DirEntry, parent: TargetDir, name: EntryName, rel: string, depth: number): Promise<void> {
    switch (entry.type) {
      case 'd':
        await this.walkDir(entry, await this.makeDir(parent, name, rel, entry, depth), depth);
        return;
      case 'f':
        await this.files!.addFile(entry, parent.path, childPath(parent.path, name), rel);
        return;
      case 's':
        this.symlinks.push({ parent, name, entry, rel });
        return;
      default:
        this.skipped.push(rel);
    }
  }

  /**
   * Restores the tree under `dir` (made by the caller). At most LISTING_READS directories are walked at once
   * (walkLimiter): each holds its listing while it hands the listing's files to the pipeline, which makes it
   * wait while its batches are full, and a subdirectory waits for its turn holding only its entry. Memory is
   * then bounded by those listings and the batches, whatever the tree's size. (Walking every subdirectory at
   * once, as before, read and held every listing of the tree while the pipeline caught up: 200,000 files in
   * 188 directories peaked at 99 MiB of heap.)
   */
  private async walkDir(entry: DirEntry, dir: TargetDir, depth: number): Promise<void> {
    let subdirs: TreeDir[];
    try {
      subdirs = await this.walkLimiter.run(() => this.walkListing({ entry, dir, depth }));
    } catch (e) {
      this.fail(e); // the walks still waiting for their turn stop at their first check
      throw e;
    }
    await settleAll(subdirs.map((d) => this.walkDir(d.entry, d.dir, d.depth)));
  }

  /** One directory: its other entries restored, its subdirectories made and returned (to be walked in turn). */
  private async walkListing(d: TreeDir): Promise<TreeDir[]> {
    this.check();
    const { listing, names } = await this.readListing(d.entry, d.dir.rel);
    const subdirs: TreeDir[] = [];
    for (let i = 0; i < listing.entries.length; i++) {
      this.check();
      const child = listing.entries[i]!;
      const rel = childRel(d.dir.rel, child.name);
      if (child.type === 'd') {
        subdirs.push({ entry: child, dir: await this.makeDir(d.dir, names[i]!, rel, child, d.depth + 1), depth: d.depth + 1 });
      } else {
        await this.restoreChild(child, d.dir, names[i]!, rel, d.depth + 1);
      }
    }
    return subdirs;
  }

  private async makeSymlinks(): Promise<void> {
    const tmp = {
      name: (dir: FsPath) => this.tmpName(dir),
      track: (p: FsPath) => this.tmpFiles.add(p),
      untrack: (p: FsPath) => this.tmpFiles.delete(p),
    };
    await settleAll(this.symlinks.map((s) => this.fileLimiter.run(async () => {
      this.check();
      const linkTarget = await (await this.repo.objects.openObject(s.entry.obj)).readAll();
      try {
        await this.target!.symlink(s.parent, s.name, linkTarget, s.entry, this.ownership, tmp);
      } catch (e) {
        throw isCairnError(e) ? e : targetError(childPath(s.parent.path, s.name), `create symlink (${s.rel})`, e);
      }
      this.counters.symlinks++;
      this.report();
    })));
  }

  private async finishDirs(): Promise<void> {
    const byDepth = new Map<number, TreeDir[]>();
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
              if (!(await this.target!.finishDir(d.dir, d.entry, this.ownership))) this.attributesKept.push(displayPath(d.dir.path));
            } catch (e) {
              throw isCairnError(e) ? e : targetError(d.dir.path, 'set attributes of', e);
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
